"""Kyverno policies unchanged: the pod-security suites' policies (from ../shared/conformance)
on the 10,000-manifest corpus, and the ratio to the same pattern checks written as native
rules, measured side by side in this one run on resources already parsed (the engine only,
in CPU seconds).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time
from collections.abc import Callable
from typing import Any

import yaml

from bench.corpus import corpus, files_of


def _shared() -> pathlib.Path:
    """../shared beside the repository (or beside a parent, for a worktree)."""
    repo = pathlib.Path(__file__).resolve().parents[1]
    for base in (repo, *repo.parents):
        if (base.parent / "shared" / "DESIGN.md").is_file():
            return base.parent / "shared"
    return repo.parent / "shared"


SHARED = _shared() / "conformance" / "kyverno"


def _best(fn: Callable[[], object], repeat: int = 2) -> float:
    """CPU seconds of the best run: the machine's two cores are shared, wall time is noise."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def _policy_files() -> list[pathlib.Path]:
    index = json.loads((SHARED / "index.json").read_text())
    return [SHARED / p for s in index["suites"] if s["suite"].startswith("pod-security/") for p in s["policies"]]


def _native_twins(files: list[pathlib.Path]) -> list[Any]:
    """Each Kyverno pattern/anyPattern rule as a native rule with the same pattern on Pods
    (pod controllers through the engine's pod templates, as autogen does for Kyverno)."""
    from guardrails.dialects.native import compile_native

    out = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            for rule in doc["spec"]["rules"]:
                v = rule["validate"]
                key = "pattern" if "pattern" in v else "anyPattern" if "anyPattern" in v else None
                if key is None or rule.get("preconditions"):
                    continue
                spec = {"match": {"kinds": ["Pod"]}, key: v[key]}
                out.append(compile_native(f"{doc['metadata']['name']}-{rule['name']}", spec, source=None))
    return out


def run(options: argparse.Namespace) -> None:
    from guardrails.engine import Engine
    from guardrails.policy.load import load_rules
    from guardrails.sources import documents as yamldocs

    if not SHARED.is_dir():
        print(f"skipped: no conformance data at {SHARED}")
        return
    resources = []
    for path in files_of(corpus()):
        for doc in yamldocs.documents(path.read_text(), str(path)):
            if isinstance(doc, yamldocs.Document):
                resources.extend(yamldocs.resources_of(doc, str(path))[0])
    files = _policy_files()
    kyverno_rules = load_rules(files).rules
    twins = _native_twins(files)
    twin_names = {t.name for t in twins}
    pattern_rules = [r for r in kyverno_rules
                     if r.check_key in ("pattern", "anyPattern") and f"{r.policy}-{r.name.removeprefix('autogen-cronjob-').removeprefix('autogen-')}" in twin_names]

    def judge(engine: Engine) -> Callable[[], int]:
        def go() -> int:
            return sum(len(engine.evaluate(r)) for r in resources)
        return go

    all_kyverno = Engine(kyverno_rules)
    same_kyverno, native = Engine(pattern_rules), Engine(twins)
    findings = judge(all_kyverno)()
    t_all = _best(judge(all_kyverno))
    t_same = _best(judge(same_kyverno))
    t_native = _best(judge(native))
    n = len(resources)
    print(f"corpus: {n} resources; {len(files)} pod-security policies -> {len(kyverno_rules)} Kyverno rules "
          f"(autogen included), {findings} findings")
    print(f"all pod-security policies (Kyverno dialect): {t_all:.2f}s  {n / t_all:,.0f} resources/s")
    print(f"the {len(twins)} pattern rules, Kyverno dialect ({len(pattern_rules)} with autogen): "
          f"{t_same:.2f}s  {n / t_same:,.0f} resources/s")
    print(f"the same patterns as native rules:            {t_native:.2f}s  {n / t_native:,.0f} resources/s")
    print(f"ratio Kyverno dialect / native: {t_same / t_native:.2f}x")
