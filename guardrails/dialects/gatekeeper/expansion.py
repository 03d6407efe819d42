"""Gatekeeper's ExpansionTemplate: constraints judge the objects that workload controllers would
create (a Deployment's Pods, a CronJob's Jobs and their Pods), as Gatekeeper's audit, its
webhook and gator do.

An ExpansionTemplate (`expansion.gatekeeper.sh` v1alpha1/v1beta1) names the kinds it expands
(`applyTo`: exact groups x versions x kinds), the field of the parent that is the child's
blueprint (`templateSource`, dot-separated), the child's kind (`generatedGVK`) and optionally an
`enforcementAction` every violation on the child takes instead of the constraint's.

The child is made as Gatekeeper makes it: the source mapping with the generated apiVersion and
kind, the parent's namespace (at admission, the request's), the name `<parent>-<kind>` in lower
case and an ownerReference to the parent; children are expanded again (a CronJob's Job into its
Pod), to a depth of 30. Templates that expand into each other in a cycle, or into their own
kind, are load errors (Gatekeeper refuses them too).

A violation on a child is reported on the parent, its message prefixed `[Implied by <template>]`
(Gatekeeper's words) and its path inside the parent's template source. A constraint's
`match.source` picks what it judges: `Original` objects, `Generated` children or `All` (the
default).

Pure: no I/O; children are built once per parent however many constraints look at them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from guardrails.context import Context
from guardrails.dialects.gatekeeper.template import TemplateError
from guardrails.kube import workloads
from guardrails.model import Action, FieldPath, Location, Resource, Status, Violation

__all__ = [
    "SOURCES",
    "Child",
    "Expander",
    "ExpansionError",
    "Plan",
    "Template",
    "parse",
    "unexpanded_notice",
]

GROUP = "expansion.gatekeeper.sh"
SOURCES = ("All", "Generated", "Original")
MAX_DEPTH = 30  # Gatekeeper's guard against runaway expansion
_ACTIONS = {"deny": Action.DENY, "dryrun": Action.AUDIT, "warn": Action.WARN}

GVK = tuple[str, str, str]  # group, version, kind


class ExpansionError(TemplateError):
    """A field of an ExpansionTemplate that Gatekeeper refuses: the template error's message and path."""


@dataclasses.dataclass(frozen=True, slots=True)
class Template:
    name: str
    apply_to: frozenset[GVK]
    source: tuple[str, ...]
    generated: GVK
    action: Action | None
    location: Location | None = None

    @property
    def generated_api_version(self) -> str:
        group, version, _ = self.generated
        return f"{group}/{version}" if group else version


def _strings(value: Any, path: tuple[str | int, ...]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ExpansionError("must be a list of strings", path)
    return value


def parse(doc: Mapping[str, Any], location: Location | None = None) -> Template:
    """One ExpansionTemplate document, validated as Gatekeeper validates it. Raises
    ExpansionError with the path of the bad field."""
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        raise ExpansionError("ExpansionTemplate has no metadata.name", ("metadata",))
    if len(name) >= 64:
        raise ExpansionError(f"ExpansionTemplate name {name!r} must be less than 64 characters", ("metadata", "name"))
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        raise ExpansionError(f"ExpansionTemplate {name!r} has no spec", ())
    source = spec.get("templateSource")
    if not isinstance(source, str) or not source:
        raise ExpansionError(f"ExpansionTemplate {name!r} has an empty templateSource (e.g. spec.template)", ("spec",))
    gen = spec.get("generatedGVK")
    if not isinstance(gen, Mapping) or not any(gen.get(k) for k in ("group", "version", "kind")):
        raise ExpansionError(f"ExpansionTemplate {name!r} has an empty generatedGVK", ("spec",))
    for k in ("group", "version", "kind"):
        if gen.get(k) is not None and not isinstance(gen.get(k), str):
            raise ExpansionError("must be a string", ("spec", "generatedGVK", k))
    generated: GVK = (str(gen.get("group") or ""), str(gen.get("version") or ""), str(gen.get("kind") or ""))
    apply_to = spec.get("applyTo")
    if not isinstance(apply_to, list) or not apply_to:
        raise ExpansionError(f"ExpansionTemplate {name!r} must specify applyTo", ("spec",))
    gvks: set[GVK] = set()
    for i, entry in enumerate(apply_to):
        if not isinstance(entry, Mapping):
            raise ExpansionError("must be a mapping of groups, versions and kinds", ("spec", "applyTo", i))
        groups = _strings(entry.get("groups"), ("spec", "applyTo", i, "groups"))
        versions = _strings(entry.get("versions"), ("spec", "applyTo", i, "versions"))
        kinds = _strings(entry.get("kinds"), ("spec", "applyTo", i, "kinds"))
        gvks.update((g, v, k) for g in groups for v in versions for k in kinds)
    if generated in gvks:
        group, version, kind = generated
        raise ExpansionError(
            f"ExpansionTemplate {name!r} generates {kind} ({group or 'core'}/{version}) and also applies to it",
            ("spec", "applyTo"),
        )
    raw = spec.get("enforcementAction")
    action: Action | None = None
    if raw not in (None, ""):
        if raw not in _ACTIONS:
            raise ExpansionError(
                f"unknown enforcementAction {raw!r}: use deny, dryrun or warn (or leave it out to keep each constraint's)",
                ("spec", "enforcementAction"),
            )
        action = _ACTIONS[raw]
    return Template(name, frozenset(gvks), tuple(source.split(".")), generated, action, location)


@dataclasses.dataclass(frozen=True, slots=True)
class Child:
    """One object a parent would create. `path`: where its source lies in the parent's object
    (for nested children, the whole way down); `error`: why it could not be built (a parent
    without the template's source field), the child then being a stand-in with kind and name."""

    resource: Resource
    template: str
    action: Action | None
    path: FieldPath
    error: str | None = None


def _cycles(templates: Sequence[Template]) -> list[list[str]]:
    """Groups of templates that expand into each other (strongly connected, more than one)."""
    edges = {t.name: [u.name for u in templates if t.generated in u.apply_to] for t in templates}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan; a handful of templates, recursion is fine
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: list[str] = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for t in templates:
        if t.name not in index:
            visit(t.name)
    return out


class Expander:
    """The ExpansionTemplates of one rule set. Raises ExpansionError (naming the templates) when
    some expand into each other in a cycle."""

    def __init__(self, templates: Sequence[Template]) -> None:
        cycles = _cycles(templates)
        if cycles:
            raise ExpansionError(f"ExpansionTemplates {', '.join(map(repr, cycles[0]))} expand into each other in a cycle")
        self.templates = tuple(templates)
        self._by_gvk: dict[GVK, tuple[Template, ...]] = {}
        for t in self.templates:
            for gvk in t.apply_to:
                self._by_gvk[gvk] = (*self._by_gvk.get(gvk, ()), t)
        # The last parent's children: every constraint asks about the same resource in turn.
        # Swapped whole, so threads (the webhook) never see a torn value.
        self._last: tuple[Resource, tuple[Child, ...]] | None = None

    def applies(self, resource: Resource) -> bool:
        return _gvk(resource) in self._by_gvk

    def children(self, resource: Resource) -> tuple[Child, ...]:
        last = self._last
        if last is not None and last[0] is resource:
            return last[1]
        out: list[Child] = []
        if self._by_gvk:
            self._expand(resource, (), 0, out)
        found = tuple(out)
        self._last = (resource, found)
        return found

    def _expand(self, parent: Resource, at: FieldPath, depth: int, out: list[Child]) -> None:
        templates = self._by_gvk.get(_gvk(parent), ())
        if not templates:
            return
        if depth >= MAX_DEPTH:  # impossible without a cycle, which loading refuses
            raise ExpansionError(f"maximum expansion depth of {MAX_DEPTH} reached")
        for t in templates:
            child = _make(parent, t, at)
            out.append(child)
            if child.error is None:
                self._expand(child.resource, child.path, depth + 1, out)


def _gvk(resource: Resource) -> GVK:
    """The object's group, version and kind; at admission, the request's."""
    if resource.request is not None:
        kind = resource.request.get("kind")
        if isinstance(kind, Mapping) and kind.get("kind"):
            return (str(kind.get("group") or ""), str(kind.get("version") or ""), str(kind.get("kind")))
    return (resource.group, resource.version, resource.kind)


def _nested(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = obj
    for step in path:
        if not isinstance(node, Mapping) or step not in node:
            return None
        node = node[step]
    return node


def _make(parent: Resource, t: Template, at: FieldPath) -> Child:
    group, version, kind = t.generated
    name = parent.metadata.get("name")
    base = name if isinstance(name, str) else ""
    mock = (base + ("-" if kind else "") + kind).lower()
    namespace = parent.namespace
    if parent.request is not None and isinstance(parent.request.get("namespace"), str) and parent.request["namespace"]:
        namespace = parent.request["namespace"]
    src = _nested(parent.obj, t.source)
    error = None
    if not isinstance(src, Mapping):
        where = ".".join(t.source)
        error = (f"ExpansionTemplate {t.name!r} cannot expand {parent.kind or '?'} {base or '?'}: "
                 + (f"it has no mapping at {where}" if src is None else f"{where} is not a mapping"))
        src = {}
    meta_in = src.get("metadata")
    metadata: dict[str, Any] = dict(meta_in) if isinstance(meta_in, Mapping) else {}
    if namespace:
        metadata["namespace"] = namespace
    metadata["name"] = mock
    owner = {"apiVersion": parent.api_version, "kind": parent.kind, "name": base}
    refs = metadata.get("ownerReferences")
    refs = list(refs) if isinstance(refs, list) else []
    if parent.api_version and parent.kind and base and not any(
        isinstance(r, Mapping) and (r.get("apiVersion"), r.get("kind"), r.get("name")) == (owner["apiVersion"], owner["kind"], base)
        for r in refs
    ):
        refs.append(owner)
    if refs:
        metadata["ownerReferences"] = refs
    obj: dict[str, Any] = {**src, "apiVersion": t.generated_api_version, "kind": kind, "metadata": metadata}
    request = None
    old = None
    if parent.request is not None:
        # As Gatekeeper's webhook reviews a resultant: the object with its kind, name, namespace
        # and the parent's operation (DELETE: as oldObject); no userInfo.
        operation = parent.request.get("operation")
        request = {"kind": {"group": group, "version": version, "kind": kind}, "name": mock, "operation": operation}
        if namespace:
            request["namespace"] = namespace
        if operation == "DELETE":
            request["oldObject"] = obj
            old = obj
        else:
            request["object"] = obj
    resource = Resource(
        obj=obj, origin=parent.origin, old_obj=old, request=request, namespace_labels=parent.namespace_labels,
    )
    return Child(resource, t.name, t.action, at if error else (*at, *t.source), error)


def source_of(match: Any) -> str:
    """A constraint's `spec.match.source`: All (the default), Generated or Original. Raises
    ExpansionError for another value (path relative to `spec.match`)."""
    raw = match.get("source") if isinstance(match, Mapping) else None
    if raw in (None, ""):
        return "All"
    if raw not in SOURCES:
        raise ExpansionError(f"unknown source {raw!r}: use All, Generated or Original", ("source",))
    return str(raw)


Check = Callable[[Resource], Iterable[Violation]]
CheckInContext = Callable[[Resource, Context], Iterable[Violation]]
Matcher = Callable[[Resource], bool]


class Plan:
    """One constraint's match and check over an object and its children."""

    def __init__(self, matcher: Matcher, source: str, expander: Expander | None) -> None:
        self._own = matcher
        self._original = source in ("All", "Original")
        self._generated = source in ("All", "Generated") and expander is not None and bool(expander.templates)
        self._expander = expander

    @property
    def plain(self) -> bool:
        """Nothing to add: the constraint judges objects as they are."""
        return self._original and not self._generated

    def _children(self, resource: Resource) -> list[Child]:
        if not self._generated:
            return []
        assert self._expander is not None
        return [c for c in self._expander.children(resource) if self._own(c.resource)]

    def match(self, resource: Resource) -> bool:
        if self._original and self._own(resource):
            return True
        return bool(self._children(resource))

    def check(self, check: Check) -> Check:
        def run(resource: Resource) -> Iterable[Violation]:
            return self._run(resource, check)

        return run

    def check_in_context(self, check: CheckInContext) -> CheckInContext:
        def run(resource: Resource, context: Context) -> Iterable[Violation]:
            return self._run(resource, lambda r: check(r, context))

        return run

    def _run(self, resource: Resource, check: Check) -> list[Violation]:
        out: list[Violation] = []
        if self._original and self._own(resource):
            out.extend(check(resource))
        for child in self._children(resource):
            prefix = f"[Implied by {child.template}]"
            if child.error is not None:
                out.append(Violation(f"{prefix} {child.error}", child.path, Status.ERROR))
                continue
            for v in check(child.resource):
                out.append(dataclasses.replace(
                    v, message=f"{prefix} {v.message}", path=(*child.path, *v.path),
                    action=child.action if child.action is not None else v.action,
                ))
        return out


def _pods_only(match: Any) -> bool:
    """The constraint's kinds name Pods and nothing else."""
    kinds = match.get("kinds") if isinstance(match, Mapping) else None
    if not isinstance(kinds, list) or not kinds:
        return False
    for k in kinds:
        if not isinstance(k, Mapping):
            return False
        groups, names = k.get("apiGroups") or [], k.get("kinds") or []
        if not names or any(n != "Pod" for n in names) or any(g not in ("", "*") for g in groups):
            return False
    return True


def unexpanded_notice(rule_id: str, match: Any, source: str, expander: Expander | None) -> Callable[[frozenset[str]], str | None] | None:
    """For a constraint on Pods only: what a scan says once when it judged pod controllers that
    no ExpansionTemplate expands (their Pods go unjudged by it, as in Gatekeeper without one)."""
    if source == "Original" or not _pods_only(match):
        return None
    templates = expander.templates if expander is not None else ()

    def reaches_pods(kind: str, seen: frozenset[str] = frozenset()) -> bool:
        nexts = {t.generated[2] for t in templates if any(k == kind for _, _, k in t.apply_to)}
        return "Pod" in nexts or any(reaches_pods(n, seen | {kind}) for n in nexts - seen - {kind})

    expanded = {k for k in workloads.POD_CONTROLLERS if reaches_pods(k)}

    def notice(kinds: frozenset[str]) -> str | None:
        missed = sorted((kinds & workloads.POD_CONTROLLERS) - expanded)
        if not missed:
            return None
        return (f"{rule_id} matches Pods only: the {', '.join(missed)} scanned are not judged by it "
                "(Gatekeeper judges the Pods controllers create only through an ExpansionTemplate: "
                "add one to the rules to judge them)")

    return notice
