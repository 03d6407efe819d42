"""Matching, one view per resource and the criteria every dialect shares.

`view_of(resource)` is the one matching view: group, version, kind, name, namespace (a
Namespace object's own name for namespace criteria), labels, annotations, operation and the
namespace's labels, built once per resource. Native rules and Exceptions (`compile_match`
below), Kyverno's filters and Gatekeeper's `spec.match` all read it; their real differences
are named variants beside the shared criteria: Kyverno's any/all, user info and
`group/version/Kind/subresource` syntax (its `Target` extends the view with the requester),
Gatekeeper's prefix/suffix globs (`selectors.prefix_suffix_glob`) and `scope`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails.kube import selectors
from guardrails.model import Resource

__all__ = ["Matcher", "View", "compile_match", "is_namespace", "kind_matcher", "namespace_for", "namespace_of", "view_of"]

Matcher = Callable[[Resource], bool]


def _always(_: Resource) -> bool:
    return True


@dataclasses.dataclass(frozen=True, slots=True)
class View:
    """What match criteria look at, read once from the object (the old object for a DELETE)."""

    group: str
    version: str
    kind: str
    name: str
    namespace: str
    labels: Mapping[str, Any]
    annotations: Mapping[str, Any]
    operation: str
    namespace_labels: Mapping[str, Any] | None
    # Views a dialect derives from this one (Kyverno's Target), once per resource too.
    variants: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def is_namespace(self) -> bool:
        return self.kind == "Namespace" and self.group == ""

    @property
    def match_namespace(self) -> str:
        """The namespace namespace criteria compare (see `namespace_for`)."""
        return namespace_for(self.group, self.kind, self.name, self.namespace)


def namespace_for(group: str, kind: str, name: str, namespace: str) -> str:
    """The namespace namespace criteria compare: a Namespace object's own name (as Kyverno and
    Gatekeeper see it, so excluding `kube-system` excludes `Namespace/kube-system` too), else
    the object's namespace."""
    return name if kind == "Namespace" and group == "" else namespace


def _build(resource: Resource) -> View:
    obj = resource.obj or resource.old_obj or {}
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    api = obj.get("apiVersion")
    group, _, version = (api if isinstance(api, str) else "").rpartition("/")
    kind = obj.get("kind")
    kind = kind if isinstance(kind, str) else ""
    name = meta.get("name") or meta.get("generateName")
    namespace = meta.get("namespace")
    labels, annotations = meta.get("labels"), meta.get("annotations")
    return View(
        group=group,
        version=version,
        kind=kind,
        name=name if isinstance(name, str) else "",
        namespace=namespace if isinstance(namespace, str) else "",
        labels=labels if isinstance(labels, Mapping) else {},
        annotations=annotations if isinstance(annotations, Mapping) else {},
        operation=resource.operation,
        namespace_labels=resource.namespace_labels,
    )


def view_of(resource: Resource) -> View:
    """The resource's matching view, built on first use and kept with the resource."""
    view = resource._match_view
    if view is None:
        view = _build(resource)
        object.__setattr__(resource, "_match_view", view)
    assert isinstance(view, View)
    return view


def is_namespace(r: Resource) -> bool:
    """A core-group Namespace object."""
    return view_of(r).is_namespace


def namespace_of(r: Resource) -> str:
    """The namespace namespace criteria compare: a Namespace object's own name (as Kyverno and
    Gatekeeper see it, so excluding `kube-system` excludes `Namespace/kube-system` too), else
    the object's namespace."""
    return view_of(r).match_namespace


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


def compile_match(block: Mapping[str, Any] | None, *, empty: bool, unknown_labels: bool | None = None) -> Matcher:
    """`match`/`exclude` block -> predicate over the resource's view. `empty` is the result for an absent block.

    `unknown_labels` is what a `namespaceSelector` answers when the namespace's labels are
    unknown (a scan without the Namespace): by default `empty`, so a rule's match cannot be
    ruled out and its exclusion does not apply. Waivers pass False: unknown labels never
    exclude or waive, or a rule "except in namespaces labelled X" would fire nowhere.
    """
    if unknown_labels is None:
        unknown_labels = empty
    if not block:
        return _always if empty else (lambda _: False)
    tests: list[Callable[[Resource, View], bool]] = []
    kinds = block.get("kinds")
    if kinds:
        pod = any(k.split("/")[-1] == "Pod" for k in kinds)
        if all("/" not in k and "*" not in k and "?" not in k for k in kinds):
            # Plain kind names, the common case: a set lookup, no apiVersion parsing.
            plain = frozenset(kinds)

            def kind_ok(r: Resource, v: View) -> bool:
                return v.kind in plain or (pod and v.kind == "Pod" and r.path_prefix != ())

        else:
            km = kind_matcher(kinds)

            def kind_ok(r: Resource, v: View) -> bool:
                return km(v.group, v.version, v.kind) or (pod and r.path_prefix != () and v.kind == "Pod")

        tests.append(kind_ok)
    ns = block.get("namespaces")
    if ns:
        ns_ok = selectors.compile_globs(ns)
        # An object without a namespace cannot be ruled out by namespace (as in Gatekeeper):
        # `kubectl apply` would put it in whatever namespace is current.
        tests.append(lambda r, v: not v.match_namespace or ns_ok(v.match_namespace))
    exns = block.get("excludeNamespaces")
    if exns:
        exns_ok = selectors.compile_globs(exns)
        tests.append(lambda r, v: not v.match_namespace or not exns_ok(v.match_namespace))
    names = block.get("names")
    if names:
        names_ok = selectors.compile_globs(names)
        tests.append(lambda r, v: names_ok(v.name))
    sel = block.get("selector")
    if sel:
        sel_ok = selectors.compile_label_selector(sel)
        tests.append(lambda r, v: sel_ok(v.labels))
    ops = block.get("operations")
    if ops:
        # A scan judges files as CREATE; the webhook passes the request's own operation.
        opset = frozenset(ops)
        tests.append(lambda r, v: v.operation in opset)
    nssel = block.get("namespaceSelector")
    if nssel:
        nssel_ok = selectors.compile_label_selector(nssel)
        # Namespace labels are known at admission (and when the namespace is scanned along).
        tests.append(lambda r, v: unknown_labels if v.namespace_labels is None else nssel_ok(v.namespace_labels))
    if not tests:
        return _always if empty else (lambda _: True)

    def matches(r: Resource) -> bool:
        v = view_of(r)
        return all(t(r, v) for t in tests)

    return matches
