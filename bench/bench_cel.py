"""CEL engines side by side on the suites' own expressions, and the Gatekeeper library at
admission per Pod by engine.

1. Every CEL expression of the conformance suites (kyverno-cel/, vap/, gatekeeper/): how many
   each runtime compiles, and evaluations per second on the expressions both compile, on one Pod
   (the chosen runtime through guardrails.lang.cel; `common-expression-language` when installed).
2. The whole gatekeeper-library (every template with its sample constraints) judging one Pod as
   an admission request: milliseconds per Pod, `auto` (native fast paths, else CEL, else Rego)
   and with every template forced onto its Rego.
3. Every library suite case through each Rego engine installed (regorus, regopy), each in its own
   process (rego-cpp and cel-cpp cannot share one): cases passed and time per query.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import subprocess
import sys
import time
from typing import Any

import yaml

from guardrails.lang import cel

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "securityContext": {"privileged": False},
                                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
                               {"name": "side", "image": "redis:7"}],
                "volumes": [{"name": "data", "emptyDir": {}}]}}


def _shared() -> pathlib.Path:
    for parent in pathlib.Path(__file__).resolve().parents:
        if (parent / "shared" / "conformance").is_dir():
            return parent / "shared"
    raise SystemExit("bench_cel: no ../shared/conformance folder beside the repository")


def expressions() -> list[str]:
    out: list[str] = []

    def walk(node: Any, under: bool) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("expression", "messageExpression") and isinstance(v, str) and under:
                    out.append(v)
                else:
                    walk(v, under or k in ("validations", "expressions", "matchConditions", "celPreconditions"))
        elif isinstance(node, list):
            for v in node:
                walk(v, under)

    for folder in ("kyverno-cel", "vap", "gatekeeper"):
        for f in sorted((_shared() / "conformance" / folder).rglob("*.yaml")):
            try:
                docs = list(yaml.safe_load_all(f.read_text()))
            except yaml.YAMLError:
                continue
            for d in docs:
                if isinstance(d, dict) and d.get("kind") in ("ValidatingAdmissionPolicy", "ValidatingPolicy",
                                                             "ClusterPolicy", "ConstraintTemplate"):
                    walk(d, False)
    return list(dict.fromkeys(out))


NAMES = ("object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables",
         "resource", "image", "http", "globalContext")


def _ours(texts: list[str]) -> dict[str, Any]:
    env = cel.environment(NAMES, libraries=("kyverno",))
    out = {}
    for t in texts:
        try:
            out[t] = env.native.compile(t)
        except Exception:
            continue
    return out


def _theirs(texts: list[str]) -> dict[str, Any] | None:
    try:
        import cel as rust_cel
    except ImportError:
        return None
    out = {}
    for t in texts:
        try:
            out[t] = rust_cel.compile(t)
        except Exception:
            continue
    return out


def _rate(run: Any, n: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def _engines(options: argparse.Namespace) -> None:
    texts = expressions()
    ours = _ours(texts)
    theirs = _theirs(texts)
    print(f"  {len(texts)} distinct CEL expressions in the suites")
    print(f"    cel-expr-python (chosen):          compiles {len(ours):4d}")
    if theirs is None:
        print("    common-expression-language:        not installed (pip install common-expression-language)")
    else:
        print(f"    common-expression-language:        compiles {len(theirs):4d}")
    both = [t for t in ours if theirs is None or t in theirs]
    env = cel.environment(NAMES, libraries=("kyverno",))
    data = {n: None for n in NAMES}
    data.update({"object": POD, "variables": {}})
    act = env.native.Activation(cel.plain(data)[0])
    progs = [ours[t] for t in both]

    def run_ours() -> None:
        for _ in range(20):
            for p in progs:
                p.eval(act)

    rate = _rate(run_ours, 20 * len(progs))
    print(f"    on the {len(both)} both compile, one Pod: cel-expr-python {rate:10.0f} evals/s")
    if theirs is not None:
        import cel as rust_cel

        ctx = rust_cel.Context(data)
        rprogs = [theirs[t] for t in both]

        def run_theirs() -> None:
            for _ in range(20):
                for p in rprogs:
                    with contextlib.suppress(Exception):
                        p.execute(ctx)

        other = _rate(run_theirs, 20 * len(rprogs))
        print(f"                                       common-expression-language {other:10.0f} evals/s"
              f"  (chosen is {rate / other:.1f}x)")


def _library_files() -> list[pathlib.Path]:
    root = _shared() / "conformance" / "gatekeeper"
    files: list[pathlib.Path] = []
    for suite in sorted(root.glob("*/*/suite.yaml")):
        files.append(suite.parent / "template.yaml")
        doc = yaml.safe_load(suite.read_text())
        files.extend(dict.fromkeys(suite.parent / t["constraint"] for t in doc["tests"]))
    return files


def _per_pod() -> None:
    from guardrails.engine import Engine
    from guardrails.model import Origin, Resource
    from guardrails.ruletest import gator

    request = {"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
               "namespace": "shop", "name": "web", "userInfo": {"username": "dev"}, "object": POD}
    for engine in ("auto", "rego"):
        rules = gator.load_rules(_library_files(), engine=engine)
        eng = Engine(rules)
        pods = [Resource(obj=POD, origin=Origin("<admission>"), request=request) for _ in range(50)]
        eng.evaluate(pods[0])  # warm: first use compiles lazily built parts
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for p in pods:
                eng.evaluate(p)
            best = min(best, (time.perf_counter() - start) / len(pods))
        matching = len([r for r in eng.candidates("Pod") if r.match(pods[0])])
        print(f"    gatekeeper-library at admission, engine {engine:4s}: {best * 1e3:6.2f} ms per Pod "
              f"({len(rules)} constraints, {matching} match a Pod)")


def _rego_engines() -> None:
    for name in ("regorus", "regopy"):
        proc = subprocess.run([sys.executable, "-m", "bench.rego_suites", name], capture_output=True, text=True,
                              cwd=pathlib.Path(__file__).parent.parent, timeout=900)
        line = (proc.stdout.strip().splitlines() or [proc.stderr.strip()[-300:] or "no output"])[-1]
        print(f"    {name:8s} {line}")


def run(options: argparse.Namespace) -> None:
    print("  CEL runtimes on the same expressions:")
    _engines(options)
    print("  Gatekeeper per Pod:")
    _per_pod()
    print("  Rego engines on every library suite case (each in its own process):")
    _rego_engines()


if __name__ == "__main__":
    run(argparse.Namespace())
    json.dumps({})
