"""A constraint's `spec.match`, with Gatekeeper's semantics, as a predicate over Resource.

Every criterion must hold. Namespaces and names take prefix (`kube-*`), suffix (`*-system`)
or both-ends (`*x*`) globs. An object whose namespace is unknown (cluster-scoped, or a manifest
without metadata.namespace) cannot be ruled out by `namespaces`/`excludedNamespaces`, as in
gator. `namespaceSelector` applies to a Namespace's own labels, to a namespaced object's
namespace labels where known, and never rules out other cluster-scoped objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails.kube import selectors
from guardrails.kube.match import is_namespace, namespace_of, view_of
from guardrails.model import Resource

__all__ = ["MatchError", "compile_match"]

Matcher = Callable[[Resource], bool]


class MatchError(ValueError):
    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _any_wildcard(patterns: Sequence[Any], path: tuple[str | int, ...]) -> Callable[[str], bool]:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise MatchError("must be a list of strings", path)
    tests = [selectors.prefix_suffix_glob(p) for p in patterns]
    return lambda v: any(t(v) for t in tests)


def _kinds(spec: Any) -> Matcher:
    if not isinstance(spec, list):
        raise MatchError("must be a list of {apiGroups, kinds}", ("kinds",))
    groups: list[tuple[frozenset[str], frozenset[str]]] = []
    for i, k in enumerate(spec):
        if not isinstance(k, Mapping):
            raise MatchError("must be a mapping with apiGroups and kinds", ("kinds", i))
        groups.append((frozenset(k.get("apiGroups") or ()), frozenset(k.get("kinds") or ())))

    def matches(r: Resource) -> bool:
        v = view_of(r)
        for api_groups, kinds in groups:
            if (not kinds or "*" in kinds or v.kind in kinds) and (
                not api_groups or "*" in api_groups or v.group in api_groups
            ):
                return True
        return False

    return matches


def compile_match(match: Mapping[str, Any] | None) -> Matcher:
    """Raises MatchError (path relative to `spec.match`) for a malformed block."""
    if not match:
        return lambda _: True
    if not isinstance(match, Mapping):
        raise MatchError("spec.match must be a mapping")
    tests: list[Matcher] = []
    if match.get("kinds"):
        tests.append(_kinds(match["kinds"]))
    scope = match.get("scope")
    if scope == "Cluster":
        tests.append(lambda r: is_namespace(r) or not view_of(r).namespace)
    elif scope == "Namespaced":
        tests.append(lambda r: not is_namespace(r) and bool(view_of(r).namespace))
    if match.get("namespaces"):
        inc = _any_wildcard(match["namespaces"], ("namespaces",))
        tests.append(lambda r: not namespace_of(r) or inc(namespace_of(r)))
    if match.get("excludedNamespaces"):
        exc = _any_wildcard(match["excludedNamespaces"], ("excludedNamespaces",))
        tests.append(lambda r: not namespace_of(r) or not exc(namespace_of(r)))
    for key in ("labelSelector", "namespaceSelector"):
        sel = match.get(key)
        if sel is None:
            continue
        if not isinstance(sel, Mapping):
            raise MatchError("must be a label selector", (key,))
        try:
            ok = selectors.compile_label_selector(sel)
        except ValueError as e:
            raise MatchError(str(e), (key,)) from None
        tests.append(_label_test(ok) if key == "labelSelector" else _namespace_test(ok))
    name = match.get("name")
    if name:
        if not isinstance(name, str):
            raise MatchError("must be a string", ("name",))
        name_ok = selectors.prefix_suffix_glob(name)
        tests.append(lambda r: name_ok(view_of(r).name))
    return lambda r: all(t(r) for t in tests)


def _label_test(ok: Callable[[Mapping[str, Any]], bool]) -> Matcher:
    return lambda r: ok(view_of(r).labels)


def _namespace_test(ok: Callable[[Mapping[str, Any]], bool]) -> Matcher:
    return lambda r: _namespace_selected(r, ok)


def _namespace_selected(r: Resource, ok: Callable[[Mapping[str, Any]], bool]) -> bool:
    v = view_of(r)
    if v.is_namespace:
        return ok(v.labels)
    if not v.namespace:
        return True
    # Namespace labels are known at admission and when the namespace is scanned along;
    # otherwise the selector cannot rule the object out.
    return v.namespace_labels is None or ok(v.namespace_labels)
