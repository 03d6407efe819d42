"""Peak memory of scanning one large manifest file, against its size and against the parse floor.

One YAML file of many Deployments (each with a privileged container, so every document has
findings), written once. Side by side, each in a child process whose peak resident set size the
kernel reports when it exits (`os.wait4`): the parse floor (`yaml.load_all` with CSafeLoader,
objects kept), `guardrails scan` with one rule (memory for the reading itself) and with the
default profile (the findings included). Goal: memory proportional to the input and the
findings, never a multiple of every document's parse tree.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

DEPLOYMENTS = 20_000

_DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-%d, namespace: shop, labels: {team: a}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources: {limits: {cpu: 100m, memory: 64Mi}, requests: {cpu: 100m, memory: 64Mi}}
        securityContext: {privileged: true}
"""


def _peak(argv: list[str]) -> int:
    """Peak RSS in bytes of one child process (Linux reports KiB)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[:3]} exited {proc.returncode}")
    return int(usage.ru_maxrss) * 1024


def run(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big = pathlib.Path(tmp) / "big.yaml"
        big.write_text("---\n".join(_DOC % i for i in range(DEPLOYMENTS)), encoding="utf-8")
        size = big.stat().st_size
        out = str(pathlib.Path(tmp) / "out.json")
        py = sys.executable
        idle = _peak([py, "-c", "import yaml, guardrails.scan"])
        floor = _peak([py, "-c", f"import yaml; d = list(yaml.load_all(open({str(big)!r}), Loader=yaml.CSafeLoader))"])
        cli = [py, "-m", "guardrails", "scan", str(big), "--format", "json", "-o", out]
        one = _peak([*cli, "--only", "disallow-privileged-containers"])
        default = _peak(cli)
    mb = 1e6
    print(f"  one file: {DEPLOYMENTS:,} Deployments, {size / mb:.1f} MB; interpreter with guardrails imported {idle / mb:.0f} MB")
    for label, peak in (("yaml.load_all floor", floor), ("scan, one rule", one), ("scan, default profile", default)):
        print(f"  {label:24s} {peak / mb:7.0f} MB peak   {(peak - idle) / size:5.1f}x the file above the interpreter")
    print("  goal: the scan's memory follows the largest document and the findings, not the whole file's parse trees")
