"""Gatekeeper library constraints against a generated 10,000-manifest corpus.

Side by side in one run: resources per second through the templates' own Rego (regopy),
through the native fast paths, and their ratio, for the constraints of the templates that have
a fast path; then the whole library as `auto` picks engines. The Rego path is broken down into
compile (once per template), input conversion (to JSON text for rego-cpp) and query. The
native and Rego verdicts and messages are compared on every resource of the corpus.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import random
import time
from collections.abc import Sequence
from typing import Any

import yaml

from guardrails.dialects.gatekeeper import fastpaths as native
from guardrails.dialects.gatekeeper import template as gk_template
from guardrails.engine import Engine
from guardrails.model import Origin, Resource
from guardrails.rule import CompiledRule
from guardrails.ruletest import gator

SIZE = 10_000
# rego-cpp takes milliseconds per object for the resource templates: the Rego path (and the
# native path beside it, for the ratio) runs on the first REGO_SLICE manifests of the corpus.
REGO_SLICE = 500
SEED = 20261122


def _shared() -> pathlib.Path:
    for parent in pathlib.Path(__file__).resolve().parents:
        if (parent / "shared" / "conformance").is_dir():
            return parent / "shared"
    raise SystemExit("bench_gatekeeper: no ../shared/conformance folder beside the repository")


ROOT = _shared() / "conformance" / "gatekeeper"

_REGISTRIES = ["", "docker.io/", "gcr.io/acme/", "openpolicyagent/", "registry.example.com/shop/", "quay.io/org/"]
_TAGS = [":latest", ":1.2.3", "", "@sha256:" + "ab" * 32, ":stable", ":1.25-alpine"]
_CPU = ["100m", "250m", "1", "2", "0.5", 1, "500m", "3", "bad", None]
_MEM = ["64Mi", "128Mi", "1Gi", "2Gi", "512M", "3Gi", 1073741824, "1.5Gi", "oops", None]


def _resources(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.1:
        return None
    out: dict[str, Any] = {}
    for section in ("limits", "requests"):
        if rng.random() < 0.85:
            sec = {}
            if (cpu := rng.choice(_CPU)) is not None:
                sec["cpu"] = cpu
            if (mem := rng.choice(_MEM)) is not None:
                sec["memory"] = mem
            out[section] = sec
    return out


def _container(rng: random.Random, i: int) -> dict[str, Any]:
    c: dict[str, Any] = {"name": f"c{i}", "image": f"{rng.choice(_REGISTRIES)}app{rng.randrange(50)}{rng.choice(_TAGS)}"}
    res = _resources(rng)
    if res is not None:
        c["resources"] = res
    if rng.random() < 0.3:
        c["securityContext"] = {"privileged": rng.random() < 0.3, "readOnlyRootFilesystem": rng.random() < 0.5}
    return c


def corpus(size: int = SIZE, seed: int = SEED) -> list[dict[str, Any]]:
    """Deterministic manifests: mostly Pods (the library's favourite kind), then Namespaces,
    Services, Deployments and Ingresses, with the usual mistakes sprinkled in."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(size):
        roll = rng.random()
        labels = {"app": f"a{i % 97}"} | ({"owner": rng.choice(["ann.agilebank.demo", "bob", "x"])} if rng.random() < 0.6 else {})
        meta: dict[str, Any] = {"name": f"obj{i}", "labels": labels}
        if rng.random() < 0.7:
            meta["namespace"] = rng.choice(["default", "shop", "kube-system"])
        if roll < 0.6:
            spec: dict[str, Any] = {"containers": [_container(rng, j) for j in range(rng.randint(1, 3))]}
            if rng.random() < 0.3:
                spec["initContainers"] = [_container(rng, 9)]
            if rng.random() < 0.1:
                spec["hostNetwork"] = True
            out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
        elif roll < 0.72:
            meta.pop("namespace", None)
            out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
        elif roll < 0.85:
            if rng.random() < 0.5:
                meta["annotations"] = {"a8r.io/owner": rng.choice(["dev@example.com", "Bad Owner"]), "a8r.io/runbook": "https://example.com/rb"}
            svc = {"type": rng.choice(["ClusterIP", "NodePort", "LoadBalancer"]), "selector": {"app": f"a{i % 7}"}, "ports": [{"port": 80}]}
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": svc})
        elif roll < 0.95:
            tpl = {"metadata": {"labels": labels}, "spec": {"containers": [_container(rng, 0)]}}
            out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {"replicas": rng.randint(1, 9), "template": tpl}})
        else:
            host = rng.choice(["shop.example.com", "*.example.com", "api.example.com"])
            rule = {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}
            out.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": {"rules": [rule]}})
    return out


def _library(only_native: bool) -> list[pathlib.Path]:
    files: list[pathlib.Path] = []
    for suite in sorted(ROOT.glob("*/*/suite.yaml")):
        t = gk_template.parse(yaml.safe_load((suite.parent / "template.yaml").read_text()))
        if only_native and not native.known(t):
            continue
        files.append(suite.parent / "template.yaml")
        doc = yaml.safe_load(suite.read_text())
        files.extend(dict.fromkeys(suite.parent / t["constraint"] for t in doc["tests"]))
    return files


def _run(rules: Sequence[CompiledRule], resources: Sequence[Resource]) -> tuple[float, list[list[str]]]:
    engine = Engine(rules)
    start = time.perf_counter()
    out = [sorted(f"{f.rule}: {f.message}" for f in engine.evaluate(r)) for r in resources]
    return time.perf_counter() - start, out


def _rego_breakdown(resources: Sequence[Resource]) -> None:
    """Where the Rego path spends its time, for one template with a typical constraint."""
    from guardrails.dialects.gatekeeper.rego import RegoProgram
    from guardrails.dialects.gatekeeper.review import review

    t = gk_template.parse(yaml.safe_load((ROOT / "general" / "containerlimits" / "template.yaml").read_text()))
    assert t.rego is not None and t.package is not None
    start = time.perf_counter()
    program = RegoProgram(t.rego, t.libs, t.package)
    compile_s = time.perf_counter() - start
    pods = [r for r in resources if r.kind == "Pod"]
    params = {"cpu": "2", "memory": "1Gi"}
    convert = query = 0.0
    interp, bundle = program._interp, program._bundle
    for r in pods:
        t0 = time.perf_counter()
        text = json.dumps({"review": review(r), "parameters": params}, separators=(",", ":"))
        interp.set_input_term(text)
        t1 = time.perf_counter()
        interp.query_bundle(bundle)
        t2 = time.perf_counter()
        convert += t1 - t0
        query += t2 - t1
    total = convert + query
    print(f"  rego breakdown (containerlimits, {len(pods)} Pods): compile {compile_s * 1000:.1f} ms once; "
          f"input conversion {convert / len(pods) * 1e6:.0f} µs/obj ({convert / total:.0%}); "
          f"query {query / len(pods) * 1e6:.0f} µs/obj ({query / total:.0%})")


def run(options: argparse.Namespace) -> None:
    objects = corpus()
    resources = [Resource(o, Origin("corpus.yaml", i)) for i, o in enumerate(objects)]
    head = resources[:REGO_SLICE]
    files = _library(only_native=True)
    t0 = time.perf_counter()
    rego_rules = gator.load_rules(files, engine="rego")
    rego_load = time.perf_counter() - t0
    native_rules = gator.load_rules(files, engine="native")
    native_all_s, _ = _run(native_rules, resources)
    rego_s, rego_out = _run(rego_rules, head)
    native_s, native_out = _run(native_rules, head)
    differ = [i for i, (a, b) in enumerate(zip(rego_out, native_out)) if a != b]
    findings = sum(len(x) for x in rego_out)
    n, h = len(resources), len(head)
    print(f"  corpus: {n} manifests; {len(rego_rules)} constraints of the {len(native.FAST_PATHS)} fast-path templates")
    print(f"  native, whole corpus: {n / native_all_s:9.0f} resources/s  ({native_all_s:.2f} s)")
    print(f"  first {h} manifests, side by side:")
    print(f"    rego (regopy):      {h / rego_s:9.0f} resources/s  ({rego_s:.2f} s; load+compile {rego_load:.2f} s)")
    print(f"    native:             {h / native_s:9.0f} resources/s  ({native_s:.2f} s)")
    print(f"    native / rego:      {rego_s / native_s:9.1f}x")
    print(f"    agreement: {h - len(differ)}/{h} resources with identical findings ({findings} findings)")
    for i in differ[:3]:
        print(f"      differs on {objects[i]['kind']}/{objects[i]['metadata']['name']}: rego {rego_out[i]} native {native_out[i]}")
    _rego_breakdown(head)
    everything = gator.load_rules(_library(only_native=False))
    engines: dict[str, int] = {}
    for r in everything:
        engines[r.check_key] = engines.get(r.check_key, 0) + 1
    all_s, _ = _run(everything, head)
    mix = ", ".join(f"{k.split('/')[-1]} {v}" for k, v in sorted(engines.items()))
    print(f"  whole library ({len(everything)} constraints; engines: {mix}), first {h}: {h / all_s:.0f} resources/s ({all_s:.2f} s)")


if __name__ == "__main__":
    run(argparse.Namespace(peer=False, only=[]))
