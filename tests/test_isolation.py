"""Supervised workers (guardrails/isolation.py) with real processes: a native loop past its
budget is killed and named, a worker that aborts or segfaults is the rule's ERROR, a template
the native compiler cannot finish is a load error naming it, and a fresh worker judges next."""

from __future__ import annotations

import ctypes
import os
import pathlib
import time

import pytest

from guardrails import Engine, Status, isolation, load_rules
from guardrails import scan as scan_mod
from guardrails.budget import Budget, OutOfTime, run_within
from guardrails.errors import GuardrailsError
from guardrails.model import Origin, Resource
from tests import isolated_rules

pytest.importorskip("regorus", reason="Gatekeeper Rego needs the gatekeeper extra (regorus)")


@pytest.mark.parametrize(("fn", "args", "signal_name"), [
    (os.abort, (), "SIGABRT"),
    (ctypes.string_at, (0,), "SIGSEGV"),
])
def test_a_crashing_worker_is_an_error_naming_the_signal_and_is_replaced(fn: object, args: tuple[object, ...], signal_name: str) -> None:
    before = isolation.stats()["crashed"]
    with pytest.raises(isolation.WorkerCrashed, match=signal_name):
        isolation.call(fn, "", *args)  # type: ignore[arg-type]
    assert isolation.stats()["crashed"] == before + 1
    # The next call runs in a fresh worker: another process, alive.
    pid = isolation.call(os.getpid, "")
    assert pid != os.getpid() and isolation.call(os.getpid, "") == pid


def test_a_worker_past_the_budget_is_killed_and_the_thread_gets_out_of_time() -> None:
    before = isolation.stats()["killed"]
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        run_within(0.3, lambda: isolation.call(time.sleep, "", 60))
    assert time.monotonic() - started < 5  # the budget plus a loaded machine's slack, never 60 s
    assert isolation.stats()["killed"] > before
    assert isolation.call(sum, "", [1, 2]) == 3


def test_without_a_budget_the_fallback_bounds_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "FALLBACK", 0.3)
    with pytest.raises(isolation.WorkerTimeout, match="ran past"):
        isolation.call(time.sleep, "", 60)


def test_errors_raised_in_the_worker_come_back_as_themselves() -> None:
    with pytest.raises(ZeroDivisionError):
        isolation.call(divmod, "", 1, 0)


def test_mode_off_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "_mode", "off")
    assert isolation.call(os.getpid, "") == os.getpid()
    with pytest.raises(ValueError, match="native, off"):
        isolation.configure("sandbox")


def _resource(obj: dict[str, object]) -> Resource:
    return Resource(obj=obj, origin=Origin("pod.yaml"))


def test_a_crash_the_object_causes_is_the_rules_error() -> None:
    engine = Engine([isolated_rules.crashing_rule()], time_budget=5)
    pod = isolated_rules.pod("p")
    for how, sig in (("abort", "SIGABRT"), ("segv", "SIGSEGV")):
        pod["metadata"]["annotations"] = {"crash": how}
        (f,) = engine.evaluate(_resource(pod))
        assert f.rule == "native-crash" and f.status is Status.ERROR and sig in f.message
    pod["metadata"]["annotations"] = {}
    (r,) = engine.results(_resource(pod))
    assert r.status is Status.PASS  # judged normally afterwards


def test_a_rego_loop_in_a_scan_is_an_error_naming_the_rule(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_mod, "RESOURCE_BUDGET", 1.0)
    rules = load_rules([str(isolated_rules.loop_folder(tmp_path / "rules"))], builtin=False)
    (tmp_path / "in").mkdir()
    import yaml

    docs = [isolated_rules.pod("slow", slow=True), isolated_rules.pod("bad", bad=True), isolated_rules.pod("fine")]
    (tmp_path / "in" / "pods.yaml").write_text(yaml.safe_dump_all(docs))
    started = time.monotonic()
    report = scan_mod.scan([str(tmp_path / "in")], rules=rules)
    assert time.monotonic() - started < 15  # 1 s budget plus slack; unisolated the loop runs for minutes
    by_name = {f.resource.name: f for f in report.findings}
    assert set(by_name) == {"slow", "bad"}
    assert by_name["slow"].rule == isolated_rules.LOOP_RULE and by_name["slow"].status is Status.ERROR
    assert "ran out of time" in by_name["slow"].message
    # The next resource is judged by a fresh worker, normally.
    assert by_name["bad"].status is Status.FAIL and by_name["bad"].message == "bad label"


def test_a_budget_in_the_engine_stops_the_rego_loop(tmp_path: pathlib.Path) -> None:
    rules = load_rules([str(isolated_rules.loop_folder(tmp_path / "rules"))], builtin=False)
    engine = Engine(rules.rules)
    budget = Budget(0.5)
    started = time.monotonic()
    (f,) = engine.evaluate(_resource(isolated_rules.pod("slow", slow=True)), budget)
    assert time.monotonic() - started < 5
    assert budget.ran_out == isolated_rules.LOOP_RULE and f.status is Status.ERROR


def test_a_template_the_native_compiler_cannot_finish_is_a_load_error(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "FALLBACK", 1.0)
    (tmp_path / "slow.yaml").write_text(isolated_rules.SLOW_COMPILE_TEMPLATE + "---\n" + """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sSlowCompile
metadata: {name: slow-compile}
spec: {}
""")
    started = time.monotonic()
    with pytest.raises(GuardrailsError) as e:
        load_rules([str(tmp_path)], builtin=False)
    assert time.monotonic() - started < 10
    assert "k8sslowcompile" in e.value.message and "ran past" in e.value.message
    assert e.value.location is not None and e.value.location.path.endswith("slow.yaml") and e.value.location.line > 0
