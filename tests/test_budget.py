"""Time budgets: a rule past its budget is interrupted where it runs (guardrails/budget.py), a
scan reports it as an ERROR naming the rule and the resource, and nothing leaks afterwards."""

from __future__ import annotations

import pathlib
import time

import pytest
import yaml

from guardrails import Engine, Status, load_rules
from guardrails import scan as scan_mod
from guardrails.budget import Budget, OutOfTime, run_within, watchdog
from guardrails.model import Origin, Resource
from tests import slow_rules


def _spin() -> None:
    while True:
        pass


def test_a_pure_python_loop_is_interrupted_at_its_deadline() -> None:
    # _spin never returns: getting OutOfTime at all is the interruption (how soon is bench work).
    with pytest.raises(OutOfTime):
        run_within(0.2, _spin)


def test_no_interrupt_lands_after_the_work_returned() -> None:
    # Deadlines about as long as the work: some fire, some do not; none may land later.
    fired = 0
    for i in range(300):
        try:
            run_within(0.0002 * (i % 5 + 1), lambda: sum(range(2000)))
        except OutOfTime:
            fired += 1
    count = 0
    for _ in range(2_000_000):  # ~0.1 s of bytecode: a stray OutOfTime would land in here
        count += 1
    assert count == 2_000_000
    assert watchdog().fired >= fired


def _resource(obj: dict[str, object]) -> Resource:
    return Resource(obj=obj, origin=Origin("pod.yaml"), request={"operation": "CREATE"})


def test_the_engine_names_the_rule_that_ran_out_and_those_left(tmp_path: pathlib.Path) -> None:
    rules = load_rules([str(slow_rules.folder(tmp_path / "rules"))], builtin=False)
    engine = Engine(rules.rules, rules.waivers, time_budget=0.5)
    budget = Budget(0.5)
    started = time.monotonic()
    findings = engine.evaluate(_resource(slow_rules.pod(2000, privileged=True)), budget)
    assert time.monotonic() - started < 30  # interrupted, not run to its end (minutes)
    assert budget.ran_out == slow_rules.RULE_ID and budget.unjudged == {slow_rules.RULE_ID, "no-privileged"}
    by_rule = {f.rule: f for f in findings}
    assert by_rule[slow_rules.RULE_ID].status is Status.ERROR
    assert "ran out of time" in by_rule[slow_rules.RULE_ID].message
    assert by_rule["no-privileged"].status is Status.ERROR
    assert f"ran out in rule {slow_rules.RULE_ID}" in by_rule["no-privileged"].message
    # A small pod is judged in full by the same engine.
    small = engine.evaluate(_resource(slow_rules.pod(3, privileged=True)))
    assert [(f.rule, f.status) for f in small] == [("no-privileged", Status.FAIL)]


def test_a_scan_reports_a_resource_past_its_budget_and_goes_on(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_mod, "RESOURCE_BUDGET", 0.5)
    rules = load_rules([str(slow_rules.folder(tmp_path / "rules"))], builtin=False)
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.yaml").write_text(yaml.safe_dump(slow_rules.pod(2000, name="big")))
    (src / "small.yaml").write_text(yaml.safe_dump(slow_rules.pod(2, privileged=True, name="small")))
    started = time.monotonic()
    report = scan_mod.scan([str(src)], rules=rules, root=tmp_path)
    assert time.monotonic() - started < 60  # interrupted, not run to its end (minutes)
    got = {(f.resource.name, f.rule, f.status) for f in report.findings}
    assert ("big", slow_rules.RULE_ID, Status.ERROR) in got
    assert ("small", "no-privileged", Status.FAIL) in got
