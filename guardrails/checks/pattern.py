"""The `pattern` and `anyPattern` checks: Kyverno validation patterns, with Kyverno's verdicts.

The tree walk lives in `pattern_tree` and scalar matching in `pattern_value`; this module
holds the rule-level semantics (how `anyPattern` combines its entries, and the messages
Kyverno writes) and the two native checks. The Kyverno dialect calls the same functions
with the rule's name and message, so both paths give the same verdicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from guardrails.checks.base import Check, CheckFn
from guardrails.errors import ParamError
from guardrails.kube import paths
from guardrails.lang.pattern import (
    Miss,
    Node,
    Outcome,
    compile_pattern,
    match,
    match_all,
    parse_anchor,
    path_text,
)
from guardrails.model import FieldPath, Resource, Status, Violation

__all__ = [
    "ANY_PATTERN",
    "PATTERN",
    "Node",
    "Outcome",
    "Verdict",
    "any_outcomes",
    "any_pattern_verdict",
    "check_anchors",
    "compile_pattern",
    "judge_any_pattern",
    "judge_pattern",
    "match",
    "path_text",
    "pattern_verdict",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """A rule's outcome: status, Kyverno's message and the field path it points at."""

    status: Status
    message: str
    path: FieldPath = ()


def _with_period(message: str) -> str:
    return message if message.endswith(".") else message + "."


def pattern_verdict(out: Outcome, *, rule: str, message: str = "") -> Verdict:
    """A `validate.pattern` rule's verdict from its match outcome, with Kyverno's wording."""
    if out.status is Status.PASS:
        return Verdict(Status.PASS, f"validation rule '{rule}' passed.")
    if out.status is Status.SKIP:
        return Verdict(Status.SKIP, out.detail)
    lead = f"validation error: {_with_period(message)} " if message else "validation error: "
    if out.status is Status.FAIL:
        return Verdict(Status.FAIL, f"{lead}rule {rule} failed at path {out.where}", out.path)
    return Verdict(Status.ERROR, f"{lead}rule {rule} execution error: {out.detail}")


def judge_pattern(node: Node, obj: Any, *, rule: str, message: str = "") -> Verdict:
    """A `validate.pattern` rule on an object."""
    return pattern_verdict(match(node, obj), rule=rule, message=message)


def any_outcomes(nodes: Sequence[Node], obj: Any) -> list[Outcome]:
    """The outcome of each `anyPattern` entry, up to the first that passes."""
    out: list[Outcome] = []
    for node in nodes:
        out.append(match(node, obj))
        if out[-1].status is Status.PASS:
            break
    return out


def any_pattern_verdict(outcomes: Sequence[Outcome], *, rule: str, message: str = "") -> Verdict:
    """A `validate.anyPattern` rule: the first entry that passes wins; the rule skips only when
    every entry skipped, and fails naming every failed entry."""
    failed: list[str] = []
    skipped: list[str] = []
    first_path: FieldPath | None = None
    for i, out in enumerate(outcomes):
        if out.status is Status.PASS:
            return Verdict(Status.PASS, f"validation rule '{rule}' anyPattern[{i}] passed.")
        if out.status is Status.SKIP:
            skipped.append(f"rule {rule}[{i}] skipped: {out.detail}")
        elif out.status is Status.FAIL:
            failed.append(f"rule {rule}[{i}] failed at path {out.where}")
            first_path = out.path if first_path is None else first_path
        else:
            failed.append(f"rule {rule}[{i}] failed: {out.detail}")
    if skipped and not failed:
        return Verdict(Status.SKIP, " ".join(skipped))
    if failed:
        text = " ".join(failed)
        if not message:
            return Verdict(Status.FAIL, f"validation error: {text}", first_path or ())
        sep = " " if message.endswith(".") else ". "
        return Verdict(Status.FAIL, f"validation error: {message}{sep}{text}", first_path or ())
    return Verdict(Status.PASS, message)


def judge_any_pattern(nodes: Sequence[Node], obj: Any, *, rule: str, message: str = "") -> Verdict:
    return any_pattern_verdict(any_outcomes(nodes, obj), rule=rule, message=message)


def check_anchors(pattern: Any, path: FieldPath = ()) -> None:
    """Reject what Kyverno's policy validation rejects in a pattern: an existence anchor on a
    value that is not a list of maps, and anchors on list items that are not maps."""
    if isinstance(pattern, Mapping):
        for k, v in pattern.items():
            a = parse_anchor(str(k))
            if a is not None and a[0] == "^" and not (
                isinstance(v, list) and v and all(isinstance(i, Mapping) for i in v)
            ):
                raise ParamError(f"existence anchor {k!r} needs a list of maps", (*path, str(k)))
            check_anchors(v, (*path, str(k)))
    elif isinstance(pattern, list):
        for i, v in enumerate(pattern):
            check_anchors(v, (*path, i))


def _words(obj: Any, miss: Miss) -> str:
    """A native finding's words: the field as a reader names it (the container, the volume),
    then what is wrong with it."""
    return f"{paths.plain(obj, miss.path)} {miss.detail}"


def _violations(verdict: Verdict) -> Iterable[Violation]:
    if verdict.status is Status.PASS:
        return ()
    return (Violation(verdict.message, verdict.path, verdict.status),)


def _compile_pattern(params: Any) -> CheckFn:
    if not isinstance(params, Mapping):
        raise ParamError("pattern must be a mapping that mirrors the resource, e.g. {spec: {...}}")
    check_anchors(params)
    node = compile_pattern(params)

    def check(resource: Resource) -> Iterable[Violation]:
        out, misses = match_all(node, resource.obj)
        if out.status is Status.PASS:
            return ()
        if out.status is Status.FAIL:  # every failing field is its own finding
            return [Violation(_words(resource.obj, m), m.path) for m in misses]
        return (Violation(out.detail, (), out.status),)

    return check


def _native_any(nodes: Sequence[Node], obj: Any) -> Iterable[Violation]:
    """`anyPattern` in native words: the first form that passes wins; a failure names what each
    form found wrong, and points at the first form's first failing field."""
    outcomes = any_outcomes(nodes, obj)
    if any(o.status is Status.PASS for o in outcomes):
        return ()
    if all(o.status is Status.SKIP for o in outcomes):
        return (Violation("; ".join(o.detail for o in outcomes), (), Status.SKIP),)
    forms: list[str] = []
    first: FieldPath | None = None
    for i, (node, out) in enumerate(zip(nodes, outcomes), 1):
        if out.status is Status.FAIL:
            misses: list[Miss] = match_all(node, obj, out)[1]
            first = misses[0].path if first is None and misses else first
            forms.append(f"({i}) " + ", ".join(_words(obj, m) for m in misses))
        elif out.status is Status.SKIP:
            forms.append(f"({i}) does not apply")
        else:
            forms.append(f"({i}) could not be evaluated: {out.detail}")
    text = f"matches none of the {len(nodes)} accepted forms: " + "; ".join(forms)
    return (Violation(text, first or ()),)


def _compile_any(params: Any) -> CheckFn:
    if not isinstance(params, list) or not params:
        raise ParamError("anyPattern must be a non-empty list of patterns")
    for i, p in enumerate(params):
        if not isinstance(p, Mapping):
            raise ParamError("each anyPattern entry must be a mapping that mirrors the resource", (i,))
        check_anchors(p, (i,))
    nodes = [compile_pattern(p) for p in params]

    def check(resource: Resource) -> Iterable[Violation]:
        return _native_any(nodes, resource.obj)

    return check


_SCHEMA: Mapping[str, Any] = {"type": "object"}

PATTERN = Check(
    key="pattern",
    schema=_SCHEMA,
    compile=_compile_pattern,
    summary="The resource matches a Kyverno-style pattern (wildcards, operators, anchors).",
)
ANY_PATTERN = Check(
    key="anyPattern",
    schema={"type": "array", "minItems": 1, "items": {"type": "object"}},
    compile=_compile_any,
    summary="The resource matches at least one of several Kyverno-style patterns.",
)
