"""Kyverno's condition operators (deny conditions and preconditions), with its exact rules.

Keys and values are JSON values after variable substitution. Strings compare as durations
first, then as quantities, then as wildcard patterns (the value is the pattern); set operators
match elements by wildcard both ways; a value of the wrong shape makes the operator false.
Numbers are Go float64 throughout, as Kyverno sees them after its JSON round trip.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.checks import pattern_value
from guardrails.kube import golang, selectors

__all__ = ["OPERATORS", "evaluate", "operator_names"]


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    return selectors.glob_to_regex(pattern)


def wildcard(pattern: str, name: str) -> bool:
    return _glob(pattern).match(name) is not None


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _sprint(v: Any) -> str:
    return golang.format_v(v)


def _durations(key: Any, value: Any) -> tuple[int, int] | None:
    """Kyverno's parseDuration: at least one side a duration string (not "0"), the other a
    duration string or a number of seconds."""
    kd = golang.parse_duration(key) if isinstance(key, str) and key != "0" else None
    vd = golang.parse_duration(value) if isinstance(value, str) and value != "0" else None
    if kd is None and vd is None:
        return None
    if kd is None:
        if not _num(key):
            return None
        kd = int(key) * 1_000_000_000
    if vd is None:
        if not _num(value):
            return None
        vd = int(value) * 1_000_000_000
    return kd, vd


def _equal(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        return isinstance(value, bool) and key == value
    if _num(key):
        if _num(value):
            return float(value) == float(key)
        if isinstance(value, str):
            f = golang.parse_float(value)
            return f is not None and f == float(key)
        return False
    if isinstance(key, str):
        d = _durations(key, value)
        if d is not None:
            return d[0] == d[1]
        kq = golang.parse_quantity(key)
        if kq is not None and isinstance(value, str):
            vq = golang.parse_quantity(value)
            return vq is not None and kq == vq
        return isinstance(value, str) and wildcard(value, key)
    if isinstance(key, Mapping):
        return isinstance(value, Mapping) and dict(key) == dict(value)
    if isinstance(key, list):
        return isinstance(value, list) and key == value
    return False


def _not_equal(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        return not isinstance(value, bool) or key != value
    if _num(key):
        if _num(value):
            return float(value) != float(key)
        if isinstance(value, str):
            f = golang.parse_float(value)
            return f is None or f != float(key)
        return True
    if isinstance(key, str):
        d = _durations(key, value)
        if d is not None:
            return d[0] != d[1]
        kq = golang.parse_quantity(key)
        if kq is not None and isinstance(value, str):
            if value == "":
                return not wildcard(value, key)
            vq = golang.parse_quantity(value)
            return vq is None or kq != vq
        return not isinstance(value, str) or not wildcard(value, key)
    if isinstance(key, Mapping):
        return not isinstance(value, Mapping) or dict(key) != dict(value)
    if isinstance(key, list):
        return not isinstance(value, list) or key != value
    return False


def _string_list(text: str, *, lenient: bool) -> list[str] | None:
    """A JSON array of strings in a string; with `lenient`, non-JSON text is a one-item list."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return [text] if lenient else None
    if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
        return parsed
    return None


def _in_range(key: str, value: str) -> bool:
    return pattern_value.compile_scalar(value)(key)


# --- In / NotIn (exact set membership for lists of keys) ------------------------------------


def _key_in(key: str, value: Any) -> bool | None:
    if isinstance(value, list):
        return any(wildcard(_sprint(v), key) or wildcard(key, _sprint(v)) for v in value)
    if isinstance(value, str):
        if wildcard(value, key):
            return True
        arr = _string_list(value, lenient=False)
        return None if arr is None else key in arr
    return None


def _set_in(keys: list[str], value: Any, *, negate: bool) -> bool | None:
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            return None
        arr = value
    elif isinstance(value, str):
        if len(keys) == 1 and keys[0] == value:
            return True
        parsed = _string_list(value, lenient=False)
        if parsed is None:
            return None
        arr = parsed
    else:
        return None
    have = set(arr)
    return any(k not in have for k in keys) if negate else all(k in have for k in keys)


def _scalar_key(key: Any) -> str | None:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or _num(key):
        return _sprint(key)
    return None


def _in(key: Any, value: Any, negate: bool = False) -> bool:
    k = _scalar_key(key)
    if k is not None:
        found = _key_in(k, value)
        return False if found is None else (found != negate)
    if isinstance(key, list):
        res = _set_in([str(x) for x in key], value, negate=negate)
        return bool(res)
    return False


# --- AnyIn / AllIn and their negations (wildcards both ways, ranges) ------------------------


def _scalar_in(key: str, value: Any) -> bool | None:
    if isinstance(value, list):
        return any(wildcard(_sprint(v), key) or wildcard(key, _sprint(v)) for v in value)
    if isinstance(value, str):
        if wildcard(value, key):
            return True
        if pattern_value.operator_of(value) == "-":
            return _in_range(key, value)
        arr = _string_list(value, lenient=not _is_json(value))
        return None if arr is None else key in arr
    return None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _matches(k: str, v: str) -> bool:
    return wildcard(k, v) or wildcard(v, k)


def _set_values(value: Any, keys: list[str], *, scalars: bool) -> list[str] | str | None:
    """The candidate values as strings; a range string is returned as is; None if invalid."""
    if isinstance(value, list):
        return [_sprint(v) for v in value]
    if scalars and (isinstance(value, bool) or _num(value)):
        return [_sprint(value)]
    if isinstance(value, str):
        if pattern_value.operator_of(value) == "-":
            return value
        return _string_list(value, lenient=not _is_json(value))
    return None


def _any_in(key: Any, value: Any, negate: bool = False) -> bool:
    k = _scalar_key(key)
    if k is not None:
        found = _scalar_in(k, value)
        return False if found is None else (found != negate)
    if not isinstance(key, list):
        return False
    keys = [_sprint(x) for x in key]
    if isinstance(value, str) and len(keys) == 1 and keys[0] == value:
        return not negate
    vals = _set_values(value, keys, scalars=True)
    if vals is None:
        return False
    if isinstance(vals, str):
        if negate:
            outside = vals.replace("-", "!-", 1)
            return any(_in_range(k, outside) for k in keys)
        return any(_in_range(k, vals) for k in keys)
    if negate:
        return any(not any(_matches(k, v) for v in vals) for k in keys)
    return any(_matches(k, v) for k in keys for v in vals)


def _all_in(key: Any, value: Any, negate: bool = False) -> bool:
    k = _scalar_key(key)
    if k is not None:
        found = _scalar_in(k, value)
        return False if found is None else (found != negate)
    if not isinstance(key, list):
        return False
    keys = [_sprint(x) for x in key]
    if isinstance(value, str) and len(keys) == 1 and keys[0] == value:
        return not negate
    vals = _set_values(value, keys, scalars=False)
    if vals is None:
        return False
    if isinstance(vals, str):
        if negate:
            return not any(_in_range(k, vals) for k in keys)
        return all(_in_range(k, vals) for k in keys)
    if negate:
        return not any(_matches(k, v) for k in keys for v in vals)
    return all(any(_matches(k, v) for v in vals) for k in keys)


# --- ordering: numbers, durations, quantities, versions -------------------------------------

_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\Z"
)


def _semver_key(text: str) -> tuple[Any, ...] | None:
    m = _SEMVER.match(text)
    if m is None:
        return None
    pre = m.group(4)
    pre_key: tuple[Any, ...] = (1,) if not pre else (0, *((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key)


def _cmp_float(key: float, value: Any, test: Callable[[int], bool]) -> bool:
    if _num(value):
        return test((key > float(value)) - (key < float(value)))
    if isinstance(value, str):
        d = _durations(key, value)
        if d is not None:
            return test((d[0] > d[1]) - (d[0] < d[1]))
        f = golang.parse_float(value)
        if f is not None:
            return test((key > f) - (key < f))
    return False


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def check(key: Any, value: Any) -> bool:
        if _num(key):
            return _cmp_float(float(key), value, test)
        if not isinstance(key, str):
            return False
        d = _durations(key, value)
        if d is not None:
            return test((d[0] > d[1]) - (d[0] < d[1]))
        kq = golang.parse_quantity(key)
        vq = golang.parse_quantity(value) if isinstance(value, str) else None
        if kq is not None and vq is not None:
            return test((kq > vq) - (kq < vq))
        f = golang.parse_float(key)
        if f is not None:
            return _cmp_float(f, value, test)
        kv = _semver_key(key)
        if kv is not None and isinstance(value, str):
            vv = _semver_key(value)
            return vv is not None and test((kv > vv) - (kv < vv))
        return False

    return check


def _duration_of(v: Any) -> int | None:
    if _num(v):
        return int(v) * 1_000_000_000
    if isinstance(v, str):
        return golang.parse_duration(v)
    return None


def _duration_op(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def check(key: Any, value: Any) -> bool:
        k, v = _duration_of(key), _duration_of(value)
        if k is None or v is None:
            return False
        return test((k > v) - (k < v))

    return check


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equal": _equal,
    "equals": _equal,
    "notequal": _not_equal,
    "notequals": _not_equal,
    "in": _in,
    "notin": lambda k, v: _in(k, v, True),
    "anyin": _any_in,
    "anynotin": lambda k, v: _any_in(k, v, True),
    "allin": _all_in,
    "allnotin": lambda k, v: _all_in(k, v, True),
    "greaterthan": _ordered(lambda c: c > 0),
    "greaterthanorequals": _ordered(lambda c: c >= 0),
    "lessthan": _ordered(lambda c: c < 0),
    "lessthanorequals": _ordered(lambda c: c <= 0),
    "durationgreaterthan": _duration_op(lambda c: c > 0),
    "durationgreaterthanorequals": _duration_op(lambda c: c >= 0),
    "durationlessthan": _duration_op(lambda c: c < 0),
    "durationlessthanorequals": _duration_op(lambda c: c <= 0),
}


def operator_names() -> list[str]:
    return ["Equals", "NotEquals", "In", "NotIn", "AnyIn", "AnyNotIn", "AllIn", "AllNotIn",
            "GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals",
            "DurationGreaterThan", "DurationGreaterThanOrEquals", "DurationLessThan", "DurationLessThanOrEquals"]


def evaluate(operator: str, key: Any, value: Any) -> bool:
    """One condition. Raises KeyError for an unknown operator."""
    return OPERATORS[operator.lower()](key, value)
