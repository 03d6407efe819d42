"""Hypothesis strategies shared by the property tests: rule documents and their mutations,
manifests, and adversarial values."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The suite runs on 2 cores: modest example counts, no per-example deadline (the first
# example pays imports and compilation).
PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- adversarial values ---------------------------------------------------------------------

HUGE_INT = 10**400  # past what the API server (and our reader) constructs
LONG = "x" * 100_000


def nested(depth: int, leaf: Any = "x") -> Any:
    out: Any = leaf
    for i in range(depth):
        out = [out] if i % 2 else {"a": out}
    return out


ADVERSARIAL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(HUGE_INT),
    st.just(-HUGE_INT),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.just(LONG),
    st.just(""),
    st.just("\x00\u202e\n"),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
    st.builds(nested, st.sampled_from([5, 60, 300])),
)


# --- rule documents -------------------------------------------------------------------------

def native_rule(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "guardrails.dev/v1",
        "kind": "Rule",
        "metadata": {"name": name},
        "spec": {"severity": "high", "match": {"kinds": ["Pod"]}, "requiredLabels": ["team"]},
    }


def native_pattern(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "guardrails.dev/v1",
        "kind": "Rule",
        "metadata": {"name": name},
        "spec": {
            "severity": "medium",
            "match": {"kinds": ["Pod"]},
            "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}},
        },
    }


def kyverno_policy(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name},
        "spec": {
            "validationFailureAction": "Enforce",
            "rules": [
                {
                    "name": "no-privileged",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "validate": {
                        "message": "privileged containers are not allowed",
                        "pattern": {"spec": {"containers": [{"=(securityContext)": {"=(privileged)": "false"}}]}},
                    },
                }
            ],
        },
    }


def kyverno_mutate(name: str) -> dict[str, Any]:
    """A kind we know and cannot evaluate: it loads as a rule whose every match is a SKIP."""
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name},
        "spec": {
            "rules": [
                {
                    "name": "add-label",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "mutate": {"patchStrategicMerge": {"metadata": {"labels": {"team": "x"}}}},
                }
            ]
        },
    }


def config_map(name: str) -> dict[str, Any]:
    """A neighbour: an object that lives beside policies."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"max": "3"}}


POD_RULES = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}]


def validating_policy(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "policies.kyverno.io/v1alpha1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": name},
        "spec": {
            "matchConstraints": {"resourceRules": POD_RULES},
            "validations": [{"expression": "object.metadata.?labels.team.hasValue()", "message": "team label"}],
        },
    }


def admission_policy(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "matchConstraints": {"resourceRules": POD_RULES},
            "validations": [{"expression": "object.spec.containers.all(c, c.image != '')", "message": "image"}],
        },
    }


def gatekeeper_template(name: str) -> dict[str, Any]:
    """Named for its kind, as Gatekeeper requires: several in one file are duplicates (an error
    each after the first), which the ledger counts like any other outcome."""
    return {
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": "k8sreqteam"},
        "spec": {
            "crd": {"spec": {"names": {"kind": "K8sReqTeam"}}},
            "targets": [
                {
                    "target": "admission.k8s.gatekeeper.sh",
                    "rego": "package k8sreqteam\nviolation[{\"msg\": \"team label\"}] {\n  not input.review.object.metadata.labels.team\n}\n",
                }
            ],
        },
    }


def gatekeeper_constraint(name: str) -> dict[str, Any]:
    """Loads when the file also holds its template, else an error naming the missing kind."""
    return {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": "K8sReqTeam",
        "metadata": {"name": name},
        "spec": {"match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}},
    }


BASES: tuple[Callable[[str], dict[str, Any]], ...] = (
    native_rule,
    native_pattern,
    kyverno_policy,
    kyverno_mutate,
    config_map,
    validating_policy,
    admission_policy,
    gatekeeper_template,
    gatekeeper_constraint,
)
# Bases whose untouched copy must load under its own name whatever else the file holds (a
# Gatekeeper template or constraint depends on its partner, a mutate rule is a skip).
ALWAYS_LOADS = {native_rule, native_pattern, kyverno_policy, validating_policy, admission_policy}

API_TYPOS = ["guardrail.dev/v1", "guardrails.dev/v2", "kyvern.io/v1", "kyverno.io/v9", "templates.gatekeeper.sh/v1beta9", "", "v1"]
KIND_TYPOS = ["Rul", "rule", "ClusterPolicie", "Policyy", "ConstraintTemplat", "ClusterPolicyList", "", "Rule "]


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of the tree (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.append((*prefix, k))
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out.append((*prefix, i))
            out.extend(paths(v, (*prefix, i)))
    return out


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any] | Any:
    """The document with one mutation: a typo'd apiVersion or kind, a field dropped, a value
    of the wrong type, a huge int, deep nesting. Never null and never a list at the top (those
    are empty documents and wrappers, counted apart)."""
    doc = copy.deepcopy(doc)
    how = draw(st.sampled_from(["apiVersion", "kind", "drop", "retype", "huge", "deep", "whole"]))
    if how == "apiVersion":
        doc["apiVersion"] = draw(st.one_of(st.sampled_from(API_TYPOS), ADVERSARIAL))
    elif how == "kind":
        doc["kind"] = draw(st.one_of(st.sampled_from(KIND_TYPOS), ADVERSARIAL))
    elif how == "whole":
        return draw(st.one_of(st.integers(), st.text(max_size=8), st.booleans(), st.just(HUGE_INT)))
    else:
        where = draw(st.sampled_from(paths(doc)))
        parent = _parent(doc, where)
        if how == "drop":
            del parent[where[-1]]
        elif how == "retype":
            parent[where[-1]] = draw(ADVERSARIAL)
        elif how == "huge":
            parent[where[-1]] = HUGE_INT
        else:
            parent[where[-1]] = nested(draw(st.sampled_from([40, 200, 600])))
    return doc


@st.composite
def rule_file(draw: st.DrawFn) -> tuple[list[Any], list[bool], str]:
    """A rule file: its leaf documents, which of them are untouched rule documents, and how
    they are wrapped (`---` documents, a YAML list, a `kind: List`, lists in lists)."""
    n = draw(st.integers(1, 5))
    leaves: list[Any] = []
    good: list[bool] = []
    for i in range(n):
        base_fn = draw(st.sampled_from(BASES))
        base = base_fn(f"doc-{i}")
        if draw(st.booleans()):
            leaves.append(draw(mutated(base)))
            good.append(False)
        else:
            leaves.append(base)
            good.append(base_fn in ALWAYS_LOADS)
    wrap = draw(st.sampled_from(["documents", "yaml list", "kind: List", "nested", "mixed"]))
    return leaves, good, wrap


def wrapped(leaves: list[Any], wrap: str) -> list[tuple[Any, list[int]]]:
    """The YAML documents of a rule file holding these leaves, each with the leaves it holds."""
    every = list(range(len(leaves)))
    if wrap == "documents":
        return [(leaf, [i]) for i, leaf in enumerate(leaves)]
    if wrap == "yaml list":
        return [(list(leaves), every)]
    if wrap == "kind: List":
        return [({"apiVersion": "v1", "kind": "List", "items": list(leaves)}, every)]
    if wrap == "nested":
        return [([list(leaves[:1]), {"apiVersion": "v1", "kind": "PolicyList", "items": list(leaves[1:])}], every)]
    half = len(leaves) // 2
    return [
        *[(leaf, [i]) for i, leaf in enumerate(leaves[:half])],
        (None, []),
        ({"apiVersion": "v1", "kind": "List", "items": leaves[half:]}, every[half:]),
    ]


def constructible(value: Any) -> bool:
    """Whether Kubernetes' YAML reading (and ours) builds this value: no nesting past the
    reader's depth bound (an integer past int64 and float64 reads as its digits, as go-yaml
    reads it). A document that is not is one error, whatever leaves it would have held."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > 256:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True
