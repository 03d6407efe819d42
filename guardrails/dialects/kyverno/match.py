"""Kyverno's `match` / `exclude` blocks: `any` / `all` / plain resource filters over kinds
(with group, version, wildcards and subresources), names, namespaces, annotations, label and
namespace selectors, operations, and subjects / roles / clusterRoles of the requester.

Within one filter every given attribute must hold; user-info criteria apply only when the
request carries user info. A namespace selector needs the namespace's labels: when they are
unknown (`None`, a scan without the namespace) it cannot rule the resource out of a match, and
it never excludes it (nor selects it for a PolicyException).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails.kube import selectors
from guardrails.kube.match import View
from guardrails.kube.selectors import wildcard

__all__ = ["Admission", "Subject", "compile_filters", "kinds_of", "parse_kind"]

_VERSION = re.compile(r"(v\d+((alpha|beta)\d+)?|\*)\Z")


def parse_kind(text: str) -> tuple[str, str, str, str]:
    """(group, version, kind, subresource) of a kind selector, Kyverno's way."""
    parts = text.split("/")
    parts = parts[:-1] + parts[-1].split(".")
    if len(parts) == 1:
        return "*", "*", parts[0], ""
    if len(parts) == 2:
        if parts[0] == "*" and parts[1] == "*":
            return "*", "*", "*", "*"
        if parts[0] == "*" and parts[1].lower() == parts[1]:
            return "*", "*", parts[0], parts[1]
        if _VERSION.match(parts[0]):
            return "*", parts[0], parts[1], ""
        return "*", "*", parts[0], parts[1]
    if len(parts) == 3:
        if _VERSION.match(parts[0]):
            return "*", parts[0], parts[1], parts[2]
        return parts[0], parts[1], parts[2], ""
    if len(parts) == 4:
        return parts[0], parts[1], parts[2], parts[3]
    return "", "", "", ""


@dataclasses.dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Admission:
    """Who makes the request (absent for scans and for tests without user info)."""

    username: str = ""
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    cluster_roles: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Target(View):
    """What the filters look at: the shared matching view (kube.match.View) with Kyverno's
    variant fields, the requester and the sub-resource."""

    admission: Admission | None = None
    subresource: str = ""


Predicate = Callable[[Target], bool]


def _selector(sel: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """A label selector whose matchLabels may use wildcards in keys and values."""
    plain = {k: v for k, v in (sel.get("matchLabels") or {}).items() if "*" not in f"{k}{v}" and "?" not in f"{k}{v}"}
    wild = [(str(k), str(v)) for k, v in (sel.get("matchLabels") or {}).items() if (str(k), v) not in plain.items()]
    base = selectors.compile_label_selector({**sel, "matchLabels": plain})

    def matches(labels: Mapping[str, Any]) -> bool:
        if not base(labels):
            return False
        return all(any(wildcard(k, str(lk)) and wildcard(v, str(lv)) for lk, lv in labels.items()) for k, v in wild)

    return matches


def _subjects_match(subjects: Sequence[Mapping[str, Any]], adm: Admission) -> bool:
    for s in subjects:
        kind, name = s.get("kind"), str(s.get("name", ""))
        if kind == "ServiceAccount":
            if wildcard(f"system:serviceaccount:{s.get('namespace', '')}:{name}", adm.username):
                return True
        elif kind == "Group":
            if any(wildcard(name, g) for g in adm.groups):
                return True
        elif kind == "User" and wildcard(name, adm.username):
            return True
    return False


def _filter(f: Mapping[str, Any], *, for_match: bool, strict: bool = False) -> Callable[[Target], bool | None]:
    """One resource filter -> True (every criterion holds), False, or None (an empty filter)."""
    res = f.get("resources") or {}
    ops = res.get("operations") or []
    kinds = [parse_kind(str(k)) for k in res.get("kinds") or []]
    name = res.get("name")
    names = [str(n) for n in res.get("names") or []]
    namespaces = [str(n) for n in res.get("namespaces") or []]
    annotations = {str(k): str(v) for k, v in (res.get("annotations") or {}).items()}
    sel = _selector(res["selector"]) if res.get("selector") is not None else None
    nssel = _selector(res["namespaceSelector"]) if res.get("namespaceSelector") is not None else None
    roles = list(f.get("roles") or [])
    croles = list(f.get("clusterRoles") or [])
    subjects = list(f.get("subjects") or [])
    has_resources = any(res.get(k) for k in res)
    has_user = bool(roles or croles or subjects)

    def check(t: Target) -> bool | None:
        user = has_user and not (for_match and t.admission is None)
        if not has_resources and not user:
            return None
        if ops and t.operation not in ops:
            return False
        if kinds and not any(
            wildcard(g, t.group) and wildcard(v, t.version) and wildcard(k, t.kind) and wildcard(s, t.subresource)
            for g, v, k, s in kinds
        ):
            return False
        if name and not wildcard(str(name), t.name):
            return False
        if names and not any(wildcard(n, t.name) for n in names):
            return False
        if namespaces and not any(wildcard(n, t.match_namespace) for n in namespaces):
            return False
        if annotations and not all(
            any(wildcard(k, str(ak)) and wildcard(v, str(av)) for ak, av in t.annotations.items())
            for k, v in annotations.items()
        ):
            return False
        if sel is not None and not sel(t.labels):
            return False
        if nssel is not None:
            if t.kind == "Namespace":
                return False
            if t.namespace_labels is None:
                # Unknown labels never exclude (nor waive, `strict`): only a rule's match
                # cannot be ruled out by them.
                if not for_match or strict:
                    return False
            elif not nssel(t.namespace_labels):
                return False
        if user:
            adm = t.admission or Admission()
            if roles and not any(r in roles for r in adm.roles):
                return False
            if croles and not any(r in croles for r in adm.cluster_roles):
                return False
            if subjects and not _subjects_match(subjects, adm):
                return False
        return True

    return check


def _block(block: Mapping[str, Any] | None, *, for_match: bool, strict: bool = False) -> Callable[[Target], bool]:
    """A match block -> "selects the target"; an exclude block -> "excludes the target"."""
    # An empty filter never matches (Kyverno: "match cannot be empty") and never excludes.
    if not block:
        return lambda _: False
    if block.get("any"):
        filters = [_filter(f, for_match=for_match, strict=strict) for f in block["any"]]
        return lambda t: any(f(t) is True for f in filters)
    if block.get("all"):
        filters = [_filter(f, for_match=for_match, strict=strict) for f in block["all"]]
        return lambda t: all(f(t) is True for f in filters)
    one = _filter(block, for_match=for_match, strict=strict)
    return lambda t: one(t) is True


def compile_filters(match: Mapping[str, Any] | None, exclude: Mapping[str, Any] | None,
                    *, policy_namespace: str = "", strict: bool = False) -> Predicate:
    """The rule selects the target: matched, not excluded, in the policy's namespace.

    `strict` (PolicyExceptions): a namespace selector over unknown labels does not match.
    """
    inc = _block(match, for_match=True, strict=strict)
    exc = _block(exclude, for_match=False) if exclude else None

    def selects(t: Target) -> bool:
        if policy_namespace and t.namespace != policy_namespace:
            return False
        if not inc(t):
            return False
        return not (exc is not None and exc(t))

    return selects


def kinds_of(block: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The kind names a match block can select, when it says so without wildcards: a cheap
    first test before the full filters. None when any kind could match."""
    if not block:
        return frozenset()
    filters = block.get("any") or block.get("all") or [block]
    sets = []
    for f in filters:
        kinds = [parse_kind(str(k))[2] for k in ((f.get("resources") or {}).get("kinds") or ())]
        if not kinds or any("*" in k or "?" in k for k in kinds):
            if not block.get("all"):
                return None
            continue
        sets.append(frozenset(kinds))
    if not sets:
        return None
    if block.get("all"):
        return frozenset.intersection(*sets)
    return frozenset.union(*sets)
