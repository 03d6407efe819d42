"""Go's value syntax as Kyverno sees it: `time.ParseDuration`, Kubernetes `ParseQuantity`,
`strconv.ParseFloat` and the `%v` / `%T` / `FormatFloat('E')` renderings of decoded JSON.

Kyverno policies compare values with these Go functions, so matching Kyverno's verdicts means
accepting exactly the strings they accept. Pure: stdlib only.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "format_e",
    "format_v",
    "parse_duration",
    "parse_float",
    "parse_quantity",
    "type_name",
]

_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_MAX_DURATION = (1 << 63) - 1


def parse_duration(text: str) -> int | None:
    """Nanoseconds for a Go duration string ("1h30m", "-1.5s", "0"), or None if Go rejects it."""
    s = text
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = decimal.Decimal(0)
    pos = 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None:
            return None
        num = m.group(1)
        if num in ("", ".") or not any(c.isdigit() for c in num):
            return None
        total += decimal.Decimal(num) * _NS[m.group(2)]
        pos = m.end()
    ns = int(total)  # Go truncates the fractional nanoseconds
    if ns > _MAX_DURATION:
        return None
    return -ns if neg else ns


_QUANTITY = re.compile(
    r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|n|u|m|k|M|G|T|P|E|)\Z"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_CTX = decimal.Context(prec=80)


def parse_quantity(text: str) -> decimal.Decimal | None:
    """The exact value of a Kubernetes quantity ("500m", "1Gi", "1e3", "+.5"), or None."""
    m = _QUANTITY.match(text)
    if m is None:
        return None
    sign, num, suffix = m.groups()
    value = decimal.Decimal(num)
    if suffix in _BINARY:
        value = _CTX.multiply(value, decimal.Decimal(2) ** _BINARY[suffix])
    elif suffix in _DECIMAL:
        value = value.scaleb(_DECIMAL[suffix], _CTX)
    else:
        value = value.scaleb(int(suffix[1:]), _CTX)
    return -value if sign == "-" else value


_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9]+)?|[0-9]+\.|inf|infinity|nan)\Z",
    re.IGNORECASE,
)


def parse_float(text: str) -> float | None:
    """`strconv.ParseFloat(text, 64)` for the decimal forms YAML values use, or None."""
    if not _FLOAT.match(text) or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def format_e(value: float) -> str:
    """`strconv.FormatFloat(v, 'E', -1, 64)`: shortest digits, `1.5E+00`."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    d = decimal.Decimal(repr(value))
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    e10 = exp + len(digits) - 1 if any(digits) else 0
    mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{'-' if sign else ''}{mant}E{'+' if e10 >= 0 else '-'}{abs(e10):02d}"


def _format_g(value: float) -> str:
    """Go's `%v` of a float64: shortest repr, exponent form below 1e-4 and from 1e21."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    d = decimal.Decimal(repr(value))
    exp = d.adjusted()
    if exp < -4 or exp >= 21:
        e = format_e(value).lower()
        mant, _, ex = e.partition("e")
        return f"{mant}e{ex}"
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_v(value: Any) -> str:
    """Go's `%v` of a value decoded from JSON (maps print with sorted keys)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_g(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = " ".join(f"{k}:{format_v(value[k])}" for k in sorted(value))
        return f"map[{inner}]"
    if isinstance(value, Sequence):
        return "[" + " ".join(format_v(v) for v in value) + "]"
    return str(value)


def type_name(value: Any) -> str:
    """Go's `%T` of a value decoded from JSON into `interface{}`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, Sequence):
        return "[]interface {}"
    return type(value).__name__
