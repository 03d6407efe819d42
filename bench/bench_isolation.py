"""The cost of running Rego in supervised worker processes (guardrails/isolation.py): the
gatekeeper-library, every template forced onto its Rego, judging one Pod as an admission
request, in-process (isolation off) and isolated (the default), side by side in this run; and
one rule alone, where the pipe's round trip is the whole difference."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.bench_cel import POD, _library_files


def _per_pod(rules: Any, n: int = 50) -> float:
    from guardrails.engine import Engine
    from guardrails.model import Origin, Resource

    request = {"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
               "namespace": "shop", "name": "web", "userInfo": {"username": "dev"}, "object": POD}
    eng = Engine(rules, time_budget=10)
    pods = [Resource(obj=POD, origin=Origin("<admission>"), request=request) for _ in range(n)]
    eng.evaluate(pods[0])  # warm: the worker forks and compiles its engines on first use
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for p in pods:
            eng.evaluate(p)
        best = min(best, (time.perf_counter() - start) / n)
    return best


def run(options: argparse.Namespace) -> None:
    from guardrails import isolation
    from guardrails.ruletest import gator

    files = _library_files()
    times: dict[str, tuple[float, float]] = {}
    for mode in ("off", "native"):
        isolation.configure(mode)
        try:
            rules = gator.load_rules(files, engine="rego")
            whole = _per_pod(rules)
            one = _per_pod([r for r in rules if r.match(_pod_resource())][:1])
        finally:
            isolation.configure("native")
        times[mode] = (whole, one)
    (w0, o0), (w1, o1) = times["off"], times["native"]
    print(f"    gatekeeper-library (Rego) per Pod: in-process {w0 * 1e3:6.2f} ms, isolated {w1 * 1e3:6.2f} ms "
          f"({w1 / w0:.2f}x, +{(w1 - w0) * 1e3:.2f} ms)")
    print(f"    one Rego constraint per Pod:       in-process {o0 * 1e6:6.0f} us, isolated {o1 * 1e6:6.0f} us "
          f"({o1 / o0:.2f}x, +{(o1 - o0) * 1e6:.0f} us per call)")
    print(f"    workers: {isolation.stats()}")


def _pod_resource() -> Any:
    from guardrails.model import Origin, Resource

    return Resource(obj=POD, origin=Origin("<admission>"))
