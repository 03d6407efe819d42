"""The pre-commit case: `guardrails scan` on 5 changed manifests, as the hook runs it.

What the hook costs a developer is a fresh process per commit. Reported side by side in one
run: the interpreter's bare start (`python -c pass`), the hook's whole run, and their
difference, our own time (goal: under 0.3 s), as a ratio to the bare start too.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 15
GOAL_SECONDS = 0.3

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i}
  namespace: shop
  labels: {{app: svc{i}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: svc{i}}}}}
  template:
    metadata:
      labels: {{app: svc{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/shop/svc{i}:1.{i}.0
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
        - name: proxy
          image: envoyproxy/envoy:latest
---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}, namespace: shop}}
spec:
  selector: {{app: svc{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""


# An installed hook has its bytecode compiled (pip does it at install time); a development
# shell may forbid writing it, which would charge every run with compiling our sources.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _median_seconds(cmd: list[str], cwd: pathlib.Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(options: argparse.Namespace | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-precommit-") as tmp:
        repo = pathlib.Path(tmp)
        files = []
        for i in range(5):
            f = repo / "k8s" / f"svc{i}.yaml"
            f.parent.mkdir(exist_ok=True)
            f.write_text(MANIFEST.format(i=i))
            files.append(str(f.relative_to(repo)))
        # the hook's entry point is the `guardrails` console script; this is the same code path
        hook = [sys.executable, "-m", "guardrails", "scan", *files]
        # the first run also writes the bytecode, as installing would
        probe = subprocess.run(hook, cwd=repo, env=ENV, capture_output=True, text=True, check=False)
        if probe.returncode not in (0, 1):
            print(f"  the hook failed (exit {probe.returncode}): {probe.stderr.strip()[:300]}")
            return {}
        bare_cmd = [sys.executable, "-c", "pass"]
        # interleave so both see the same machine load
        bare_runs, hook_runs = [], []
        for _ in range(RUNS):
            bare_runs.append(_median_seconds(bare_cmd, repo, 1))
            hook_runs.append(_median_seconds(hook, repo, 1))
        bare, whole = statistics.median(bare_runs), statistics.median(hook_runs)
    own = max(0.0, whole - bare)
    verdict = "meets" if own < GOAL_SECONDS else "MISSES"
    print(f"  interpreter bare start   {bare * 1000:7.1f} ms   (python -c pass, median of {RUNS})")
    print(f"  hook on 5 manifests      {whole * 1000:7.1f} ms   = {whole / bare:4.1f}x the bare start")
    print(f"  our own time             {own * 1000:7.1f} ms   = {own / bare:4.1f}x the bare start; "
          f"{verdict} the {GOAL_SECONDS:.1f} s goal")
    print(f"  findings exit code {probe.returncode}; {os.cpu_count()} cores")
    return {"bare": bare, "hook": whole, "own": own}


if __name__ == "__main__":
    run()
