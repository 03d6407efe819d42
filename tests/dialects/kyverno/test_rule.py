"""Kyverno rules end to end on resources: preconditions, deny, pattern messages, foreach,
anyPattern, Enforce on UPDATE, DELETE, context variables, unsupported rules."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.dialects.kyverno.policy import compile_policy
from guardrails.model import Origin, Resource, Status

P, F, S, E = Status.PASS, Status.FAIL, Status.SKIP, Status.ERROR


def policy(*rules: dict[str, Any], action: str = "Audit", annotations: dict[str, str] | None = None) -> Any:
    return compile_policy({
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "p", "annotations": annotations or {}},
        "spec": {"validationFailureAction": action, "rules": list(rules)},
    })


def rule(validate: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "r", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]}, "validate": validate, **extra}


def pod(**spec: Any) -> dict[str, Any]:
    base = {"containers": [{"name": "app", "image": "nginx:1.25"}, {"name": "side", "image": "busybox:latest"}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
            "spec": {**base, **spec}}


def res(obj: dict[str, Any], op: str = "CREATE", **kw: Any) -> Resource:
    return Resource(obj=obj, origin=Origin("t.yaml"), request={"operation": op, **kw.pop("request", {})}, **kw)


def answer(p: Any, r: Resource, name: str = "r", values: dict[str, Any] | None = None) -> Any:
    (info,) = [i for i in p.rules if i.rule.name == name]
    return info.rule.respond(r, values)


NO_LATEST = {"message": "Use a pinned tag", "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}}}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], Status, str]] = [
    ("pattern-fail", rule(NO_LATEST), pod(), F,
     "validation error: Use a pinned tag. rule r failed at path /spec/containers/1/image/"),
    ("pattern-pass", rule(NO_LATEST), pod(containers=[{"name": "a", "image": "x:1"}]), P, "validation rule 'r' passed."),
    ("precondition-skip", rule(NO_LATEST, preconditions={"all": [{"key": "{{ request.object.metadata.labels.app }}", "operator": "Equals", "value": "api"}]}),
     pod(), S, "preconditions not met"),
    ("precondition-error", rule(NO_LATEST, preconditions={"all": [{"key": "{{ request.object.metadata.labels.team }}", "operator": "Equals", "value": "a"}]}),
     pod(), E, "failed to evaluate preconditions"),
    ("deny-message-variables", rule({"message": "{{ request.object.metadata.name }} uses hostPID",
                                     "deny": {"conditions": {"any": [{"key": "{{ request.object.spec.hostPID || `false` }}", "operator": "Equals", "value": True}]}}}),
     pod(hostPID=True), F, "web uses hostPID"),
    ("deny-pass", rule({"deny": {"conditions": {"all": [{"key": "{{ request.object.spec.hostPID || `false` }}", "operator": "Equals", "value": True}]}}}),
     pod(), P, "validation rule 'r' passed."),
    ("deny-no-message", rule({"deny": {"conditions": [{"key": "a", "operator": "Equals", "value": "a"}]}}), pod(), F,
     "validation error: rule r failed"),
    ("anypattern-fail", rule({"message": "need one", "anyPattern": [{"spec": {"hostNetwork": True}}, {"metadata": {"labels": {"app": "api"}}}]}),
     pod(), F, "validation error: need one. rule r[0] failed at path /spec/hostNetwork/ rule r[1] failed at path /metadata/labels/app/"),
    ("anypattern-pass", rule({"anyPattern": [{"spec": {"hostNetwork": True}}, {"metadata": {"labels": {"app": "web"}}}]}),
     pod(), P, "validation rule 'r' anyPattern[1] passed."),
    ("pattern-with-variable", rule({"pattern": {"metadata": {"name": "{{ request.object.metadata.labels.app }}"}}}), pod(), P, ""),
    ("foreach-deny", rule({"message": "{{ element.name }} is latest", "foreach": [
        {"list": "request.object.spec.containers", "deny": {"conditions": {"any": [{"key": "{{ element.image }}", "operator": "Equals", "value": "*:latest"}]}}}]}),
     pod(), F, "validation failure: side is latest"),
    ("foreach-pattern-element-scope", rule({"foreach": [{"list": "request.object.spec.containers", "pattern": {"image": "!*:latest"}}]}),
     pod(), F, "validation failure: validation error: rule r failed at path /image/"),
    ("foreach-not-scoped", rule({"foreach": [{"list": "request.object.spec.containers", "elementScope": False,
                                              "pattern": {"metadata": {"name": "web"}}}]}), pod(), P, "rule passed"),
    ("foreach-index", rule({"foreach": [{"list": "request.object.spec.containers", "deny": {"conditions": {"any": [
        {"key": "{{ elementIndex }}", "operator": "GreaterThan", "value": 0}]}}}]}), pod(), F, "validation failure: validation error: rule r failed"),
    ("foreach-preconditions-skip-all", rule({"foreach": [{"list": "request.object.spec.containers",
        "preconditions": {"all": [{"key": "{{ element.name }}", "operator": "Equals", "value": "nope"}]},
        "deny": {"conditions": {"any": [{"key": "a", "operator": "Equals", "value": "a"}]}}}]}), pod(), S, "rule skipped"),
    # Kyverno's validateForEach: a foreach that applied to no element is the rule's skip.
    ("foreach-missing-list", rule({"foreach": [{"list": "request.object.spec.initContainers", "pattern": {"image": "x"}}]}),
     pod(), S, "rule skipped"),
    ("foreach-nested", rule({"foreach": [{"list": "request.object.spec.containers", "foreach": [
        {"list": "element.ports", "deny": {"conditions": {"any": [{"key": "{{ element1.containerPort }}", "operator": "LessThan", "value": 1024}]}}}]}]}),
     pod(containers=[{"name": "a", "image": "x", "ports": [{"containerPort": 8080}, {"containerPort": 80}]}]), F,
     "validation failure: validation failure: validation error: rule r failed"),
    ("context-variable", rule({"deny": {"conditions": {"any": [{"key": "{{ n }}", "operator": "GreaterThan", "value": 1}]}}},
                              context=[{"name": "n", "variable": {"jmesPath": "length(request.object.spec.containers)"}}]),
     pod(), F, "validation error: rule r failed"),
]


@pytest.mark.parametrize(("r", "obj", "status", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(r: dict[str, Any], obj: dict[str, Any], status: Status, message: str) -> None:
    got = answer(policy(r), res(obj))
    if message == "no answer":
        assert got is None
        return
    assert got is not None and got.status is status, got
    assert message in got.message


def test_autogen_rule_judges_deployment_paths() -> None:
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "prod"},
           "spec": {"template": {"metadata": {}, "spec": pod()["spec"]}}}
    p = policy(rule(NO_LATEST))
    assert answer(p, res(dep)) is None  # the Pod rule does not select a Deployment
    got = answer(p, res(dep), "autogen-r")
    assert got.status is F and got.message.endswith("rule autogen-r failed at path /spec/template/spec/containers/1/image/")
    assert got.path == ("spec", "template", "spec", "containers", 1, "image")


def test_enforce_update_keeps_existing_violations() -> None:
    enforce, audit = policy(rule(NO_LATEST), action="Enforce"), policy(rule(NO_LATEST))
    update = res(pod(), "UPDATE", old_obj=pod())
    assert answer(enforce, update).status is S
    assert answer(audit, update).status is F
    fixed_before = res(pod(), "UPDATE", old_obj=pod(containers=[{"name": "a", "image": "x:1"}]))
    assert answer(enforce, fixed_before).status is F


def test_delete_has_no_object_to_pattern_match() -> None:
    p = policy(rule(NO_LATEST, match={"any": [{"resources": {"kinds": ["Pod"], "operations": ["DELETE"]}}]}))
    assert answer(p, res(pod(), "DELETE")) is None


def test_values_and_service_account() -> None:
    r = rule({"deny": {"conditions": {"any": [{"key": "{{ serviceAccountName }}", "operator": "NotEquals", "value": "builder"}]}}})
    p = policy(r)
    assert answer(p, res(pod()), values={"serviceAccountName": "builder"}).status is P
    sa = res(pod(), request={"userInfo": {"username": "system:serviceaccount:ci:builder"}})
    assert answer(p, sa).status is P
    assert answer(p, res(pod())).status is E  # no requester: the variable does not exist


@pytest.mark.parametrize(
    ("extra", "reason"),
    [({"mutate": {"patchStrategicMerge": {}}}, "mutate"),
     ({"verifyImages": [{"imageReferences": ["*"]}]}, "verifyImages"),
     ({"context": [{"name": "cm", "configMap": {"name": "x", "namespace": "y"}}]}, "configMap"),
     ({"validate": {"manifests": {"attestors": []}}}, "manifests")],
)
def test_unsupported_rules_skip_with_reason(extra: dict[str, Any], reason: str) -> None:
    p = policy({**rule(NO_LATEST), **extra})
    info = p.rules[0]
    assert info.rule.unsupported and reason in info.rule.unsupported
    got = answer(p, res(pod()))
    assert got.status is S and reason in got.message


@pytest.mark.parametrize(
    ("rules", "problem"),
    [([{"match": {}}], "rule needs a name"),
     ([{"name": "x"}], "needs a match block"),
     ([rule({"deny": {"conditions": {"any": [{"key": "a", "operator": "Equalz", "value": "a"}]}}})], "unknown operator"),
     ([rule({"anyPattern": {"a": 1}})], "anyPattern must be a list"),
     ([rule({"foreach": [{"pattern": {}}]})], "list expression"),
     ([], "non-empty list")],
)
def test_policy_problems(rules: list[Any], problem: str) -> None:
    p = policy(*rules)
    assert any(problem in pr.message for pr in p.problems), p.problems
