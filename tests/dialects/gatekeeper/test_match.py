from __future__ import annotations

from typing import Any

import pytest

from guardrails.dialects.gatekeeper import match
from guardrails.model import Origin, Resource


def res(kind: str = "Pod", api: str = "v1", ns: str | None = "default", name: str = "p", labels: Any = None,
        ns_labels: Any = None) -> Resource:
    meta: dict[str, Any] = {"name": name}
    if ns is not None:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    return Resource({"apiVersion": api, "kind": kind, "metadata": meta}, Origin("t.yaml"), namespace_labels=ns_labels)


CASES = [
    ("no match block", None, res(), True),
    ("kind in core group", {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}, res(), True),
    ("kind in other group", {"kinds": [{"apiGroups": ["apps"], "kinds": ["Pod"]}]}, res(), False),
    ("group wildcard", {"kinds": [{"apiGroups": ["*"], "kinds": ["Deployment"]}]}, res("Deployment", "apps/v1"), True),
    ("kinds empty = all kinds", {"kinds": [{"apiGroups": ["apps"]}]}, res("Deployment", "apps/v1"), True),
    ("other kind", {"kinds": [{"apiGroups": [""], "kinds": ["Service"]}]}, res(), False),
    ("namespace prefix", {"namespaces": ["kube-*"]}, res(ns="kube-system"), True),
    ("namespace suffix", {"namespaces": ["*-system"]}, res(ns="gatekeeper-system"), True),
    ("namespace miss", {"namespaces": ["prod"]}, res(ns="dev"), False),
    ("no namespace cannot be ruled out", {"namespaces": ["prod"]}, res(ns=None), True),
    ("Namespace object matches by its name", {"namespaces": ["prod"]}, res("Namespace", ns=None, name="dev"), False),
    ("excluded", {"excludedNamespaces": ["kube-*"]}, res(ns="kube-public"), False),
    ("not excluded", {"excludedNamespaces": ["kube-*"]}, res(ns="apps"), True),
    ("label selector", {"labelSelector": {"matchLabels": {"a": "b"}}}, res(labels={"a": "b"}), True),
    ("label selector miss", {"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}, res(), False),
    ("namespace selector unknown labels", {"namespaceSelector": {"matchLabels": {"env": "prod"}}}, res(), True),
    ("namespace selector known", {"namespaceSelector": {"matchLabels": {"env": "prod"}}}, res(ns_labels={"env": "dev"}), False),
    ("namespace selector on Namespace", {"namespaceSelector": {"matchLabels": {"env": "prod"}}},
     res("Namespace", ns=None, labels={"env": "prod"}), True),
    ("namespace selector ignores cluster objects", {"namespaceSelector": {"matchLabels": {"x": "y"}}},
     res("ClusterRole", "rbac.authorization.k8s.io/v1", ns=None), True),
    ("scope Cluster", {"scope": "Cluster"}, res(), False),
    ("scope Cluster, Namespace", {"scope": "Cluster"}, res("Namespace", ns=None), True),
    ("scope Namespaced", {"scope": "Namespaced"}, res(), True),
    ("name glob", {"name": "p*"}, res(name="pod-a"), True),
    ("name miss", {"name": "x"}, res(name="pod-a"), False),
]


@pytest.mark.parametrize(("block", "resource", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_match(block: Any, resource: Resource, expected: bool) -> None:
    assert match.compile_match(block)(resource) is expected


@pytest.mark.parametrize(
    ("block", "path"),
    [
        ({"kinds": "Pod"}, ("kinds",)),
        ({"namespaces": "prod"}, ("namespaces",)),
        ({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}, ("labelSelector",)),
    ],
)
def test_bad_match_blocks(block: Any, path: tuple[str, ...]) -> None:
    with pytest.raises(match.MatchError) as e:
        match.compile_match(block)
    assert e.value.path == path
