"""Admission decisions against `guardrails scan`: the same rules judge an admitted object exactly
as a scan judges the same object in a file (pod-controller templates included); Exception
documents waive at admission, inline annotations never waive a deny rule there."""

from __future__ import annotations

import datetime
import json
import pathlib

import pytest

from guardrails import Engine, Status
from guardrails.policy.load import load_rules
from guardrails.scan import scan_text
from guardrails.sources.admission import parse_review
from guardrails.webhook.admit import decide
from guardrails.webhook.rules import RuleBook
from tests import shared
from tests.admission_samples import NAMES, review
from tests.webhook.conftest import RULES, _rule

TODAY = datetime.date(2026, 11, 22)
# Without ../shared, NAMES is one placeholder whose test skips (fails in CI) in review().
JUDGED = [n for n in NAMES if not shared.available() or parse_review(review(n)).operation in ("CREATE", "UPDATE")]


def _key(f: object) -> tuple[str, str, str, tuple[object, ...]]:
    return (f.rule, f.status.value, f.message, f.path)  # type: ignore[attr-defined]


@pytest.mark.parametrize("rules", ["test-rules", "built-in"])
@pytest.mark.parametrize("name", JUDGED)
def test_admission_judges_like_a_scan(name: str, rules: str) -> None:
    compiled = RULES if rules == "test-rules" else load_rules([], builtin=True).rules
    request = parse_review(review(name))
    book = RuleBook.build(compiled, (), TODAY)
    outcome = decide(book, request, excluded=frozenset(), fail_open=False)
    obj = dict(request.object or {})
    # The scan sees the object as a file; give it the namespace the API server would.
    obj["metadata"] = {**obj.get("metadata", {}), "namespace": request.namespace}
    # The rules that judge this operation at admission, run the way `guardrails scan` runs them.
    same = [r for r in compiled if request.operation in r.operations]
    scanned = scan_text(json.dumps(obj), "object.json", Engine(same, today=TODAY, inline_waivers="admission"))
    assert sorted(map(_key, outcome.findings)) == sorted(map(_key, scanned.findings))


EXCEPTION = """\
apiVersion: guardrails.dev/v1
kind: Exception
metadata:
  name: legacy-api
spec:
  rules: [require-ownership-labels]
  match:
    namespaces: [customer-1]
    names: [api]
  reason: Migrating to the platform chart (PAY-123).
  expires: "2099-01-01"
"""


def test_exception_documents_waive_at_admission(tmp_path: pathlib.Path) -> None:
    (tmp_path / "exception.yaml").write_text(EXCEPTION)
    ruleset = load_rules([tmp_path], builtin=True)
    book = RuleBook.build(ruleset.rules, ruleset.waivers, TODAY)
    request = parse_review(review("policy-server__deployment_admission_review.json"))
    outcome = decide(book, request, excluded=frozenset(), fail_open=False)
    waived = {f.rule for f in outcome.findings if f.status is Status.WAIVED}
    assert waived == {"require-ownership-labels"}
    assert outcome.verdict is not None
    assert "require-ownership-labels" not in outcome.verdict.message
    assert outcome.verdict.message  # the other built-in rules still deny


def test_inline_annotation_waives_warn_rules_only() -> None:
    doc = review("user-group-psp-policy__statefulset_root_user.json")
    doc["request"]["object"]["metadata"]["annotations"] = {
        "guardrails.dev/ignore": "require-team,non-root-user", "guardrails.dev/ignore-reason": "legacy",
    }
    outcome = decide(RuleBook.build(RULES, (), TODAY), parse_review(doc), excluded=frozenset(), fail_open=False)
    assert outcome.verdict is not None
    assert outcome.verdict.message.startswith("require-team: ")  # deny: never waived by the object
    assert outcome.verdict.warnings == ()  # warn: the annotation may waive it
    assert {(f.rule, f.status.value) for f in outcome.findings} >= {("non-root-user", "waived"), ("require-team", "fail")}


def test_a_rule_can_ask_for_a_subresource() -> None:
    status_rule = _rule("replicas-cap", "deny", ["Deployment"], {"spec": {"replicas": "<10"}}, operations=["UPDATE"])
    from dataclasses import replace

    book = RuleBook.build([replace(status_rule, subresources=frozenset({"scale"}))], (), TODAY)
    doc = review("echo__update_accept.json")
    doc["request"]["subResource"] = "scale"
    doc["request"]["object"]["spec"]["replicas"] = 50
    outcome = decide(book, parse_review(doc), excluded=frozenset(), fail_open=False)
    assert outcome.verdict is not None and outcome.verdict.message.startswith("replicas-cap: ")
    doc["request"]["subResource"] = "status"
    assert decide(book, parse_review(doc), excluded=frozenset(), fail_open=False).skipped == "no-rules"
