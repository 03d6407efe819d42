"""ValidatingAdmissionPolicy and its Binding, loaded from rule files and judged by the engine;
and a Kyverno ValidatingPolicy twin of every CEL policy in the conformance data gives the same
verdicts on the same resources."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.dialects import vap
from guardrails.dialects.kyverno import vpol
from guardrails.engine import Engine
from guardrails.errors import RuleFileError
from guardrails.model import Action, Origin, Resource, Status
from guardrails.policy.load import lint_rules, load_rules
from tests import shared

POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  matchConditions:
  - name: not-exempt
    expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)"
  variables:
  - name: limit
    expression: int(params.data.max)
  validations:
  - expression: object.spec.replicas <= variables.limit
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' > ' + string(variables.limit)"
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-prod}
spec:
  policyName: replicas
  validationActions: [Deny]
  paramRef: {name: limits, namespace: policy, parameterNotFoundAction: Deny}
  matchResources:
    namespaceSelector: {matchLabels: {env: prod}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-dev}
spec:
  policyName: replicas
  validationActions: [Warn, Audit]
  paramRef: {name: missing, namespace: policy, parameterNotFoundAction: Allow}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: policy}
data: {max: "5"}
"""


def deployment(replicas: int, *, labels: dict[str, str] | None = None, ns_labels: dict[str, str] | None = None) -> Resource:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "d", "namespace": "shop", "labels": labels or {}}, "spec": {"replicas": replicas}}
    return Resource(obj=obj, origin=Origin("d.yaml"), namespace_labels=ns_labels)


@pytest.fixture
def rules(tmp_path: pathlib.Path) -> Any:
    (tmp_path / "vap.yaml").write_text(POLICY)
    return load_rules([tmp_path])


def _by_rule(rules: Any, resource: Resource) -> dict[str, Any]:
    return {r.rule: r for r in Engine(rules.rules).results(resource)}


def test_one_rule_per_binding_with_its_action(rules: Any) -> None:
    by_name = {r.name: r for r in rules.rules}
    assert set(by_name) == {"replicas/replicas-prod", "replicas/replicas-dev"}
    assert by_name["replicas/replicas-prod"].action is Action.DENY
    assert by_name["replicas/replicas-dev"].action is Action.WARN
    assert by_name["replicas/replicas-prod"].kinds == frozenset({"Deployment"})


@pytest.mark.parametrize(("replicas", "labels", "ns_labels", "prod", "dev"), [
    (9, None, {"env": "prod"}, Status.FAIL, Status.SKIP),
    (3, None, {"env": "prod"}, Status.PASS, Status.SKIP),
    (9, {"exempt": "yes"}, {"env": "prod"}, Status.SKIP, Status.SKIP),
    (9, None, {"env": "dev"}, Status.SKIP, Status.SKIP),
])
def test_verdicts(rules: Any, replicas: int, labels: Any, ns_labels: Any, prod: Status, dev: Status) -> None:
    found = _by_rule(rules, deployment(replicas, labels=labels, ns_labels=ns_labels))
    assert found["replicas/replicas-prod"].status is prod
    assert found["replicas/replicas-dev"].status is dev
    if prod is Status.FAIL:
        assert found["replicas/replicas-prod"].violations[0].message == "replicas 9 > 5"


def test_resources_are_matched_by_resource_name(rules: Any) -> None:
    pod = Resource(obj={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}, origin=Origin("p.yaml"))
    assert Engine(rules.rules).results(pod) == []
    old = deployment(9, ns_labels={"env": "prod"})
    moved = Resource(obj={**old.obj, "apiVersion": "extensions/v1beta1"}, origin=old.origin,
                     namespace_labels=old.namespace_labels)
    assert _by_rule(rules, moved)["replicas/replicas-prod"].status is Status.FAIL  # matchPolicy Equivalent


def test_missing_params_deny_when_the_binding_says_so(tmp_path: pathlib.Path) -> None:
    (tmp_path / "vap.yaml").write_text(POLICY.replace("name: limits, namespace: policy, parameterNotFoundAction: Deny",
                                                      "name: nowhere, parameterNotFoundAction: Deny"))
    found = _by_rule(load_rules([tmp_path]), deployment(1, ns_labels={"env": "prod"}))
    assert found["replicas/replicas-prod"].status is Status.ERROR
    assert "no params found" in found["replicas/replicas-prod"].violations[0].message


def test_an_unbound_policy_is_judged_as_deny_with_a_warning(tmp_path: pathlib.Path) -> None:
    (tmp_path / "vap.yaml").write_text(POLICY.split("---")[0].replace("  paramKind: {apiVersion: v1, kind: ConfigMap}\n", "")
                                       .replace("int(params.data.max)", "int('5')"))
    ruleset, problems = lint_rules([tmp_path])
    assert problems == []
    (rule,) = ruleset.rules
    assert rule.name == "replicas" and rule.action is Action.DENY
    assert any("no binding" in w.message for w in ruleset.warnings)


@pytest.mark.parametrize(("broken", "needle"), [
    ("object.spec.replicas <= variables.limit", "object.spec.replicas <= variables.nope"),
    ("object.spec.replicas <= variables.limit", "object.spec.replicas <= ("),
])
def test_bad_cel_is_an_error_naming_file_line_and_field(tmp_path: pathlib.Path, broken: str, needle: str) -> None:
    (tmp_path / "vap.yaml").write_text(POLICY.replace(broken, needle))
    with pytest.raises(RuleFileError) as e:
        load_rules([tmp_path])
    assert "spec.validations[0].expression" in e.value.message
    assert e.value.location is not None and e.value.location.path.endswith("vap.yaml") and e.value.location.line == 19


def test_authorizer_is_a_visible_skip(tmp_path: pathlib.Path) -> None:
    text = POLICY.split("---")[0].replace("  paramKind: {apiVersion: v1, kind: ConfigMap}\n", "").replace(
        "object.spec.replicas <= variables.limit", "authorizer.group('apps').resource('deployments').check('scale').allowed()")
    (tmp_path / "vap.yaml").write_text(text.replace("int(params.data.max)", "int('5')"))
    (rule,) = load_rules([tmp_path]).rules
    (result,) = Engine([rule]).results(deployment(1))
    assert result.status is Status.SKIP and "authorizer" in result.violations[0].message


# --- twins ---------------------------------------------------------------------------------

_KYVERNO_LIBS = ("resource.", "image.", "http.", "globalContext.", "parseServiceAccount", "envoy.", "time.")


def _vpol_docs() -> list[tuple[pathlib.Path, dict[str, Any]]]:
    out = []
    for folder in ("kyverno-cel", "vap"):
        root = shared.path("conformance", folder)
        if not (root / "index.json").is_file():
            continue
        for suite in json.loads((root / "index.json").read_text())["suites"]:
            for p in suite["policies"]:
                for d in yaml.safe_load_all((root / p).read_text()):
                    text = json.dumps(d)
                    if (isinstance(d, dict) and d.get("kind") == "ValidatingPolicy"
                            and not any(lib in text for lib in _KYVERNO_LIBS)
                            and (d["spec"].get("evaluation") or {}).get("mode", "Kubernetes") == "Kubernetes"):
                        out.append((root / suite["test"], d))
    return out


def _resources(test: pathlib.Path) -> list[dict[str, Any]]:
    doc = next(d for d in yaml.safe_load_all(test.read_text()) if d)
    out = []
    for r in doc.get("resources") or []:
        out.extend(d for d in yaml.safe_load_all((test.parent / r).read_text()) if isinstance(d, dict) and d.get("kind"))
    return out


TWINS = _vpol_docs()


def test_twins_are_there() -> None:
    shared.require("conformance")
    assert len(TWINS) >= 40, "conformance data missing"


@pytest.mark.parametrize(("test", "doc"), TWINS, ids=[d["metadata"]["name"] + "@" + t.parent.parent.name for t, d in TWINS])
def test_a_validating_policy_and_its_vap_twin_agree(test: pathlib.Path, doc: dict[str, Any]) -> None:
    policy = vpol.compile_validating_policy(doc)
    spec = {k: v for k, v in doc["spec"].items() if k in ("matchConstraints", "matchConditions", "variables",
                                                           "validations", "auditAnnotations", "failurePolicy")}
    twin = vap.compile_policy({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
                               "metadata": doc["metadata"], "spec": spec}, lambda _p: None)  # type: ignore[arg-type,return-value]
    compared = 0
    for obj in _resources(test):
        if obj.get("kind") in policy.controllers:
            continue  # autogen is Kyverno's own: a VAP does not look into pod templates
        for op in ("CREATE", "UPDATE", "DELETE"):
            res = Resource(obj=obj, origin=Origin("r.yaml"), request={"operation": op},
                           old_obj=obj if op != "CREATE" else None)
            mine = policy.outcome(res)
            theirs = vap.outcomes(twin, None, res, ())
            assert (mine is None) == (theirs is None), obj["metadata"]
            if mine is not None and theirs is not None:
                assert [(o.status, o.messages) for o in theirs] == [(mine.status, mine.messages)]
                compared += 1
    assert compared or all(o.get("kind") in policy.controllers for o in _resources(test))
