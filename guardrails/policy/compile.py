"""A native rule spec (already schema-valid) -> CompiledRule: metadata, a match predicate and a
check function. Pure: no file access; the caller passes the rule's location for errors.

Every dialect (native, Kyverno, Gatekeeper) ends up as CompiledRule, so the engine, reporters
and the webhook know only this one shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from guardrails import checks
from guardrails.checks.base import CheckFn, ParamError
from guardrails.errors import RuleFileError
from guardrails.kube import selectors
from guardrails.model import Action, FieldPath, Location, Resource, Severity, Status, Violation

__all__ = ["CompiledRule", "Matcher", "compile_match", "compile_native", "kind_matcher"]

Matcher = Callable[[Resource], bool]

DEFAULT_OPERATIONS = frozenset({"CREATE", "UPDATE"})


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    check: CheckFn
    match: Matcher
    severity: Severity = Severity.MEDIUM
    action: Action = Action.DENY
    title: str = ""
    description: str = ""
    remediation: str = ""
    category: str = ""
    references: tuple[str, ...] = ()
    source: Location | None = None
    # Judge the pod templates of controllers as Pods (rules written for Pod).
    pod_templates: bool = False
    # Admission operations the rule judges; scans judge everything as CREATE.
    operations: frozenset[str] = DEFAULT_OPERATIONS
    # DELETE requests are judged on oldObject only when a rule asks for it.
    on_delete: bool = False
    # Admission sub-resources the rule judges (`status`, `scale`, `exec`...); none by default,
    # so `*/status` updates and the like are not judged unless a rule asks.
    subresources: frozenset[str] = frozenset()
    dialect: str = "native"
    policy: str = ""  # the Kyverno policy or Gatekeeper constraint this rule came from
    profiles: tuple[str, ...] = ()
    # Set when the rule cannot be evaluated faithfully here: every match is a SKIP with this reason.
    unsupported: str | None = None
    check_key: str = ""
    # Plain kind names the rule can match, for the engine's prefilter; None = any kind.
    kinds: frozenset[str] | None = None
    # The action for one resource when it depends on the resource (Kyverno's
    # validationFailureActionOverrides, by namespace); None = `action` always.
    action_for: Callable[[Resource], Action] | None = None


def _always(_: Resource) -> bool:
    return True


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
        tests.append(lambda r: not r.namespace or ns_ok(r.namespace))
    exns = block.get("excludeNamespaces")
    if exns:
        exns_ok = selectors.compile_globs(exns)
        tests.append(lambda r: not r.namespace or not exns_ok(r.namespace))
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


def _with_message(fn: CheckFn, message: str) -> CheckFn:
    """The rule's own sentence before each failure's detail, as Kyverno's `validate.message` reads."""
    lead = message.rstrip(". ")

    def check(resource: Resource) -> Iterable[Violation]:
        for v in fn(resource):
            if v.status in (Status.FAIL, Status.ERROR, Status.UNKNOWN):
                yield dataclasses.replace(v, message=f"{lead}: {v.message}")
            else:
                yield v

    return check


def compile_native(
    name: str,
    spec: Mapping[str, Any],
    *,
    source: Location | None,
    locate: Callable[[FieldPath], Location | None] | None = None,
) -> CompiledRule:
    """Compile one schema-valid native rule. Raises RuleFileError pointing at the bad field.

    `locate` maps a path inside the rule document to a file position (from the loader's marks).
    """

    def where(path: FieldPath) -> Location | None:
        return (locate(path) if locate else None) or source

    keys = [k for k in spec if k in checks.CHECKS]
    if len(keys) != 1:
        found = ", ".join(keys) or "none"
        raise RuleFileError(
            f"rule {name!r} must have exactly one check, found {found}",
            location=source,
            hint=f"use one of {', '.join(checks.CHECKS)}",
        )
    key = keys[0]
    check = checks.get(key)
    try:
        fn = check.compile(spec[key])
    except ParamError as e:
        raise RuleFileError(
            f"rule {name!r}: {key}: {e.message}", location=where(("spec", key, *e.path))
        ) from None
    if spec.get("message"):
        fn = _with_message(fn, str(spec["message"]))
    match_block = spec.get("match") or {}
    try:
        inc = compile_match(match_block, empty=True)
        exc = compile_match(spec.get("exclude"), empty=False)
    except ValueError as e:
        raise RuleFileError(f"rule {name!r}: {e}", location=where(("spec", "match"))) from None

    def matches(r: Resource) -> bool:
        return inc(r) and not exc(r)

    kinds = match_block.get("kinds") or []
    ops = match_block.get("operations")
    plain = [k.split("/")[-1] for k in kinds]
    return CompiledRule(
        name=name,
        check=fn,
        match=matches,
        severity=Severity.parse(spec.get("severity", "medium")),
        action=Action(spec.get("action", "deny")),
        title=spec.get("title", ""),
        description=spec.get("description", ""),
        remediation=spec.get("remediation", ""),
        category=spec.get("category", ""),
        references=tuple(spec.get("references", ())),
        source=source,
        pod_templates=any(k.split("/")[-1] == "Pod" for k in kinds),
        operations=frozenset(ops) if ops else DEFAULT_OPERATIONS,
        on_delete="DELETE" in (ops or ()),
        profiles=tuple(spec.get("profiles", ())),
        check_key=key,
        kinds=frozenset(plain) if plain and not any("*" in k or "?" in k for k in plain) else None,
    )
