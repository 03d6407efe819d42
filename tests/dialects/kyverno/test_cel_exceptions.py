"""Kyverno's CEL PolicyException (policies.kyverno.io): loaded beside its ValidatingPolicy, it
waives that policy for the objects its matchConditions hold on, in a scan and at admission
alike; a bad one is an error at its line."""

from __future__ import annotations

import datetime
import pathlib
from typing import Any

import pytest

from guardrails.engine import Engine
from guardrails.errors import GuardrailsError
from guardrails.model import Origin, Resource, Status
from guardrails.policy.load import load_rules
from guardrails.sources.admission import parse_review
from guardrails.webhook.admit import decide
from guardrails.webhook.rules import RuleBook

POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-team}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}
  validations:
  - expression: "'team' in object.metadata.?labels.orValue({})"
    message: the team label is required
"""

EXCEPTION = """\
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: legacy}
spec:
  policyRefs:
  - {name: require-team, kind: %s}
  matchConditions:
  - {name: legacy-namespace, expression: "object.metadata.namespace == 'legacy'"}
  - {name: not-secret, expression: "!object.metadata.name.startsWith('secret')"}
"""

TODAY = datetime.date(2026, 12, 3)


def _config_map(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}}


def _load(tmp_path: pathlib.Path, kind: str = "ValidatingPolicy") -> Any:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "exception.yaml").write_text(EXCEPTION % kind)
    return load_rules([tmp_path])


def _admit(book: RuleBook, obj: dict[str, Any]) -> bool:
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "1", "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"}, "operation": "CREATE",
        "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"],
        "userInfo": {"username": "dev"}, "object": obj}}
    outcome = decide(book, parse_review(review), excluded=frozenset(), fail_open=False)
    return outcome.verdict is None or outcome.verdict.allowed


# (name, namespace) -> waived (the exception's conditions all hold)
CASES = [("app", "legacy", True), ("secret-app", "legacy", False), ("app", "prod", False)]


@pytest.mark.parametrize(("name", "namespace", "waived"), CASES)
def test_scan_and_admission_both_honour_the_exception(tmp_path: pathlib.Path, name: str, namespace: str,
                                                      waived: bool) -> None:
    loaded = _load(tmp_path)
    assert [w.name for w in loaded.waivers] == ["legacy"]
    obj = _config_map(name, namespace)
    (found,) = Engine(loaded.rules, loaded.waivers, today=TODAY).evaluate(Resource(obj=obj, origin=Origin("cm.yaml")))
    assert found.status is (Status.WAIVED if waived else Status.FAIL)
    assert _admit(RuleBook.build(loaded.rules, loaded.waivers, TODAY), obj) is waived


def test_an_exception_for_another_kind_waives_nothing(tmp_path: pathlib.Path) -> None:
    loaded = _load(tmp_path, kind="ImageValidatingPolicy")
    (found,) = Engine(loaded.rules, loaded.waivers, today=TODAY).evaluate(
        Resource(obj=_config_map("app", "legacy"), origin=Origin("cm.yaml")))
    assert found.status is Status.FAIL


@pytest.mark.parametrize(("spec", "says"), [
    ("policyRefs: []", "policyRefs"),
    ("policyRefs: [{name: require-team, kind: ValidatingPolicy}]\n  images: [nginx]", "images"),
    ("policyRefs: [{name: require-team, kind: ValidatingPolicy}]\n  matchConditions: [{name: x, expression: 'object.('}]",
     "does not compile"),
])
def test_a_bad_exception_is_an_error_at_its_file(tmp_path: pathlib.Path, spec: str, says: str) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "exception.yaml").write_text(
        f"apiVersion: policies.kyverno.io/v1\nkind: PolicyException\nmetadata: {{name: bad}}\nspec:\n  {spec}\n")
    with pytest.raises(GuardrailsError) as e:
        loaded = load_rules([tmp_path])
        raise AssertionError(loaded)
    assert says in str(e.value) and "exception.yaml" in e.value.render()
