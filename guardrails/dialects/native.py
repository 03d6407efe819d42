"""The native `guardrails.dev/v1` dialect: `Rule` -> CompiledRule, `Exception` -> Waiver.

A rule spec (already schema-valid) compiles to metadata, a match predicate and one check
function. Pure: no file access; the caller passes the rule's location for errors.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails import checks
from guardrails.checks import base
from guardrails.checks.base import CheckFn
from guardrails.dialects.context import LoadContext
from guardrails.errors import ParamError, RuleFileError
from guardrails.kube.match import compile_match
from guardrails.model import Action, FieldPath, Location, Resource, Severity, Status, Violation
from guardrails.rule import DEFAULT_OPERATIONS, CompiledRule
from guardrails.waivers import compile_waiver

__all__ = ["compile_document", "compile_native"]


def compile_document(
    doc: Mapping[str, Any],
    *,
    source: Location,
    locate: Callable[[FieldPath], Location],
    context: LoadContext,
) -> list[CompiledRule]:
    """Compile one schema-valid native document. Exceptions go to `context.waivers`."""
    name = str(doc["metadata"]["name"])
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Exception":
        try:
            context.waivers.append(compile_waiver(name, spec, source=source))
        except (ValueError, TypeError) as e:
            raise RuleFileError(f"exception {name!r}: {e}", location=source) from None
        return []
    if isinstance(spec.get("expires"), datetime.date):  # pragma: no cover - schema rejects it
        raise RuleFileError(f"rule {name!r}: rules do not expire; use an Exception", location=source)
    return [compile_native(name, spec, source=source, locate=locate)]


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
    needs = base.required_keys(fn)  # a check that finds nothing keeps finding nothing with a message
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
        defaults=spec.get("defaults") or None,
        unknown=str(spec.get("unknown", "unknown")),
        namespace_labels=bool(match_block.get("namespaceSelector") or (spec.get("exclude") or {}).get("namespaceSelector")),
        requires_keys=needs,
    )
