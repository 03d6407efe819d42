"""`requiredLabels` and `requiredAnnotations`: keys that must be present, non-empty and allowed.

Params: a list whose items are a key, or `{key, allowedRegex?, allowedValues?}`. The regex is
searched (not anchored), like Gatekeeper's `k8srequiredlabels`: write `^...$` to pin it.
A present key with an empty (or null) value fails; a value that is not a string fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from guardrails import regex as regex_
from guardrails.checks.base import Check, CheckFn
from guardrails.errors import ParamError
from guardrails.kube import paths
from guardrails.lang.quote import quote
from guardrails.model import Resource, Violation

__all__ = ["REQUIRED_ANNOTATIONS", "REQUIRED_LABELS"]

_ITEM = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "required": ["key"],
            "additionalProperties": False,
            "properties": {
                "key": {"type": "string", "minLength": 1},
                "allowedRegex": {"type": "string"},
                "allowedValues": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        },
    ]
}
SCHEMA: Mapping[str, Any] = {"type": "array", "minItems": 1, "items": _ITEM}


@dataclasses.dataclass(frozen=True, slots=True)
class _Required:
    key: str
    regex: regex_.Regex | None = None
    values: tuple[str, ...] = ()


def _compile_items(params: Any) -> list[_Required]:
    if not isinstance(params, list) or not params:
        raise ParamError("expected a non-empty list of keys or {key, allowedRegex, allowedValues}")
    out = []
    for i, item in enumerate(params):
        if isinstance(item, str) and item:
            out.append(_Required(item))
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str) or not item["key"]:
            raise ParamError("expected a key or a mapping with a non-empty `key`", (i,))
        unknown = sorted(set(item) - {"key", "allowedRegex", "allowedValues"})
        if unknown:
            raise ParamError(f"unknown field {unknown[0]!r}: use key, allowedRegex, allowedValues", (i, unknown[0]))
        regex = None
        if "allowedRegex" in item:
            try:
                regex = regex_.compile(str(item["allowedRegex"]))
            except regex_.RegexError as e:
                raise ParamError(f"invalid allowedRegex: {e}", (i, "allowedRegex")) from None
        values = item.get("allowedValues", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ParamError("allowedValues must be a list of strings", (i, "allowedValues"))
        out.append(_Required(item["key"], regex, tuple(values)))
    return out


def _make(field: str, noun: str) -> Check:
    def compile(params: Any) -> CheckFn:
        required = _compile_items(params)

        def check(resource: Resource) -> Iterator[Violation]:
            meta = resource.obj.get("metadata")
            found = meta.get(field) if isinstance(meta, Mapping) else None
            found = found if isinstance(found, Mapping) else {}
            for req in required:
                path = ("metadata", field, req.key)
                if req.key not in found:
                    yield Violation(f"{noun} {quote(req.key)} is missing", paths.nearest_existing(resource.obj, path))
                    continue
                value = found[req.key]
                if value is None or value == "":
                    yield Violation(f"{noun} {quote(req.key)} is empty", path)
                elif not isinstance(value, str):
                    yield Violation(f"{noun} {quote(req.key)} has value {quote(value)}, which is not a string", path)
                elif req.regex is not None and not req.regex.search(value):
                    yield Violation(
                        f"{noun} {quote(req.key)} has value {quote(value)}, which does not match {quote(req.regex.pattern)}", path
                    )
                elif req.values and value not in req.values:
                    allowed = ", ".join(quote(v) for v in req.values)
                    yield Violation(f"{noun} {quote(req.key)} has value {quote(value)}, which is not one of {allowed}", path)

        return check

    return Check(
        key=f"required{noun.title()}s",
        schema=SCHEMA,
        compile=compile,
        summary=f"Every listed {noun} is present and non-empty, optionally matching a regex or one of a set of values.",
    )


REQUIRED_LABELS = _make("labels", "label")
REQUIRED_ANNOTATIONS = _make("annotations", "annotation")
