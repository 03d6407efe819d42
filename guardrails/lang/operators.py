"""Condition operators (Equals, AnyIn, GreaterThan, ...) with Kyverno's semantics, exactly.

`compare(op, key, value) -> bool`; ValueError for an unknown operator. Operator names are
case-insensitive, as in Kyverno, which also accepts `Equal`/`NotEqual`, the deprecated `In`/
`NotIn` and `Duration*` forms. The rules, read from Kyverno's operator package:

- Numbers behave as Go float64 (Kyverno decodes every JSON number so); booleans are never
  numbers. A string is tried as a Go duration first (`1h` vs `30m`; a plain number on the
  other side counts as seconds), then as a Kubernetes quantity (`1Gi` vs `1024Mi`), then as a
  wildcard pattern (`*` any run, `?` one character): in Equals the *value* is the pattern.
- Equals on maps and lists is deep equality. A value of the wrong type is simply unequal.
- In/NotIn compare exactly; AnyIn, AllIn, AnyNotIn, AllNotIn match wildcards both ways. A
  string value may be a JSON array (`'["a","b"]'`) or, for the Any/All forms, a range `1-10`.
- GreaterThan and friends compare durations, then quantities, then numbers, then semantic
  versions (`1.10.0 > 1.9.2`); anything else is false.
Kyverno's quirks are kept on purpose (`NotIn(["a"], "a")` is true, as there), so policies
give the same verdicts here as in the cluster.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from guardrails.kube import quantity
from guardrails.kube.selectors import wildcard
from guardrails.lang import golang, pattern_value

__all__ = ["DEPRECATED", "OPERATORS", "compare", "resolve", "wildcard"]

_SECOND = 1_000_000_000


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _quantity(x: Any) -> Fraction | None:
    try:
        return quantity.parse(x) if isinstance(x, str) else None
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    """strconv.ParseFloat: a decimal that overflows is an error in Go, not infinity."""
    v = golang.parse_float(text)
    if v is not None and math.isinf(v) and "inf" not in text.lower():
        return None
    return v


def _seconds(x: float) -> int:
    return math.trunc(x) * _SECOND  # Go converts a float to a Duration by truncation


def _durations(key: Any, value: Any) -> tuple[int, int] | None:
    """Both sides as nanoseconds when at least one is a duration string, else None."""
    k = golang.parse_duration(key) if isinstance(key, str) and key != "0" else None
    v = golang.parse_duration(value) if isinstance(value, str) and value != "0" else None
    if k is None and v is None:
        return None
    if k is None:
        if not _is_num(key) or not math.isfinite(key):
            return None
        k = _seconds(key)
    if v is None:
        if not _is_num(value) or not math.isfinite(value):
            return None
        v = _seconds(value)
    return k, v


def _deep_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_num(a) or _is_num(b):
        return _is_num(a) and _is_num(b) and float(a) == float(b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and bool(a == b)


def _equals(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        return isinstance(value, bool) and key == value
    if _is_num(key):
        k = float(key)
        if _is_num(value):
            return k == float(value)
        if isinstance(value, str):
            return _parse_float(value) == k
        return False
    if isinstance(key, str):
        d = _durations(key, value)
        if d is not None:
            return d[0] == d[1]
        kq = _quantity(key)
        if kq is not None and isinstance(value, str):
            return kq == _quantity(value)
        return isinstance(value, str) and wildcard(value, key)
    if isinstance(key, (Mapping, list)):
        return isinstance(value, type(key) if isinstance(key, list) else Mapping) and _deep_equal(key, value)
    return False


def _not_equals(key: Any, value: Any) -> bool:
    if isinstance(key, str):
        d = _durations(key, value)
        if d is not None:
            return d[0] != d[1]
        kq = _quantity(key)
        if kq is not None and isinstance(value, str) and value != "":
            return kq != _quantity(value)
        return not (isinstance(value, str) and wildcard(value, key))
    if key is None or not isinstance(key, (bool, int, float, Mapping, list)):
        return False
    return not _equals(key, value)


def _string_list(text: str, *, lenient: bool) -> list[str] | None:
    """A JSON array of strings; with `lenient`, text that is not JSON at all is one item.
    None when the JSON is not an array of strings (Go's Unmarshal into []string fails)."""
    try:
        data = json.loads(text, parse_constant=_reject)
    except ValueError:
        return [text] if lenient else None
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(x, str) or x is None for x in data):
        return None
    return [x or "" for x in data]


def _reject(name: str) -> Any:
    raise ValueError(name)


def _in_range(key: str, value: str) -> bool:
    return pattern_value.compile_scalar(value)(key)


def _scalar_key(key: Any) -> str | None:
    if isinstance(key, str):
        return key
    if isinstance(key, (bool, int, float)):
        return golang.format_v(key)
    return None


def _key_in(key: str, value: Any, *, ranges: bool) -> bool | None:
    """Kyverno's keyExistsInArray (ranges=False, In/NotIn) and any/allKeyExistsInArray."""
    if isinstance(value, list):
        return any(wildcard(golang.format_v(v), key) or wildcard(key, golang.format_v(v)) for v in value)
    if not isinstance(value, str):
        return None
    if wildcard(value, key):
        return True
    if ranges and pattern_value.operator_of(value) == "-":
        return _in_range(key, value)
    items = _string_list(value, lenient=ranges)
    return None if items is None else key in items


def _set_in(keys: list[str], value: Any, mode: str) -> bool | None:
    """Kyverno's set forms; mode is one of in, notin, anyin, anynotin, allin, allnotin."""
    negated = mode.endswith("notin")
    exact = mode in ("in", "notin")
    if isinstance(value, list):
        if exact and not all(isinstance(v, str) for v in value):
            return None
        items = [golang.format_v(v) for v in value]
    elif mode.startswith("any") and isinstance(value, (bool, int, float)):
        items = [golang.format_v(value)]
    elif isinstance(value, str):
        if len(keys) == 1 and keys[0] == value:
            return True if exact else not negated
        if not exact and pattern_value.operator_of(value) == "-":
            if mode == "anynotin":
                return any(_in_range(k, value.replace("-", "!-", 1)) for k in keys)
            hits = [_in_range(k, value) for k in keys]
            return any(hits) if mode == "anyin" else (not any(hits) if negated else all(hits))
        parsed = _string_list(value, lenient=not exact)
        if parsed is None:
            return None
        items = parsed
    else:
        return None
    if exact:
        found = [k in items for k in keys]
    else:
        found = [any(wildcard(k, i) or wildcard(i, k) for i in items) for k in keys]
    if mode in ("in", "allin"):
        return all(found)
    if mode in ("notin", "anynotin"):
        return not all(found)
    if mode == "anyin":
        return any(found)
    return not any(found)  # allnotin


def _membership(mode: str) -> Callable[[Any, Any], bool]:
    negated = mode.endswith("notin")

    def op(key: Any, value: Any) -> bool:
        if isinstance(key, list):
            if mode in ("in", "notin") and not all(isinstance(k, str) for k in key):
                return False  # Kyverno asserts string items here
            result = _set_in([golang.format_v(k) for k in key], value, mode)
            return bool(result)
        text = _scalar_key(key)
        if text is None:
            return False
        found = _key_in(text, value, ranges=mode not in ("in", "notin"))
        if found is None:
            return False
        return not found if negated else found

    return op


_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?",
    re.ASCII,
)


def _semver_key(text: str) -> tuple[Any, ...] | None:
    m = _SEMVER.fullmatch(text)
    if m is None:
        return None
    pre: tuple[Any, ...] = ()
    if m[4]:
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in m[4].split("."))
    # A release sorts after all of its pre-releases.
    return int(m[1]), int(m[2]), int(m[3]), (1,) if not pre else (0, pre)


_CMP: dict[str, Callable[[Any, Any], bool]] = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


def _ordered(op: str) -> Callable[[Any, Any], bool]:
    cmp = _CMP[op]

    def number(k: float, value: Any) -> bool:
        if _is_num(value):
            return cmp(k, float(value))
        if isinstance(value, str):
            d = _durations(k, value)
            if d is not None:
                return cmp(*d)
            v = _parse_float(value)
            return v is not None and cmp(k, v)
        return False

    def evaluate(key: Any, value: Any) -> bool:
        if _is_num(key):
            return number(float(key), value)
        if not isinstance(key, str):
            return False
        d = _durations(key, value)
        if d is not None:
            return cmp(*d)
        kq, vq = _quantity(key), _quantity(value)
        if kq is not None and vq is not None:
            return cmp(kq, vq)
        k = _parse_float(key)
        if k is not None:
            return number(k, value)
        ks = _semver_key(key)
        if ks is not None and isinstance(value, str):
            vs = _semver_key(value)
            return vs is not None and cmp(ks, vs)
        return False

    return evaluate


def _duration_op(op: str) -> Callable[[Any, Any], bool]:
    """The deprecated Duration* operators: numbers are seconds, strings must be durations."""
    cmp = _CMP[op]

    def as_ns(x: Any) -> int | None:
        if _is_num(x) and math.isfinite(x):
            return _seconds(x)
        return golang.parse_duration(x) if isinstance(x, str) else None

    def evaluate(key: Any, value: Any) -> bool:
        k, v = as_ns(key), as_ns(value)
        return k is not None and v is not None and cmp(k, v)

    return evaluate


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": _equals,
    "NotEquals": _not_equals,
    "In": _membership("in"),
    "NotIn": _membership("notin"),
    "AnyIn": _membership("anyin"),
    "AllIn": _membership("allin"),
    "AnyNotIn": _membership("anynotin"),
    "AllNotIn": _membership("allnotin"),
    "GreaterThan": _ordered("gt"),
    "GreaterThanOrEquals": _ordered("ge"),
    "LessThan": _ordered("lt"),
    "LessThanOrEquals": _ordered("le"),
    "Equal": _equals,
    "NotEqual": _not_equals,
    "DurationGreaterThan": _duration_op("gt"),
    "DurationGreaterThanOrEquals": _duration_op("ge"),
    "DurationLessThan": _duration_op("lt"),
    "DurationLessThanOrEquals": _duration_op("le"),
}
_BY_LOWER = {name.lower(): fn for name, fn in OPERATORS.items()}
DEPRECATED = {"In": "AllIn or AnyIn", "NotIn": "AllNotIn or AnyNotIn", **{
    n: n.removeprefix("Duration") for n in OPERATORS if n.startswith("Duration")}}


def resolve(op: str) -> Callable[[Any, Any], bool]:
    """The operator function for a name (case-insensitive). ValueError naming the valid ones."""
    fn = _BY_LOWER.get(op.lower()) if isinstance(op, str) else None
    if fn is None:
        names = ", ".join(n for n in OPERATORS if n not in DEPRECATED and n not in ("Equal", "NotEqual"))
        raise ValueError(f"unknown operator {op!r}: use one of {names}")
    return fn


def compare(op: str, key: Any, value: Any) -> bool:
    """Evaluate `key <op> value` as Kyverno does."""
    return resolve(op)(key, value)
