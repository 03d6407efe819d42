"""Kyverno's custom JMESPath functions (string, regex, arithmetic with quantities and
durations, encoding and object helpers), registered on top of the standard ones.

Each follows the Go function's argument rules: strings where Go wants strings, numbers
turned into text the way Go's `ifaceToString` does, Go regular expressions and `$1`
replacement templates. The functions that read the clock (`time_since` with no end time,
`time_now`, `time_now_utc`) read the evaluation time the run gives (EVALUATION_TIME), never the
clock: without one they fail with NO_CLOCK, which the Kyverno rule turns into a visible skip.
Functions that need the network or randomness (x509_decode of a fetched cert, random...) are not
offered: a policy using them fails to evaluate with a clear "unknown function" error.
"""

from __future__ import annotations

import base64
import contextvars
import datetime
import decimal
import hashlib
import json
import math
import posixpath
import re
import struct
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import jmespath.functions as jf

from guardrails import regex as regex_
from guardrails.kube import selectors
from guardrails.lang import golang

__all__ = ["EVALUATION_TIME", "NO_CLOCK", "FunctionError", "KyvernoFunctions", "go_template"]

# The evaluation time of one rule (set by its evaluator); None: the run gave none.
EVALUATION_TIME: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar(
    "jmespath_evaluation_time", default=None)
NO_CLOCK = "reads the clock and no evaluation time was given (--now TIME; serve: --now wall)"

# Go's time.RFC3339 as time.Parse reads it (fractional seconds allowed, a zone required).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\Z")


def _rfc3339(fn: str, text: str) -> datetime.datetime:
    if not _RFC3339.match(text):
        raise FunctionError(f"{fn}: parsing time {text!r} as RFC 3339 failed")
    return datetime.datetime.fromisoformat(text)


def _go_rfc3339(t: datetime.datetime) -> str:
    """Go's Format(time.RFC3339): seconds, no fraction, `Z` for UTC."""
    offset = t.utcoffset() or datetime.timedelta(0)
    if not offset:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    sign = "-" if offset < datetime.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _now(fn: str) -> datetime.datetime:
    now = EVALUATION_TIME.get()
    if now is None:
        raise FunctionError(f"{fn} {NO_CLOCK}")
    return now


def _since_ns(start: datetime.datetime, end: datetime.datetime) -> int:
    delta = end - start  # Go's Sub saturates at the int64 nanosecond bounds
    ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    return max(-(1 << 63), min((1 << 63) - 1, ns))


class FunctionError(Exception):
    pass


def _text(name: str, value: Any, pos: int) -> str:
    """Go's ifaceToString: strings, numbers (shortest float32 digits) and booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float32_text(value)
    raise FunctionError(f"invalid type for argument {pos} of {name}: expected String or Real")


def _f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _float32_text(value: float) -> str:
    """`strconv.FormatFloat(v, 'f', -1, 32)`: the shortest digits that round-trip a float32."""
    target = _f32(value)
    if target == 0:
        return "0"
    if math.isinf(target) or math.isnan(target):
        return "+Inf" if target > 0 else ("-Inf" if target < 0 else "NaN")
    for digits in range(1, 10):
        text = f"{target:.{digits}g}"
        if _f32(float(text)) == target:
            break
    out = format(decimal.Decimal(text), "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


_TEMPLATE = re.compile(r"\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def go_template(template: str) -> Any:
    """A `re.sub` replacement function expanding Go's `$1`, `${name}` and `$$`."""

    def expand(m: re.Match[str]) -> str:
        def one(t: re.Match[str]) -> str:
            if t.group(1) == "$":
                return "$"
            name = t.group(2) or t.group(3)
            try:
                got = m.group(int(name)) if name.isdigit() else m.group(name)
            except IndexError:
                return ""
            return got or ""

        return _TEMPLATE.sub(one, template)

    return expand


def _regex(name: str, pattern: str) -> regex_.Regex:
    try:
        return regex_.compile(pattern)
    except regex_.RegexError as e:
        raise FunctionError(f"{name}: {e}") from None


# --- arithmetic: scalars, quantities and durations, as Kyverno combines them -----------------


def _operand(name: str, value: Any) -> tuple[str, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "scalar", float(value)
    if isinstance(value, str):
        q = golang.parse_quantity(value)
        if q is not None:
            return "quantity", q
        d = golang.parse_duration(value)
        if d is not None:
            return "duration", d
    raise FunctionError(f"{name}: invalid operand")


def _arith(name: str, a: Any, b: Any) -> Any:
    (ka, va), (kb, vb) = _operand(name, a), _operand(name, b)
    if name in ("add", "subtract"):
        if ka != kb:
            raise FunctionError(f"{name}: arguments must be of the same type")
        r = va + vb if name == "add" else va - vb
        if ka == "quantity":
            return golang.format_decimal(r)
        return golang.format_duration(int(r)) if ka == "duration" else r
    if name == "multiply":
        if kb == "scalar" and ka != "scalar":
            (ka, va), (kb, vb) = (kb, vb), (ka, va)
        if ka != "scalar":
            raise FunctionError("multiply: at least one argument must be a number")
        if kb == "quantity":
            return golang.format_decimal(decimal.Decimal(vb) * decimal.Decimal(repr(va)))
        return golang.format_duration(int(vb * va)) if kb == "duration" else va * vb
    if name == "divide":
        if (ka == "quantity" and kb == "quantity") or (ka == "duration" and kb == "duration") or ka == kb == "scalar":
            if not vb:
                raise FunctionError("divide: division by zero")
            return float(va) / float(vb)
        if kb == "scalar" and ka in ("quantity", "duration"):
            if not vb:
                raise FunctionError("divide: division by zero")
            if ka == "quantity":
                return golang.format_decimal((va / decimal.Decimal(repr(vb))).quantize(decimal.Decimal(1), decimal.ROUND_DOWN)
                                      if va == va.to_integral() else va / decimal.Decimal(repr(vb)))
            return golang.format_duration(int(va / vb))
        raise FunctionError("divide: types mismatch")
    # modulo
    if ka != kb or (ka == "quantity" and (va != va.to_integral() or vb != vb.to_integral())):
        raise FunctionError("modulo: arguments must be integers of the same type")
    if not vb:
        raise FunctionError("modulo: division by zero")
    if ka == "scalar":
        return math.fmod(va, vb)
    if ka == "quantity":
        return golang.format_decimal(decimal.Decimal(va % vb))
    return golang.format_duration(int(va % vb))


_F = TypeVar("_F", bound=Callable[..., Any])


def _sig(*args: dict[str, Any]) -> Callable[[_F], _F]:
    """jmespath's `signature` decorator, typed."""
    return cast(Callable[[_F], _F], jf.signature(*args))


class KyvernoFunctions(jf.Functions):  # type: ignore[misc]
    @_sig({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
    def _func_time_since(self, layout: str, start: str, end: str) -> str:
        """The Go duration from `start` to `end` (empty: the evaluation time)."""
        if layout:
            raise FunctionError("time_since: only the RFC 3339 layout ('') is supported, not Go layout "
                                f"{layout!r}")
        t1 = _rfc3339("time_since", start)
        t2 = _rfc3339("time_since", end) if end else _now("time_since with no end time")
        return golang.format_duration(_since_ns(t1, t2))

    @_sig()
    def _func_time_now(self) -> str:
        return _go_rfc3339(_now("time_now"))

    @_sig()
    def _func_time_now_utc(self) -> str:
        return _go_rfc3339(_now("time_now_utc").astimezone(datetime.UTC))

    @_sig({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        """go-jmespath's to_string: strings as they are, the rest as Go's json.Marshal writes
        them (a float64 1337 is "1337", never Python's "1337.0")."""
        return arg if isinstance(arg, str) else golang.json_text(arg)

    @_sig({"types": ["string"]}, {"types": ["string"]})
    def _func_compare(self, a: str, b: str) -> int:
        return (a > b) - (a < b)

    @_sig({"types": ["string"]}, {"types": ["string"]})
    def _func_equal_fold(self, a: str, b: str) -> bool:
        return a.casefold() == b.casefold()

    @_sig({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]}, {"types": ["number"]})
    def _func_replace(self, s: str, old: str, new: str, n: float) -> str:
        return s.replace(old, new, int(n)) if n >= 0 else s.replace(old, new)

    @_sig({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
    def _func_replace_all(self, s: str, old: str, new: str) -> str:
        return s.replace(old, new)

    @_sig({"types": ["string"]})
    def _func_to_upper(self, s: str) -> str:
        return s.upper()

    @_sig({"types": ["string"]})
    def _func_to_lower(self, s: str) -> str:
        return s.lower()

    @_sig({"types": ["string"]}, {"types": ["string"]})
    def _func_trim(self, s: str, cutset: str) -> str:
        return s.strip(cutset)

    @_sig({"types": ["string"]}, {"types": ["string"]})
    def _func_trim_prefix(self, s: str, prefix: str) -> str:
        return s[len(prefix):] if prefix and s.startswith(prefix) else s

    @_sig({"types": ["string"]}, {"types": ["string"]})
    def _func_split(self, s: str, sep: str) -> list[str]:
        return list(s) if sep == "" else s.split(sep)

    @_sig({"types": ["string"]}, {"types": []}, {"types": []})
    def _func_regex_replace_all(self, pattern: str, src: Any, repl: Any) -> str:
        rx = _regex("regex_replace_all", pattern)
        return rx.sub(go_template(_text("regex_replace_all", repl, 3)), _text("regex_replace_all", src, 2))

    @_sig({"types": ["string"]}, {"types": []}, {"types": []})
    def _func_regex_replace_all_literal(self, pattern: str, src: Any, repl: Any) -> str:
        rx = _regex("regex_replace_all_literal", pattern)
        literal = _text("regex_replace_all_literal", repl, 3)
        return rx.sub(lambda _: literal, _text("regex_replace_all_literal", src, 2))

    @_sig({"types": ["string"]}, {"types": []})
    def _func_regex_match(self, pattern: str, src: Any) -> bool:
        return _regex("regex_match", pattern).search(_text("regex_match", src, 2)) is not None

    @_sig({"types": ["string"]}, {"types": []})
    def _func_pattern_match(self, pattern: str, src: Any) -> bool:
        return selectors.glob_to_regex(pattern).match(_text("pattern_match", src, 2)) is not None

    @_sig({"types": ["object"]}, {"types": ["object"]})
    def _func_label_match(self, selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
        return all(k in labels and labels[k] == v for k, v in selector.items())

    @_sig({"types": ["string"]})
    def _func_to_boolean(self, s: str) -> bool:
        low = s.lower()
        if low not in ("true", "false"):
            raise FunctionError(f"to_boolean: {s!r} is neither true nor false")
        return low == "true"

    @_sig({"types": []}, {"types": []})
    def _func_add(self, a: Any, b: Any) -> Any:
        return _arith("add", a, b)

    @_sig({"types": []}, {"types": []})
    def _func_subtract(self, a: Any, b: Any) -> Any:
        return _arith("subtract", a, b)

    @_sig({"types": []}, {"types": []})
    def _func_multiply(self, a: Any, b: Any) -> Any:
        return _arith("multiply", a, b)

    @_sig({"types": []}, {"types": []})
    def _func_divide(self, a: Any, b: Any) -> Any:
        return _arith("divide", a, b)

    @_sig({"types": []}, {"types": []})
    def _func_modulo(self, a: Any, b: Any) -> Any:
        return _arith("modulo", a, b)

    @_sig({"types": ["array"]})
    def _func_sum(self, items: list[Any]) -> Any:
        if not items:
            raise FunctionError("sum: at least one element is needed")
        total = items[0]
        for v in items[1:]:
            total = _arith("add", total, v)
        return total

    @_sig({"types": ["number"]}, {"types": ["number"]})
    def _func_round(self, value: float, digits: float) -> float:
        scale = 10 ** int(digits)
        out = math.floor(value * scale + 0.5) / scale if value >= 0 else -math.floor(-value * scale + 0.5) / scale
        return float(out)

    @_sig({"types": ["string"]})
    def _func_base64_decode(self, s: str) -> str:
        try:
            return base64.b64decode(s, validate=True).decode("utf-8", "replace")
        except ValueError as e:
            raise FunctionError(f"base64_decode: {e}") from None

    @_sig({"types": ["string"]})
    def _func_base64_encode(self, s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    @_sig({"types": ["string"]}, {"types": ["number"]})
    def _func_truncate(self, s: str, length: float) -> str:
        return s[: max(int(length), 0)]

    @_sig({"types": ["string"]})
    def _func_parse_json(self, s: str) -> Any:
        try:
            return json.loads(s)
        except ValueError as e:
            raise FunctionError(f"parse_json: {e}") from None

    @_sig({"types": ["object", "array"]}, {"types": ["string", "number"]})
    def _func_lookup(self, collection: Any, key: Any) -> Any:
        if isinstance(collection, Mapping):
            if not isinstance(key, str):
                raise FunctionError("lookup: an object needs a string key")
            return collection.get(key)
        if isinstance(key, bool) or not isinstance(key, (int, float)) or int(key) != key:
            raise FunctionError("lookup: an array needs an integer index")
        return collection[int(key)] if 0 <= int(key) < len(collection) else None

    @_sig({"types": ["object", "array"]}, {"types": ["string"]}, {"types": ["string"]})
    def _func_items(self, collection: Any, key_name: str, value_name: str) -> list[Any]:
        if isinstance(collection, Mapping):
            return [{key_name: k, value_name: collection[k]} for k in sorted(collection)]
        return [{key_name: float(i), value_name: v} for i, v in enumerate(collection)]

    @_sig({"types": ["array"]}, {"types": ["array"]})
    def _func_object_from_lists(self, keys: list[Any], values: list[Any]) -> dict[str, Any]:
        return {str(k): (values[i] if i < len(values) else None) for i, k in enumerate(keys)}

    @_sig({"types": ["string"]})
    def _func_path_canonicalize(self, s: str) -> str:
        return posixpath.normpath(s) if s else "."

    @_sig({"types": ["string"]})
    def _func_sha256(self, s: str) -> str:
        return hashlib.sha256(s.encode()).hexdigest()

    @_sig({"types": ["string"]})
    def _func_sha1(self, s: str) -> str:
        return hashlib.sha1(s.encode()).hexdigest()

    @_sig({"types": ["string"]})
    def _func_md5(self, s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()
