"""`resources`: per-container requests and limits: presence, bounds and limit/request ratio.

Params (all optional, at least one):
  requests: [cpu, memory, ...]          resource names every container must request
  limits:   [cpu, memory, ...]          resource names every container must limit
  min: {requests: {cpu: 100m}, limits: {...}}   lowest allowed value
  max: {requests: {...}, limits: {memory: 2Gi}} highest allowed value
  ratio: {memory: 2, cpu: 4}            limit may be at most this many times the request

Applies to `containers` and `initContainers`; ephemeral containers cannot have resources in
Kubernetes, so they are never judged. Bounds and ratios judge only values that are written
(presence is what `requests`/`limits` ask for). Values are compared as exact quantities; a
malformed value in a manifest is a finding quoting it, a malformed bound is a rule error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

from guardrails.checks.base import Check, CheckFn
from guardrails.checks.images import container_noun
from guardrails.errors import ParamError
from guardrails.kube import paths, quantity, workloads
from guardrails.lang.quote import quote
from guardrails.model import FieldPath, Resource, Violation

__all__ = ["RESOURCES"]

_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
_QUANTITY = {"type": ["string", "number"]}
_BOUNDS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: {"type": "object", "additionalProperties": _QUANTITY} for k in ("requests", "limits")},
}
SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "requests": _NAMES,
        "limits": _NAMES,
        "min": _BOUNDS,
        "max": _BOUNDS,
        "ratio": {"type": "object", "additionalProperties": {"type": ["number", "string"]}},
    },
}
_KINDS = {"requests": "request", "limits": "limit"}
_FIELDS = ("requests", "limits", "min", "max", "ratio")


def _names(params: Mapping[str, Any], field: str) -> tuple[str, ...]:
    raw = params.get(field, [])
    if not isinstance(raw, list) or not all(isinstance(n, str) and n for n in raw):
        raise ParamError("expected a list of resource names such as cpu, memory", (field,))
    return tuple(raw)


def _bounds(params: Mapping[str, Any], field: str) -> list[tuple[str, str, Fraction, str]]:
    """[(requests|limits, resource name, bound, bound as written)]"""
    raw = params.get(field, {})
    if not isinstance(raw, Mapping) or set(raw) - set(_KINDS):
        raise ParamError("expected a mapping with requests and/or limits", (field,))
    out = []
    for kind, table in raw.items():
        if not isinstance(table, Mapping):
            raise ParamError("expected a mapping of resource name to quantity", (field, kind))
        for name, text in table.items():
            try:
                out.append((kind, str(name), quantity.parse(text), str(text)))
            except ValueError as e:
                raise ParamError(str(e), (field, kind, name)) from None
    return out


def _ratios(params: Mapping[str, Any]) -> list[tuple[str, Fraction, str]]:
    raw = params.get("ratio", {})
    if not isinstance(raw, Mapping):
        raise ParamError("expected a mapping of resource name to the largest limit/request ratio", ("ratio",))
    out = []
    for name, value in raw.items():
        try:
            ratio = quantity.parse(value)
        except ValueError:
            ratio = Fraction(0)
        if ratio <= 0:
            raise ParamError(f"ratio must be a positive number, got {value!r}", ("ratio", name))
        out.append((str(name), ratio, str(value)))
    return out


class _Noun:
    """`container "app"`, rendered only when a message needs it."""

    __slots__ = ("container", "field")

    def __init__(self, field: str, container: Mapping[str, Any]) -> None:
        self.field, self.container = field, container

    def __str__(self) -> str:
        return container_noun(self.field, self.container)


def _show(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.3g}"


def _compile(params: Any) -> CheckFn:
    if not isinstance(params, Mapping) or not params:
        raise ParamError("expected a mapping with requests, limits, min, max or ratio")
    unknown = sorted(set(params) - set(_FIELDS))
    if unknown:
        raise ParamError(f"unknown field {unknown[0]!r}: use {', '.join(_FIELDS)}", (unknown[0],))
    required = [("requests", n) for n in _names(params, "requests")] + [("limits", n) for n in _names(params, "limits")]
    lows, highs, ratios = _bounds(params, "min"), _bounds(params, "max"), _ratios(params)

    def check(resource: Resource) -> Iterator[Violation]:
        for container, cpath, field in workloads.iter_containers(resource.obj):
            if field == "ephemeralContainers":
                continue
            yield from _judge(resource.obj, container, cpath, _Noun(field, container))

    def _judge(obj: Any, container: Mapping[str, Any], cpath: FieldPath, who: _Noun) -> Iterator[Violation]:
        res = container.get("resources")
        res = res if isinstance(res, Mapping) else {}
        values: dict[tuple[str, str], Fraction] = {}
        for kind in _KINDS:
            table = res.get(kind)
            for name, raw in (table.items() if isinstance(table, Mapping) else ()):
                if raw is None or raw == "":
                    continue  # absent: reported by the presence check when required
                try:
                    values[kind, name] = quantity.parse(raw)
                except ValueError:
                    yield Violation(f"{who} {name} {_KINDS[kind]} {quote(raw)} is not a valid quantity",
                                    (*cpath, "resources", kind, name))
        for kind, name in required:
            table = res.get(kind)
            if not isinstance(table, Mapping) or table.get(name) in (None, ""):
                path = paths.nearest_existing(obj, (*cpath, "resources", kind, name))
                yield Violation(f"{who} has no {name} {_KINDS[kind]}", path)
        for bounds, word, bad in ((lows, "below the minimum", -1), (highs, "above the maximum", 1)):
            for kind, name, bound, text in bounds:
                v = values.get((kind, name))
                if v is not None and (v > bound) - (v < bound) == bad:
                    yield Violation(f"{who} {name} {_KINDS[kind]} {quote(res[kind][name])} is {word} {text}",
                                    (*cpath, "resources", kind, name))
        for name, ratio, text in ratios:
            req, lim = values.get(("requests", name)), values.get(("limits", name))
            if req is None or lim is None or lim <= ratio * req:
                continue
            limit_text, request_text = quote(res["limits"][name]), quote(res["requests"][name])
            how = f"is {_show(lim / req)} times its request" if req > 0 else "is set over a request of"
            yield Violation(f"{who} {name} limit {limit_text} {how} {request_text}, more than the allowed ratio {text}",
                            (*cpath, "resources", "limits", name))

    return check


RESOURCES = Check(
    key="resources",
    schema=SCHEMA,
    compile=_compile,
    summary="Containers set the required resource requests and limits, within bounds and limit/request ratios.",
)
