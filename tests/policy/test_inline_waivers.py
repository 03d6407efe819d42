"""Inline waivers (`guardrails.dev/ignore`): honoured in scans, never for a deny rule at admission,
never without a reason, and always reported as WAIVED rather than dropped."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable
from typing import Any

import pytest

from guardrails import waivers
from guardrails.engine import Engine
from guardrails.model import Action, Origin, Resource, Severity, Status, Violation
from guardrails.rule import CompiledRule

REASON = "debug pod, removed after the incident (INC-42)"


def _needs_team(r: Resource) -> Iterable[Violation]:
    if "team" not in r.labels:
        yield Violation("label 'team' is missing", ("metadata", "labels"))


def rule(name: str, action: Action) -> CompiledRule:
    return CompiledRule(name=name, check=_needs_team, match=lambda r: True, severity=Severity.HIGH, action=action)


RULES = (rule("deny-rule", Action.DENY), rule("warn-rule", Action.WARN), rule("audit-rule", Action.AUDIT))


def pod(annotations: dict[str, Any]) -> Resource:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": annotations}}
    return Resource(obj, Origin("pod.yaml"))


def outcomes(mode: str, annotations: dict[str, Any]) -> dict[str, tuple[Status, str, str | None]]:
    findings = Engine(RULES, inline_waivers=mode).evaluate(pod(annotations))
    return {f.rule: (f.status, f.message, f.waiver) for f in findings}


ALL = "deny-rule, warn-rule,audit-rule"
MISSING = "label 'team' is missing"
NO_REASON = f"{MISSING} (not waived: guardrails.dev/ignore names this rule but guardrails.dev/ignore-reason is missing)"
NO_DENY = f"{MISSING} (not waived: guardrails.dev/ignore cannot waive a deny rule at admission)"
WAIVED = (Status.WAIVED, MISSING, f"inline annotation guardrails.dev/ignore: {REASON}")
FAILED = (Status.FAIL, MISSING, None)

CASES = [
    # (id, mode, annotations, expected outcome per rule)
    ("scan-waives-all", "scan", {waivers.IGNORE: ALL, waivers.IGNORE_REASON: REASON},
     {"deny-rule": WAIVED, "warn-rule": WAIVED, "audit-rule": WAIVED}),
    ("admission-keeps-deny", "admission", {waivers.IGNORE: ALL, waivers.IGNORE_REASON: REASON},
     {"deny-rule": (Status.FAIL, NO_DENY, None), "warn-rule": WAIVED, "audit-rule": WAIVED}),
    ("scan-no-reason", "scan", {waivers.IGNORE: "deny-rule,warn-rule"},
     {"deny-rule": (Status.FAIL, NO_REASON, None), "warn-rule": (Status.FAIL, NO_REASON, None), "audit-rule": FAILED}),
    ("scan-blank-reason", "scan", {waivers.IGNORE: "audit-rule", waivers.IGNORE_REASON: "  "},
     {"deny-rule": FAILED, "warn-rule": FAILED, "audit-rule": (Status.FAIL, NO_REASON, None)}),
    ("admission-no-reason", "admission", {waivers.IGNORE: "warn-rule"},
     {"deny-rule": FAILED, "warn-rule": (Status.FAIL, NO_REASON, None), "audit-rule": FAILED}),
    ("only-named-rules", "scan", {waivers.IGNORE: "warn-rule", waivers.IGNORE_REASON: REASON},
     {"deny-rule": FAILED, "warn-rule": WAIVED, "audit-rule": FAILED}),
    ("no-prefix-match", "scan", {waivers.IGNORE: "warn", waivers.IGNORE_REASON: REASON},
     {"deny-rule": FAILED, "warn-rule": FAILED, "audit-rule": FAILED}),
    ("not-a-string", "scan", {waivers.IGNORE: ["warn-rule"], waivers.IGNORE_REASON: REASON},
     {"deny-rule": FAILED, "warn-rule": FAILED, "audit-rule": FAILED}),
    ("off", "off", {waivers.IGNORE: ALL, waivers.IGNORE_REASON: REASON},
     {"deny-rule": FAILED, "warn-rule": FAILED, "audit-rule": FAILED}),
]


@pytest.mark.parametrize(("mode", "annotations", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_inline_waivers(mode: str, annotations: dict[str, Any], expected: dict[str, Any]) -> None:
    assert outcomes(mode, annotations) == expected


def test_default_is_the_admission_mode() -> None:
    findings = Engine(RULES).evaluate(pod({waivers.IGNORE: ALL, waivers.IGNORE_REASON: REASON}))
    assert {f.rule: f.status for f in findings}["deny-rule"] is Status.FAIL


def test_exception_documents_come_first() -> None:
    exc = waivers.compile_waiver("team-x", {"rules": ["deny-rule"], "reason": "migrating"}, source=None)
    findings = Engine(RULES, [exc], inline_waivers="scan").evaluate(
        pod({waivers.IGNORE: "deny-rule", waivers.IGNORE_REASON: REASON})
    )
    assert {f.rule: f.waiver for f in findings}["deny-rule"] == "team-x: migrating"


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="inline_waivers must be one of"):
        Engine(RULES, inline_waivers="always")


def test_passing_objects_give_nothing() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"team": "a"},
           "annotations": {waivers.IGNORE: ALL}}}
    assert Engine(RULES, inline_waivers="scan").evaluate(Resource(obj, Origin("p.yaml"))) == []


def test_scans_honour_them_for_deny_rules(tmp_path: pathlib.Path) -> None:
    from guardrails.scan import scan
    from tests.scanning import RULES as SCAN_RULES

    (tmp_path / "debug.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  annotations:\n"
        "    guardrails.dev/ignore: require-team\n    guardrails.dev/ignore-reason: incident INC-42\n"
    )
    (f,) = scan([str(tmp_path)], rules=SCAN_RULES, root=tmp_path).findings
    assert (f.rule, f.status, f.waiver) == ("require-team", Status.WAIVED, "inline annotation guardrails.dev/ignore: incident INC-42")
