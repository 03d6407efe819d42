"""`assert`: JMESPath expressions on the object that must be true, with a message template.

Params: one `{expression, message?}` or a list of them. An expression whose result is
JMESPath-false (null, false, "", [], {}) fails; `0` is true, as in JMESPath. The message may
hold `{{ expr }}` placeholders, rendered quoted (`"web"`, `1`, `null`) so values read
unambiguously. Without a message the finding says which expression failed and what it gave.
Expressions read the object itself, or Kyverno's `request.object` envelope when they mention
`request` (see checks.jmes); a finding points at the field the
expression reads plainly (`spec.replicas >= `2`` points at spec.replicas).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from guardrails.checks.base import Check, CheckFn
from guardrails.errors import ParamError
from guardrails.kube import paths
from guardrails.lang import jmespath as jmes
from guardrails.lang.quote import quote
from guardrails.model import FieldPath, Resource, Violation

__all__ = ["ASSERT"]

_ITEM = {
    "type": "object",
    "required": ["expression"],
    "additionalProperties": False,
    "properties": {"expression": {"type": "string", "minLength": 1}, "message": {"type": "string"}},
}
SCHEMA: Mapping[str, Any] = {"oneOf": [_ITEM, {"type": "array", "minItems": 1, "items": _ITEM}]}


def _one(raw: Any, path: FieldPath) -> tuple[Any, jmes.Template | None, FieldPath, str]:
    if not isinstance(raw, Mapping) or "expression" not in raw:
        raise ParamError("expected {expression, message}", path)
    unknown = sorted(set(raw) - {"expression", "message"})
    if unknown:
        raise ParamError(f"unknown field {unknown[0]!r}: use expression, message", (*path, unknown[0]))
    expr = jmes.compile_expression(raw["expression"], (*path, "expression"))
    message = raw.get("message")
    if message is not None and not isinstance(message, str):
        raise ParamError("expected a message template string", (*path, "message"))
    render = jmes.compile_message(message, (*path, "message")) if message is not None else None
    return expr, render, jmes.field_path(expr) or (), str(raw["expression"]).strip()


def _compile(params: Any) -> CheckFn:
    if isinstance(params, list):
        if not params:
            raise ParamError("expected at least one assertion")
        items = [_one(p, (i,)) for i, p in enumerate(params)]
    else:
        items = [_one(params, ())]
    items_reads = [(*item, tuple(sorted(jmes.reads(item[0]), key=repr))) for item in items]

    envelope = any(jmes.reads_request(expr) for expr, *_ in items) or jmes.reads_request(params)

    def check(resource: Resource) -> Iterator[Violation]:
        data = jmes.data(resource, envelope=envelope)
        for expr, render, where, text, reads in items_reads:
            result = jmes.search(expr, data)
            if jmes.truthy(result):
                continue
            message = str(render(data)) if render is not None else f"assertion {quote(text)} is not true (got {quote(result)})"
            yield Violation(message, paths.nearest_existing(resource.obj, where), reads=reads)

    return check


ASSERT = Check(
    key="assert",
    schema=SCHEMA,
    compile=_compile,
    summary="JMESPath expressions on the object must be true; the message template can quote values.",
)
