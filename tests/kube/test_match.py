"""`match`/`exclude` blocks: kinds with group/version and globs, namespaces, names, selectors."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.kube.match import compile_match
from guardrails.model import Origin, Resource

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web-frontend", "namespace": "shop-prod", "labels": {"tier": "web", "team": "a"}},
}
UNNAMESPACED = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}
KUBE_SYSTEM = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}


@pytest.mark.parametrize(
    ("block", "obj", "expected"),
    [
        ({"kinds": ["Deployment"]}, DEPLOY, True),
        ({"kinds": ["apps/v1/Deployment"]}, DEPLOY, True),
        ({"kinds": ["apps/*/Deployment"]}, DEPLOY, True),
        ({"kinds": ["v1/Deployment"]}, DEPLOY, True),
        ({"kinds": ["extensions/v1beta1/Deployment"]}, DEPLOY, False),
        ({"kinds": ["*"]}, DEPLOY, True),
        ({"kinds": ["Stateful*"]}, DEPLOY, False),
        ({"kinds": ["v1/ConfigMap"]}, UNNAMESPACED, True),
        ({"namespaces": ["shop-*"]}, DEPLOY, True),
        ({"namespaces": ["kube-*"]}, DEPLOY, False),
        ({"excludeNamespaces": ["*-prod"]}, DEPLOY, False),
        # no namespace in the manifest: namespace filters cannot rule it out
        ({"namespaces": ["prod"]}, UNNAMESPACED, True),
        ({"excludeNamespaces": ["default"]}, UNNAMESPACED, True),
        # a Namespace object is in its own namespace, as Kyverno and Gatekeeper see it
        ({"excludeNamespaces": ["kube-system"]}, KUBE_SYSTEM, False),
        ({"excludeNamespaces": ["kube-*"]}, KUBE_SYSTEM, False),
        ({"excludeNamespaces": ["default"]}, KUBE_SYSTEM, True),
        ({"namespaces": ["kube-system"]}, KUBE_SYSTEM, True),
        ({"namespaces": ["prod"]}, KUBE_SYSTEM, False),
        ({"names": ["web-*"]}, DEPLOY, True),
        ({"names": ["api"]}, DEPLOY, False),
        ({"selector": {"matchLabels": {"tier": "web"}}}, DEPLOY, True),
        ({"selector": {"matchLabels": {"tier": "db"}}}, DEPLOY, False),
        ({"selector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}]}}, DEPLOY, True),
        ({"selector": {"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]}}, DEPLOY, False),
        ({"selector": {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}}, DEPLOY, True),
        ({"selector": {"matchExpressions": [{"key": "env", "operator": "Exists"}]}}, DEPLOY, False),
        ({"kinds": ["Deployment"], "names": ["api"]}, DEPLOY, False),  # every test must hold
        ({"operations": ["DELETE"]}, DEPLOY, False),  # a file is judged as a CREATE
        ({"operations": ["CREATE", "UPDATE"]}, DEPLOY, True),
    ],
)
def test_match_block(block: dict[str, Any], obj: dict[str, Any], expected: bool) -> None:
    assert compile_match(block, empty=True)(Resource(obj=obj, origin=Origin("x"))) is expected


def test_absent_block_matches_for_match_and_not_for_exclude() -> None:
    r = Resource(obj=DEPLOY, origin=Origin("x"))
    assert compile_match(None, empty=True)(r) is True
    assert compile_match(None, empty=False)(r) is False


@pytest.mark.parametrize(
    "selector",
    [
        {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]},
        {"matchExpressions": [{"key": "a", "operator": "In"}]},
    ],
)
def test_bad_selector_is_an_error(selector: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        compile_match({"selector": selector}, empty=True)


def test_one_view_per_resource_shared_by_every_dialect() -> None:
    """Native, Kyverno and Gatekeeper matchers read one view, built once per resource."""
    import dataclasses

    from guardrails.dialects.gatekeeper.match import compile_match as gatekeeper_match
    from guardrails.dialects.kyverno.rule import target_of
    from guardrails.kube.match import view_of

    r = Resource(KUBE_SYSTEM, Origin("ns.yaml"))
    view = view_of(r)
    assert compile_match({"excludeNamespaces": ["kube-system"]}, empty=True)(r) is False
    assert gatekeeper_match({"excludedNamespaces": ["kube-*"]})(r) is False
    assert target_of(r) is target_of(r) and target_of(r).match_namespace == "kube-system"
    assert view_of(r) is view and set(view.variants) == {"kyverno"}
    renamed = dataclasses.replace(r, obj={**KUBE_SYSTEM, "metadata": {"name": "apps"}})
    assert view_of(renamed).match_namespace == "apps"  # a copy never inherits the old view
