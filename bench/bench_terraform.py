"""A Terraform plan with 20,000 resource changes: resources per second, and the time of each
stage as a ratio to plain `json.loads` of the same file (the parse floor), measured in one run.

Stages: parse (json.loads) -> map (plan -> Resources: tags, unknowns, kubernetes_*, ECS) ->
judge (the built-in Terraform rules through the engine), and `scan()` end to end (read, decode,
parse, map, judge). The plan mixes modules, unknown values, default tags, deletions and no-ops,
security groups, ECS task definitions and kubernetes_deployment_v1 workloads.

Memory: the peak of Python allocations (tracemalloc) during `scan()` of the file, as a ratio to
the plan's size on disk and to the peak of `json.load` of the same file (goals: scan within 3x
of json.load in time, and within 3x of the plan's size in memory).
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from guardrails.engine import Engine
from guardrails.policy.load import RuleSet, load_rules
from guardrails.scan import scan
from guardrails.sources.terraform import plan as terraform

CHANGES = 20000
RUNS = 3
REPO = pathlib.Path(__file__).resolve().parents[1]
TAGS = {"team": "payments", "environment": "prod", "service": "checkout"}


def _templates() -> list[dict[str, Any]]:
    """Resource changes taken from the example plan, the shapes real plans have."""
    plan = json.loads((REPO / "examples" / "terraform" / "plan.json").read_text())
    return [c for c in plan["resource_changes"] if c["mode"] == "managed"]


def make_plan(n: int = CHANGES) -> dict[str, Any]:
    templates = _templates()
    changes = []
    for i in range(n):
        c = copy.deepcopy(templates[i % len(templates)])
        module = f"module.svc{i % 50}"
        local = c["address"].split(".")[-2:]  # type and name, whatever module it was in
        c["address"] = f"{module}.{local[0]}.{local[1].split('[')[0]}_{i}"
        c["module_address"] = module
        c["name"] = f"{local[1].split('[')[0]}_{i}"
        after = c["change"].get("after")
        if isinstance(after, dict) and "tags_all" in after and i % 3 == 0:
            after["tags_all"] = {**TAGS, "Name": c["name"]}
        changes.append(c)
    calls = {f"svc{j}": {"source": f"./modules/svc{j}", "module": {"resources": []}} for j in range(50)}
    return {
        "format_version": "1.2",
        "terraform_version": "1.6.6",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": changes,
        "configuration": {"root_module": {"module_calls": calls}},
    }


def _rules() -> RuleSet:
    return load_rules(builtin=True, profiles=("terraform",))


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _peak(fn: Callable[[], Any]) -> int:
    """Peak bytes Python allocated while `fn` ran (the result is kept until the peak is read)."""
    tracemalloc.start()
    try:
        kept = fn()
        _, peak = tracemalloc.get_traced_memory()
        del kept
    finally:
        tracemalloc.stop()
    return peak


def run(options: argparse.Namespace | None = None) -> dict[str, float]:
    rules = _rules()
    engine = Engine(rules.rules)
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-terraform-") as tmp:
        path = pathlib.Path(tmp) / "plan.json"
        path.write_text(json.dumps(make_plan()))
        text = path.read_text()
        size = path.stat().st_size
        parsed = json.loads(text)
        resources = terraform.resources(parsed, "plan.json")

        # Interleaved rounds, best of each: the machine is shared, so every stage sees the same load.
        best = {"parse": float("inf"), "parse+map": float("inf"), "judge": float("inf"), "scan": float("inf")}
        stages: dict[str, Callable[[], Any]] = {
            "parse": lambda: json.loads(text),
            # mapping fills placeholders into the parsed plan: map a fresh parse each time
            "parse+map": lambda: terraform.resources(json.loads(text), "plan.json"),
            "judge": lambda: [engine.evaluate(r) for r in resources],
            "scan": lambda: scan([str(path)], rules=rules, root=pathlib.Path(tmp)),
        }
        for _ in range(RUNS):
            for name, fn in stages.items():
                best[name] = min(best[name], _time(fn))
        t_parse, t_parse_map, t_judge, t_scan = best["parse"], best["parse+map"], best["judge"], best["scan"]
        report = scan([str(path)], rules=rules, root=pathlib.Path(tmp))
        m_load = _peak(lambda: json.loads(path.read_text()))
        m_scan = _peak(lambda: scan([str(path)], rules=rules, root=pathlib.Path(tmp)))

    n = len(resources)
    t_map = max(t_parse_map - t_parse, 1e-9)
    print(
        f"  plan: {CHANGES} resource changes, {n} judged (deletions/no-ops skipped), {size / 1e6:.1f} MB, "
        f"{len(rules.rules)} Terraform rules, {len(report.findings)} findings"
    )
    print(f"  json.loads            {t_parse * 1000:8.1f} ms   1.00x")
    print(
        f"  map to resources      {t_map * 1000:8.1f} ms   {t_map / t_parse:5.2f}x   {n / t_map:10,.0f} resources/s"
    )
    print(
        f"  judge (engine)        {t_judge * 1000:8.1f} ms   {t_judge / t_parse:5.2f}x   {n / t_judge:10,.0f} resources/s"
    )
    print(
        f"  scan() end to end     {t_scan * 1000:8.1f} ms   {t_scan / t_parse:5.2f}x   {n / t_scan:10,.0f} resources/s"
    )
    print(
        f"  peak memory: json.load {m_load / 1e6:7.1f} MB ({m_load / size:4.2f}x plan), "
        f"scan() {m_scan / 1e6:7.1f} MB ({m_scan / size:4.2f}x plan, {m_scan / m_load:4.2f}x json.load)   goal: scan <= 3x plan"
    )
    return {
        "peak_memory_to_plan_size": m_scan / size,
        "resources_per_second": n / t_scan,
        "ratio_to_json_loads": t_scan / t_parse,
        "map_ratio_to_json_loads": t_map / t_parse,
    }


if __name__ == "__main__":
    run()
