"""What a document found in a rules path is, before any dialect sees it.

Every document in a rules path ends up as exactly one of:

- `Dialect`      a dialect compiles it (the table in `guardrails.dialects`);
- `Unsupported`  a kind we know and cannot evaluate yet: it loads as a rule whose every match
                 is a visible SKIP with `reason` (or, for documents that are not rules by
                 themselves, such as a binding or an exception, a listed skip);
- `Neighbour`    an object that lives beside policies in real repositories (test resources,
                 `kyverno-test.yaml`, kustomizations, Chainsaw tests, reports): skipped and
                 counted by `guardrails rules lint`;
- `Problem`      looks like a rule and no dialect takes it (an apiVersion or kind a typo away
                 from one we know, an unknown kind in a policy group): an error with "did you
                 mean".

Pure: tables and string distance only.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from guardrails import dialects

__all__ = ["Dialect", "Neighbour", "Outcome", "Problem", "Unsupported", "classify", "group_of"]


@dataclasses.dataclass(frozen=True, slots=True)
class Dialect:
    module: str


@dataclasses.dataclass(frozen=True, slots=True)
class Unsupported:
    reason: str
    dialect: str
    rule: bool = True  # False: not a rule by itself (a binding, an exception): a listed skip only


@dataclasses.dataclass(frozen=True, slots=True)
class Neighbour:
    what: str


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    message: str
    field: str  # "apiVersion" or "kind": where the error points
    hint: str | None = None


Outcome = Dialect | Unsupported | Neighbour | Problem

_CEL = "not evaluated yet: it verifies image signatures and attestations, which needs a registry"
_MUTATION = "mutates objects: guardrails judges objects and never changes them"

# Kinds of the policy groups we know and cannot evaluate: (group, kind) -> (reason, dialect, is a rule)
UNSUPPORTED: dict[tuple[str, str], tuple[str, str, bool]] = {
    **{
        ("kyverno.io", k): (f"Kyverno {k} deletes objects on a schedule in a cluster: there is nothing to judge here", "kyverno", True)
        for k in ("CleanupPolicy", "ClusterCleanupPolicy")
    },
    **{
        ("policies.kyverno.io", k): (f"Kyverno {k} is {_CEL}", "kyverno", True)
        for k in (
            "ImageValidatingPolicy", "NamespacedImageValidatingPolicy",
        )
    },
    **{
        ("policies.kyverno.io", k): (f"Kyverno {k} {what}", "kyverno", True)
        for k, what in (
            ("MutatingPolicy", _MUTATION), ("NamespacedMutatingPolicy", _MUTATION),
            ("GeneratingPolicy", "generates objects in a cluster: there is nothing to judge here"),
            ("NamespacedGeneratingPolicy", "generates objects in a cluster: there is nothing to judge here"),
            ("DeletingPolicy", "deletes objects on a schedule in a cluster: there is nothing to judge here"),
            ("NamespacedDeletingPolicy", "deletes objects on a schedule in a cluster: there is nothing to judge here"),
        )
    },
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"): (f"MutatingAdmissionPolicy {_MUTATION}", "vap", True),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"): (
        "a MutatingAdmissionPolicyBinding takes effect with its policy, which is not evaluated", "vap", False),
    **{
        ("mutations.gatekeeper.sh", k): (f"Gatekeeper {k} {_MUTATION}", "gatekeeper", True)
        for k in ("Assign", "AssignMetadata", "ModifySet", "AssignImage")
    },
}

# Known kinds of the policy groups that are not rules (the rest of each group is a typo).
_NOT_RULES: dict[tuple[str, str], str] = {
    ("guardrails.dev", "RuleTest"): "a rule test (guardrails test)",
    ("kyverno.io", "Test"): "a Kyverno CLI test (guardrails test)",
    ("kyverno.io", "GlobalContextEntry"): "a Kyverno global context entry (cluster data for policies)",
    ("kyverno.io", "UpdateRequest"): "a Kyverno update request (cluster state)",
    **{("kyverno.io", k): "a Kyverno report" for k in (
        "AdmissionReport", "ClusterAdmissionReport", "BackgroundScanReport", "ClusterBackgroundScanReport",
    )},
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): "a webhook configuration",
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): "a webhook configuration",
}

# Groups of objects that live beside policies: every kind is a neighbour.
_NEIGHBOUR_GROUPS: dict[str, str] = {
    "cli.kyverno.io": "a Kyverno CLI file (guardrails test)",
    "chainsaw.kyverno.io": "a Chainsaw test",
    "reports.kyverno.io": "a Kyverno report",
    "wgpolicyk8s.io": "a policy report",
    "kustomize.config.k8s.io": "a kustomization",
    "kuttl.dev": "a KUTTL test",
    "test.gatekeeper.sh": "a gator test suite (guardrails test)",
    "config.gatekeeper.sh": "Gatekeeper's configuration",
    "status.gatekeeper.sh": "Gatekeeper status",
    "externaldata.gatekeeper.sh": "a Gatekeeper external data provider",
    "syncset.gatekeeper.sh": "a Gatekeeper sync set",
    "connection.gatekeeper.sh": "a Gatekeeper export connection",
}

# Groups whose every kind we must recognise: an unknown kind there is a mistake.
POLICY_GROUPS = frozenset(
    ({g for g, _ in dialects.DIALECTS} | {g for g, _ in UNSUPPORTED} | {g for g, _ in _NOT_RULES})
    - {"admissionregistration.k8s.io"}  # serves other kinds too (webhook configurations)
)
_KNOWN_GROUPS = POLICY_GROUPS | set(_NEIGHBOUR_GROUPS) | {"admissionregistration.k8s.io"}
# Kinds distinctive enough that, under another group, they are a wrong apiVersion.
_POLICY_KINDS: dict[str, str] = {
    k: g
    for (g, k) in (*dialects.DIALECTS, *UNSUPPORTED)
    if k not in ("*", "Rule", "Exception", "Policy", "PolicyException", "Assign")
}


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def _kinds_of(group: str) -> list[str]:
    return sorted(
        {k for g, k in (*dialects.DIALECTS, *UNSUPPORTED, *_NOT_RULES) if g == group and k != "*"}
    )


def _close(word: str, choices: list[str] | frozenset[str], cutoff: float = 0.8) -> str | None:
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def classify(doc: Mapping[str, Any]) -> Outcome:
    """What one mapping document of a rules path is."""
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        group = group_of(api_version) if isinstance(api_version, str) else ""
        if group in POLICY_GROUPS or (isinstance(kind, str) and (kind in _POLICY_KINDS or kind in ("Rule", "Exception"))):
            return Problem("rule document needs both apiVersion and kind", "kind" if isinstance(api_version, str) else "apiVersion")
        if api_version is None and kind is None and {"policies", "resources"} <= set(doc) and "results" in doc:
            return Neighbour("a Kyverno CLI test (guardrails test)")
        return Neighbour("not a Kubernetes object")
    group = group_of(api_version)
    module = dialects.DIALECTS.get((group, kind)) or dialects.DIALECTS.get((group, "*"))
    if module is not None:
        return Dialect(module)
    if (group, kind) in UNSUPPORTED:
        reason, dialect, rule = UNSUPPORTED[(group, kind)]
        return Unsupported(reason, dialect, rule)
    if (group, kind) in _NOT_RULES:
        return Neighbour(_NOT_RULES[(group, kind)])
    if group in _NEIGHBOUR_GROUPS:
        return Neighbour(_NEIGHBOUR_GROUPS[group])
    if group in POLICY_GROUPS:
        kinds = _kinds_of(group)
        near = _close(kind, kinds, 0.6)
        return Problem(
            f"unknown kind {kind!r} for {api_version}",
            "kind",
            f"did you mean {near!r}?" if near else f"{group} kinds: {', '.join(kinds)}",
        )
    if group not in _KNOWN_GROUPS:
        near = _close(group, _KNOWN_GROUPS)
        if near is not None and near in POLICY_GROUPS | {"admissionregistration.k8s.io"}:
            version = api_version.rpartition("/")[2]
            return Problem(f"unknown apiVersion {api_version!r}", "apiVersion", f"did you mean '{near}/{version}'?")
    if kind in _POLICY_KINDS and group != _POLICY_KINDS[kind]:
        return Problem(
            f"{kind} under apiVersion {api_version!r}", "apiVersion", f"{kind} belongs to {_POLICY_KINDS[kind]}"
        )
    near_kind = _close(kind, list(_POLICY_KINDS), 0.9)
    if near_kind is not None and group in ("", _POLICY_KINDS[near_kind]):
        return Problem(f"unknown kind {kind!r} for {api_version}", "kind", f"did you mean {near_kind!r} ({_POLICY_KINDS[near_kind]})?")
    return Neighbour(f"not a rule: {kind} ({api_version})")
