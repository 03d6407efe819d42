"""The native match vocabulary (`match`/`exclude` blocks of Rules and Exceptions): kinds with
group/version and globs, namespaces, names, label and namespace selectors, operations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails.kube import selectors
from guardrails.model import Resource

__all__ = ["Matcher", "compile_match", "is_namespace", "kind_matcher", "namespace_of"]

Matcher = Callable[[Resource], bool]


def _always(_: Resource) -> bool:
    return True


def is_namespace(r: Resource) -> bool:
    """A core-group Namespace object."""
    return r.kind == "Namespace" and r.group == ""


def namespace_of(r: Resource) -> str:
    """The namespace namespace criteria compare: a Namespace object's own name (as Kyverno and
    Gatekeeper see it, so excluding `kube-system` excludes `Namespace/kube-system` too), else
    the object's namespace."""
    return r.name if is_namespace(r) else r.namespace


def kind_matcher(patterns: Sequence[str]) -> Callable[[str, str, str], bool]:
    """Kinds as `Kind`, `group/version/Kind`, `version/Kind`, with `*` globs in any part.

    The core group is written as `v1/Pod` or `/v1/Pod`. Returns a predicate over
    (group, version, kind).
    """
    parsed: list[tuple[Callable[[str], bool] | None, Callable[[str], bool] | None, Callable[[str], bool]]] = []
    for p in patterns:
        parts = p.split("/")
        kind = selectors.compile_globs([parts[-1]])
        if len(parts) == 1:
            parsed.append((None, None, kind))
        elif len(parts) == 2:
            parsed.append((None, selectors.compile_globs([parts[0]]), kind))
        else:
            group = "/".join(parts[:-2])
            parsed.append((selectors.compile_globs([group]), selectors.compile_globs([parts[-2]]), kind))

    def matches(group: str, version: str, kind: str) -> bool:
        return any(k(kind) and (v is None or v(version)) and (g is None or g(group)) for g, v, k in parsed)

    return matches


def compile_match(block: Mapping[str, Any] | None, *, empty: bool) -> Matcher:
    """`match`/`exclude` block -> predicate. `empty` is the result for an absent block."""
    if not block:
        return _always if empty else (lambda _: False)
    tests: list[Matcher] = []
    kinds = block.get("kinds")
    if kinds:
        pod = any(k.split("/")[-1] == "Pod" for k in kinds)
        if all("/" not in k and "*" not in k and "?" not in k for k in kinds):
            # Plain kind names, the common case: a set lookup, no apiVersion parsing.
            plain = frozenset(kinds)

            def kind_ok(r: Resource) -> bool:
                kind = r.obj.get("kind")
                return kind in plain or (pod and kind == "Pod" and r.path_prefix != ())

        else:
            km = kind_matcher(kinds)

            def kind_ok(r: Resource) -> bool:
                return km(r.group, r.version, r.kind) or (pod and r.path_prefix != () and r.kind == "Pod")

        tests.append(kind_ok)
    ns = block.get("namespaces")
    if ns:
        ns_ok = selectors.compile_globs(ns)
        # An object without a namespace cannot be ruled out by namespace (as in Gatekeeper):
        # `kubectl apply` would put it in whatever namespace is current.
        tests.append(lambda r: not (ns := namespace_of(r)) or ns_ok(ns))
    exns = block.get("excludeNamespaces")
    if exns:
        exns_ok = selectors.compile_globs(exns)
        tests.append(lambda r: not (ns := namespace_of(r)) or not exns_ok(ns))
    names = block.get("names")
    if names:
        names_ok = selectors.compile_globs(names)
        tests.append(lambda r: names_ok(r.name))
    sel = block.get("selector")
    if sel:
        sel_ok = selectors.compile_label_selector(sel)
        tests.append(lambda r: sel_ok(r.labels))
    ops = block.get("operations")
    if ops:
        # A scan judges files as CREATE; the webhook passes the request's own operation.
        opset = frozenset(ops)
        tests.append(lambda r: r.operation in opset)
    nssel = block.get("namespaceSelector")
    if nssel:
        nssel_ok = selectors.compile_label_selector(nssel)
        # Namespace labels are known at admission (and when the namespace is scanned along);
        # otherwise the selector cannot rule the object out.
        tests.append(lambda r: r.namespace_labels is None or nssel_ok(r.namespace_labels))
    if not tests:
        return _always if empty else (lambda _: True)

    def matches(r: Resource) -> bool:
        return all(t(r) for t in tests)

    return matches
