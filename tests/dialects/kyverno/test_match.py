"""match/exclude: any/all, kinds with group/version/wildcards, names, namespaces, selectors,
namespace selectors, operations and the requester."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.dialects.kyverno import match

POD = match.Target(group="", version="v1", kind="Pod", name="web-1", namespace="prod",
                   labels={"app": "web", "tier": "front"}, annotations={"owner": "team-a"},
                   operation="CREATE", namespace_labels={"env": "prod"}, admission=None)
DEPLOY = match.Target(group="apps", version="v1", kind="Deployment", name="web", namespace="dev",
                      labels={}, annotations={}, operation="UPDATE", namespace_labels=None, admission=None)
ADMIN = match.Admission(username="system:serviceaccount:ci:deployer", groups=("system:authenticated",),
                        roles=("ci:deployer",), cluster_roles=("cluster-admin",))


def res(**kw: Any) -> dict[str, Any]:
    return {"resources": kw}


CASES: list[tuple[str, Any, Any, match.Target, bool]] = [
    ("kind", res(kinds=["Pod"]), None, POD, True),
    ("kind-other", res(kinds=["Deployment"]), None, POD, False),
    ("kind-version", res(kinds=["v1/Pod"]), None, POD, True),
    ("kind-gvk", res(kinds=["apps/v1/Deployment"]), None, DEPLOY, True),
    ("kind-gvk-wrong-group", res(kinds=["batch/v1/Deployment"]), None, DEPLOY, False),
    ("kind-wildcard", res(kinds=["*"]), None, DEPLOY, True),
    ("kind-glob", res(kinds=["Dep*"]), None, DEPLOY, True),
    ("kind-subresource-only", res(kinds=["Pod/exec"]), None, POD, False),
    ("names", res(kinds=["Pod"], names=["web-*"]), None, POD, True),
    ("name", res(kinds=["Pod"], name="api"), None, POD, False),
    ("namespaces", res(kinds=["Pod"], namespaces=["pr?d"]), None, POD, True),
    ("namespaces-miss", res(kinds=["Pod"], namespaces=["dev"]), None, POD, False),
    ("selector", res(kinds=["Pod"], selector={"matchLabels": {"app": "web"}}), None, POD, True),
    ("selector-wildcard", res(kinds=["Pod"], selector={"matchLabels": {"ti*": "fr*"}}), None, POD, True),
    ("selector-expr", res(kinds=["Pod"], selector={"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}), None, POD, False),
    ("annotations", res(kinds=["Pod"], annotations={"own*": "team-?"}), None, POD, True),
    ("ns-selector", res(kinds=["Pod"], namespaceSelector={"matchLabels": {"env": "dev"}}), None, POD, False),
    ("ns-selector-unknown-labels", res(kinds=["Deployment"], namespaceSelector={"matchLabels": {"env": "x"}}), None, DEPLOY, True),
    ("operations", res(kinds=["Deployment"], operations=["CREATE"]), None, DEPLOY, False),
    ("any", {"any": [res(kinds=["Deployment"]), res(kinds=["Pod"])]}, None, POD, True),
    ("all", {"all": [res(kinds=["Pod"]), res(namespaces=["dev"])]}, None, POD, False),
    ("empty-any-filter", {"any": [{}]}, None, POD, False),
    ("exclude", res(kinds=["Pod"]), res(namespaces=["prod"]), POD, False),
    ("exclude-any", res(kinds=["Pod"]), {"any": [res(namespaces=["x"]), res(names=["web-*"])]}, POD, False),
    ("exclude-all-partial", res(kinds=["Pod"]), {"all": [res(namespaces=["prod"]), res(names=["x"])]}, POD, True),
    ("exclude-roles-without-requester", res(kinds=["Pod"]), {"clusterRoles": ["cluster-admin"]}, POD, True),
    ("match-subjects-dropped-without-requester", {"any": [{"resources": {"kinds": ["Pod"]}, "subjects": [{"kind": "User", "name": "bob"}]}]}, None, POD, True),
]


@pytest.mark.parametrize(("m", "x", "t", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_filters(m: Any, x: Any, t: match.Target, want: bool) -> None:
    assert match.compile_filters(m, x)(t) is want


@pytest.mark.parametrize(
    ("block", "want"),
    [({"clusterRoles": ["cluster-admin"]}, True), ({"roles": ["ci:other"]}, False),
     ({"subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}]}, True),
     ({"subjects": [{"kind": "Group", "name": "system:auth*"}]}, True),
     ({"subjects": [{"kind": "User", "name": "bob"}]}, False)],
)
def test_requester(block: dict[str, Any], want: bool) -> None:
    import dataclasses

    t = dataclasses.replace(POD, admission=ADMIN)
    # excluded when the requester matches
    assert match.compile_filters(res(kinds=["Pod"]), {"any": [block]})(t) is (not want)


def test_policy_namespace() -> None:
    assert match.compile_filters(res(kinds=["Pod"]), None, policy_namespace="prod")(POD)
    assert not match.compile_filters(res(kinds=["Pod"]), None, policy_namespace="dev")(POD)


@pytest.mark.parametrize(
    ("text", "parts"),
    [("Pod", ("*", "*", "Pod", "")), ("v1/Pod", ("*", "v1", "Pod", "")), ("apps/v1/Deployment", ("apps", "v1", "Deployment", "")),
     ("Pod/exec", ("*", "*", "Pod", "exec")), ("Pod.status", ("*", "*", "Pod", "status")), ("*/*", ("*", "*", "*", "*")),
     ("networking.k8s.io/v1/Ingress", ("networking.k8s.io", "v1", "Ingress", ""))],
)
def test_parse_kind(text: str, parts: tuple[str, str, str, str]) -> None:
    assert match.parse_kind(text) == parts
