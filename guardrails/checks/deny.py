"""`deny`: the resource fails when its JMESPath conditions hold, as in a Kyverno deny rule.

Params:
  conditions:                 a list (all must hold), or {any: [...], all: [...]}
    - key: "{{ spec.replicas }}"    value or `{{ expr }}` template, evaluated on the object
      operator: GreaterThan         any operator of checks.operators
      value: 5
      message: optional, a template shown when this condition holds
  message: optional template replacing the conditions' messages

With both `any` and `all`, both must hold (Kyverno's rule); an `any` list that is present but
empty never holds. Expressions read the object itself, or Kyverno's `request.object` envelope
when they mention `request` (see checks.jmes); a path the key reads plainly
(`{{ spec.replicas }}`) is where the finding points.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from guardrails.checks.base import Check, CheckFn
from guardrails.errors import ParamError
from guardrails.kube import paths
from guardrails.lang import conditions, operators
from guardrails.lang import jmespath as jmes
from guardrails.lang.quote import quote
from guardrails.model import FieldPath, Resource, Violation

__all__ = ["DENY", "compile_conditions"]

_CONDITION = {
    "type": "object",
    "required": ["key", "operator"],
    "additionalProperties": False,
    "properties": {
        "key": {},
        "operator": {"type": "string", "enum": sorted(operators.OPERATORS)},
        "value": {},
        "message": {"type": "string"},
    },
}
_LIST = {"type": "array", "items": _CONDITION}
SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "required": ["conditions"],
    "additionalProperties": False,
    "properties": {
        "conditions": {
            "oneOf": [
                _LIST,
                {"type": "object", "additionalProperties": False, "minProperties": 1,
                 "properties": {"any": _LIST, "all": _LIST}},
            ]
        },
        "message": {"type": "string"},
    },
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Condition:
    key: jmes.Template
    op: Callable[[Any, Any], bool]
    value: jmes.Template
    text: str  # the default message, with a {found} slot for the key's value
    message: jmes.Template | None
    path: FieldPath | None

    def holds(self, obj: Any) -> tuple[bool, str]:
        key = self.key(obj)
        ok = self.op(key, self.value(obj))
        if not ok:
            return False, ""
        if self.message is not None:
            return True, str(self.message(obj))
        return True, f"{self.text.format(found=quote(key))}"


def _condition(raw: Any, path: FieldPath) -> _Condition:
    if not isinstance(raw, Mapping):
        raise ParamError("expected a condition {key, operator, value}", path)
    unknown = sorted(set(raw) - {"key", "operator", "value", "message"})
    if unknown:
        raise ParamError(f"unknown field {unknown[0]!r}: use key, operator, value, message", (*path, unknown[0]))
    if "key" not in raw:
        raise ParamError("a condition needs a key", path)
    try:
        op = operators.resolve(str(raw.get("operator", "")))
    except ValueError as e:
        raise ParamError(str(e), (*path, "operator")) from None
    key = jmes.compile_template(raw["key"], (*path, "key"))
    value = jmes.compile_template(raw.get("value"), (*path, "value"))
    message = raw.get("message")
    where = None
    k = raw["key"]
    whole = jmes.whole_expression(k) if isinstance(k, str) else None
    if whole is not None:
        where = jmes.field_path(jmes.compile_expression(whole, (*path, "key")))
    value_text = quote(raw.get("value")).replace("{", "{{").replace("}", "}}")
    shown = (whole.strip() if whole is not None else quote(k)).replace("{", "{{").replace("}", "}}")
    text = f"{shown} is {{found}}, and the rule denies {raw['operator']} {value_text}"
    return _Condition(key, op, value, text,
                      jmes.compile_message(message, (*path, "message")) if message is not None else None, where)


def _list(raw: Any, path: FieldPath) -> list[_Condition]:
    if not isinstance(raw, list):
        raise ParamError("expected a list of conditions", path)
    return [_condition(c, (*path, i)) for i, c in enumerate(raw)]


def compile_conditions(raw: Any, path: FieldPath = ()) -> Callable[[Any], tuple[bool, list[tuple[str, FieldPath | None]]]]:
    """`any`/`all` conditions (or a bare list = all) -> function of the data returning
    (deny?, [(message, path) of every condition that held])."""
    if isinstance(raw, list):
        any_, all_ = None, _list(raw, path)
    elif isinstance(raw, Mapping) and raw and not set(raw) - {"any", "all"}:
        any_ = _list(raw["any"], (*path, "any")) if "any" in raw else None
        all_ = _list(raw.get("all", []), (*path, "all"))
    else:
        raise ParamError("expected a list of conditions or {any: [...], all: [...]}", path)

    def holds(c: _Condition, data: Any) -> tuple[bool, tuple[str, FieldPath | None]]:
        ok, message = c.holds(data)
        return ok, (message, c.path)

    def evaluate(data: Any) -> tuple[bool, list[tuple[str, FieldPath | None]]]:
        # The one any/all walker; native rules report every `any` condition that holds.
        ok, held, _ = conditions.any_all(any_, all_, lambda c: holds(c, data), every_any=True)
        return (True, held) if ok else (False, [])

    return evaluate


def _reads(conditions: Any) -> frozenset[FieldPath]:
    """Every path the conditions' keys and values read (not their messages)."""
    items = conditions if isinstance(conditions, list) else [
        c for group in ("any", "all") if isinstance(conditions, Mapping) for c in conditions.get(group) or ()
    ]
    out: frozenset[FieldPath] = frozenset()
    for c in items:
        if isinstance(c, Mapping):
            out |= jmes.template_reads(c.get("key")) | jmes.template_reads(c.get("value"))
    return out


def _compile(params: Any) -> CheckFn:
    if not isinstance(params, Mapping) or "conditions" not in params:
        raise ParamError("expected a mapping with conditions (and an optional message)")
    unknown = sorted(set(params) - {"conditions", "message"})
    if unknown:
        raise ParamError(f"unknown field {unknown[0]!r}: use conditions, message", (unknown[0],))
    evaluate = compile_conditions(params["conditions"], ("conditions",))
    reads = tuple(sorted(_reads(params["conditions"]), key=repr))
    message = params.get("message")
    render = jmes.compile_message(message, ("message",)) if message is not None else None

    envelope = jmes.reads_request(params)

    def check(resource: Resource) -> Iterator[Violation]:
        data = jmes.data(resource, envelope=envelope)
        denied, held = evaluate(data)
        if not denied:
            return
        where = next((p for _, p in held if p is not None), ())
        path = paths.nearest_existing(resource.obj, where)
        text = str(render(data)) if render is not None else "; ".join(m for m, _ in held)
        yield Violation(text or "denied by the rule's conditions", path, reads=reads)

    return check


DENY = Check(
    key="deny",
    schema=SCHEMA,
    compile=_compile,
    summary="Fails when JMESPath conditions on the object hold (any/all, Kyverno's operators).",
)
