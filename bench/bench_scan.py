"""Scan throughput against the parse floor, cold start against the bare interpreter, and
(with --peer) checkov on the same input, all measured side by side in this one run."""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from bench.corpus import corpus, files_of

VENV_BIN = pathlib.Path(sys.executable).parent


def _best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _parse_floor(files: list[pathlib.Path]) -> None:
    for f in files:
        for _ in yaml.load_all(f.read_bytes(), Loader=yaml.CSafeLoader):
            pass


def _cmd_time(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(options: argparse.Namespace) -> None:
    from guardrails.scan import RuleLoader, scan

    root = corpus()
    files = files_of(root)
    loader = RuleLoader()
    rules = loader()
    n_rules = len(rules.rules)
    report = scan([str(root)], rules=rules)
    resources = report.resources
    if not resources:  # a bench that judged nothing must never print a ratio
        raise SystemExit(f"bench_scan: the corpus at {root} gave no resources: {report.notices}")
    floor = _best(lambda: _parse_floor(files))
    ours = _best(lambda: scan([str(root)], rules=rules))
    print(f"corpus: {len(files)} files, {resources} resources, {n_rules} built-in rules, {len(report.findings)} findings")
    print(f"parse floor (yaml.load_all CSafeLoader): {floor:.2f}s  {resources / floor:,.0f} resources/s")
    print(f"guardrails scan (serial, in-process):    {ours:.2f}s  {resources / ours:,.0f} resources/s")
    print(f"ratio scan / parse floor: {ours / floor:.2f}x  (goal: within 2x)")
    seed = RuleLoader(only=("require-ownership-labels", "approved-registries", "no-latest-tag", "require-requests-limits"))()
    seeded = _best(lambda: scan([str(root)], rules=seed))
    print(f"  the 4 seed rules only:                 {seeded:.2f}s  ratio {seeded / floor:.2f}x")
    restricted = RuleLoader(profiles=("restricted",))()
    strict = _best(lambda: scan([str(root)], rules=restricted))
    print(f"  --profile restricted ({len(restricted.rules)} rules):       {strict:.2f}s  ratio {strict / floor:.2f}x  (goal: within 2.5x)")
    cli = [str(VENV_BIN / "guardrails"), "scan", str(root)]
    serial = _cmd_time([*cli, "--jobs", "1"], 1)
    jobs = _cmd_time([*cli, "--jobs", str(os.cpu_count() or 2)], 1)
    auto = _cmd_time(cli, 1)  # --jobs auto, the default
    print(f"CLI end to end: serial {serial:.2f}s ({serial / floor:.2f}x the parse floor; goal 2x), --jobs {os.cpu_count()} {jobs:.2f}s "
          f"(serial / jobs {serial / jobs:.2f}x), default --jobs auto {auto:.2f}s (serial / auto {serial / auto:.2f}x)")
    examples = [str(VENV_BIN / "guardrails"), "scan", str(pathlib.Path(__file__).resolve().parents[1] / "examples"), "--quiet"]
    small_serial, small_auto = _cmd_time([*examples, "--jobs", "1"], 5), _cmd_time(examples, 5)
    print(f"small scan (examples/): --jobs auto / --jobs 1 {small_auto / small_serial:.2f}x (auto stays serial below 200 files or 4 MiB)")

    with tempfile.TemporaryDirectory() as tmp:
        small = pathlib.Path(tmp) / "one.yaml"
        small.write_bytes(files[0].read_bytes())
        runs = 15
        bare = _cmd_time([sys.executable, "-c", "pass"], runs)
        cold = _cmd_time([str(VENV_BIN / "guardrails"), "scan", str(small)], runs)
        print(
            f"cold start, one small file: {cold:.3f}s vs `python -c pass` {bare:.3f}s: "
            f"{cold - bare:.3f}s of our own (goal: under 0.25s), ratio {cold / bare:.1f}x"
        )

    if options.peer:
        _peer(root, files)


def _peer(root: pathlib.Path, files: list[pathlib.Path]) -> None:
    """checkov from PyPI in its own venv, on a 1,000-manifest slice (it takes minutes on all)."""
    venv = pathlib.Path(__file__).parent / ".peer-venv"
    checkov = venv / "bin" / "checkov"
    if not checkov.exists():
        print("installing checkov into bench/.peer-venv (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "checkov"], check=True, stderr=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        sub = pathlib.Path(tmp) / "slice"
        sub.mkdir()
        for f in files[:100]:
            shutil.copy(f, sub / f.name)
        ours = _cmd_time([str(VENV_BIN / "guardrails"), "scan", str(sub)], 3)
        peer = _cmd_time([str(checkov), "-d", str(sub), "--framework", "kubernetes", "--quiet", "--compact", "-o", "json"], 1)
        print(f"checkov on 100 files / 1,000 manifests: {peer:.2f}s; guardrails scan: {ours:.2f}s; ratio {peer / ours:.1f}x (goal: >= 30x)")
