"""What `guardrails rules lint` finds beyond the schema: rules that can never match anything.

A schema-valid rule can still be dead: a kind spelt `deployment` or `Deployments` (kinds are
case-sensitive, so it matches nothing), an `exclude` that removes every kind the rule matches,
a label selector that contradicts itself, namespaces that are all excluded, a profile name
that does not exist. Each problem is a RuleFileError located at the offending field; a kind
that is merely unknown (a custom resource, a Terraform type) is only a warning.
"""

from __future__ import annotations

import difflib
import pathlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.kube import selectors
from guardrails.model import FieldPath, Location
from guardrails.policy import profiles
from guardrails.sources import documents

__all__ = ["KNOWN_KINDS", "Finding", "lint_file", "lint_paths", "lint_spec", "pinpoint"]

# Built-in Kubernetes kinds (core and the API groups every cluster serves).
KNOWN_KINDS = frozenset(
    [
        "Binding", "ComponentStatus", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node",
        "PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController",
        "ResourceQuota", "Secret", "Service", "ServiceAccount", "ControllerRevision", "DaemonSet",
        "Deployment", "ReplicaSet", "StatefulSet", "CronJob", "Job", "HorizontalPodAutoscaler", "Lease",
        "EndpointSlice", "Ingress", "IngressClass", "NetworkPolicy", "PodDisruptionBudget", "ClusterRole",
        "ClusterRoleBinding", "Role", "RoleBinding", "PriorityClass", "CSIDriver", "CSINode",
        "CSIStorageCapacity", "StorageClass", "VolumeAttachment", "RuntimeClass",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
        "CustomResourceDefinition", "APIService", "CertificateSigningRequest", "FlowSchema",
        "PriorityLevelConfiguration", "TokenReview", "SubjectAccessReview", "LocalSubjectAccessReview",
        "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview", "IPAddress", "ServiceCIDR",
        "ResourceClaim", "ResourceClaimTemplate", "DeviceClass", "ResourceSlice",
    ]
)
_LOWER = {k.lower(): k for k in KNOWN_KINDS}

# (is_error, message, path inside the rule document, hint)
Finding = tuple[bool, str, FieldPath, str | None]


def _kind_findings(kinds: Any, where: FieldPath) -> Iterator[Finding]:
    if not isinstance(kinds, list):
        return
    for i, raw in enumerate(kinds):
        if not isinstance(raw, str):
            continue
        kind = raw.split("/")[-1]
        here = (*where, i)
        if kind in KNOWN_KINDS or ("_" in kind and kind.islower()):
            continue  # a Kubernetes kind, or a Terraform resource type such as aws_instance
        if "*" in kind or "?" in kind:
            glob = selectors.compile_globs([kind])
            if not any(glob(k) for k in KNOWN_KINDS) and not kind.islower():
                yield False, f"kind pattern {raw!r} matches no built-in Kubernetes kind", here, "fine if it is meant for custom resources"
            continue
        fixed = _LOWER.get(kind.lower()) or _LOWER.get(kind.lower().removesuffix("s")) or _LOWER.get(kind.lower().removesuffix("es"))
        if fixed is None:
            close = difflib.get_close_matches(kind, sorted(KNOWN_KINDS), n=1, cutoff=0.85)
            fixed = close[0] if close else None
        if fixed is not None:
            yield True, f"kind {raw!r} matches nothing: kinds are singular and case-sensitive", here, f"did you mean {fixed!r}?"
        else:
            yield False, f"kind {raw!r} is not a built-in Kubernetes kind", here, "fine for a custom resource; check the spelling otherwise"


def _selector_findings(sel: Any, where: FieldPath) -> Iterator[Finding]:
    if not isinstance(sel, Mapping):
        return
    labels = sel.get("matchLabels") or {}
    exprs = sel.get("matchExpressions") or []
    if not isinstance(labels, Mapping) or not isinstance(exprs, list):
        return
    for i, e in enumerate(exprs):
        if not isinstance(e, Mapping):
            continue
        key, op, values = e.get("key"), e.get("operator"), [str(v) for v in e.get("values") or []]
        here = (*where, "matchExpressions", i)
        if key in labels:
            want = str(labels[key])
            if op == "DoesNotExist" or (op == "NotIn" and want in values) or (op == "In" and want not in values):
                yield True, f"selector can never match: matchLabels needs {key}={want} but matchExpressions[{i}] is {key} {op} {values or ''}".rstrip(), here, None
        for j, other in enumerate(exprs[:i]):
            if isinstance(other, Mapping) and other.get("key") == key and {op, other.get("operator")} == {"Exists", "DoesNotExist"}:
                yield True, f"selector can never match: {key!r} must both exist and not exist (matchExpressions[{j}] and [{i}])", here, None


def lint_spec(spec: Mapping[str, Any]) -> list[Finding]:
    """Dead-rule problems of one native rule spec, with paths relative to the document."""
    out: list[Finding] = []
    raw_match, raw_exclude = spec.get("match"), spec.get("exclude")
    match: Mapping[str, Any] = raw_match if isinstance(raw_match, Mapping) else {}
    exclude: Mapping[str, Any] = raw_exclude if isinstance(raw_exclude, Mapping) else {}
    for block, name in ((match, "match"), (exclude, "exclude")):
        out.extend(_kind_findings(block.get("kinds"), ("spec", name, "kinds")))
        out.extend(_selector_findings(block.get("selector"), ("spec", name, "selector")))
        out.extend(_selector_findings(block.get("namespaceSelector"), ("spec", name, "namespaceSelector")))
    kinds, exkinds = match.get("kinds") or [], exclude.get("kinds") or []
    if exkinds and set(exclude) == {"kinds"} and isinstance(exkinds, list) and isinstance(kinds, list):
        covers = selectors.compile_globs([str(k).split("/")[-1] for k in exkinds])
        every = (not kinds and "*" in exkinds) or (kinds and all(isinstance(k, str) and covers(k.split("/")[-1]) for k in kinds))
        if every:
            out.append((True, "exclude.kinds removes every kind the rule matches", ("spec", "exclude", "kinds"), None))
    nss, exns = match.get("namespaces") or [], match.get("excludeNamespaces") or []
    if nss and exns and isinstance(nss, list) and isinstance(exns, list):
        gone = selectors.compile_globs([str(n) for n in exns])
        if all(isinstance(n, str) and "*" not in n and gone(n) for n in nss):
            out.append((False, "every namespace in match.namespaces is also excluded: only cluster-scoped resources can match", ("spec", "match", "namespaces"), None))
    names = spec.get("profiles")
    if isinstance(names, list):
        for i, p in enumerate(names):
            bad = profiles.unknown([str(p)])
            if bad is not None:
                out.append((True, f"unknown profile {p!r}", ("spec", "profiles", i), bad[1]))
    return out


def lint_file(path: pathlib.Path, display: str) -> Iterator[tuple[bool, GuardrailsError]]:
    """(is_error, problem) for every native Rule in the file; unreadable files yield nothing
    (the loader already reports them)."""
    for doc in documents.read_documents(path, display):
        if isinstance(doc, GuardrailsError):
            return
        data = doc.data
        if not (isinstance(data, Mapping) and data.get("kind") == "Rule" and str(data.get("apiVersion", "")).startswith("guardrails.dev/")):
            continue
        spec = data.get("spec")
        if not isinstance(spec, Mapping):
            continue
        name = (data.get("metadata") or {}).get("name", "?") if isinstance(data.get("metadata"), Mapping) else "?"
        for is_error, message, where, hint in lint_spec(spec):
            yield is_error, RuleFileError(f"rule {name!r}: {message}", location=doc.locate(where, display), hint=hint)


def lint_paths(files: Sequence[tuple[pathlib.Path, str]]) -> tuple[list[GuardrailsError], list[GuardrailsError]]:
    """(errors, warnings) over (file, display name) pairs."""
    errors: list[GuardrailsError] = []
    warnings: list[GuardrailsError] = []
    for path, display in files:
        for is_error, problem in lint_file(path, display):
            (errors if is_error else warnings).append(problem)
    return errors, warnings


# A compile error quotes the expression, then gives the position of the problem in it: JMESPath
# a 1-based column, Python's re a 0-based position.
_POSITION = re.compile(r" at (?:column (?P<column>\d+)|position (?P<position>\d+))")
_QUOTED = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'""")


def pinpoint(problem: GuardrailsError) -> GuardrailsError:
    """Move a compile error's column from the field's key to the offending character of the
    expression, when the expression sits on one line of the file (the common case)."""
    loc = problem.location
    m = _POSITION.search(problem.message)
    if loc is None or loc.line <= 0 or m is None:
        return problem
    quoted = [q[0] or q[1] for q in _QUOTED.findall(problem.message[: m.start()])]
    if not quoted or not quoted[-1]:
        return problem
    text = quoted[-1]
    offset = int(m["column"]) - 1 if m["column"] else int(m["position"])
    try:
        lines = pathlib.Path(loc.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return problem
    for n in range(loc.line - 1, min(loc.line + 2, len(lines))):
        start = max(loc.column - 1, 0) if n == loc.line - 1 else 0
        at = lines[n].find(text, start)
        if at >= 0:
            where = Location(loc.path, n + 1, at + offset + 1)
            return type(problem)(problem.message, location=where, hint=problem.hint)
    return problem
