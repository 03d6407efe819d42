"""Go's value syntax as Kyverno sees it, in one place: `time.ParseDuration`, Kubernetes
`ParseQuantity` (through `kube.quantity`), `strconv.ParseFloat`, and every Go rendering of
decoded JSON: `%v`, `%T`, `FormatFloat('E')`, encoding/json, `Duration.String()` and big
decimals. (OPA's `sprintf` rendering, a different language, is `lang.opa`.)

Kyverno policies compare values with these Go functions, so matching Kyverno's verdicts means
accepting exactly the strings they accept. Pure.
"""

from __future__ import annotations

import decimal
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.kube import quantity

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


_CTX = decimal.Context(prec=80)


def parse_quantity(text: str) -> decimal.Decimal | None:
    """The exact value of a Kubernetes quantity ("500m", "1Gi", "1e3", "+.5") as a Decimal
    (what Go's `resource.Quantity` compares and prints), or None. Parsed by `kube.quantity`,
    the one quantity parser; values are whole nanos, so the division is exact."""
    try:
        value = quantity.parse(text)
    except ValueError:
        return None
    return _CTX.divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))


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


# Go's text of values: JSON as encoding/json writes it, durations, decimals.


def _json_float(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"json: unsupported value: {value}")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    a = abs(value)
    if 1e-6 <= a < 1e21:
        return repr(value)
    mant, _, exp = f"{value!r}".partition("e")
    sign = exp[0] if exp[0] in "+-" else "+"
    digits = exp.lstrip("+-").lstrip("0") or "0"
    return f"{mant}e{sign}{int(digits):02d}" if sign == "-" else f"{mant}e+{int(digits):02d}"


def json_text(value: Any) -> str:
    """Compact JSON the way Go's encoding/json writes it (sorted keys, HTML-safe strings).
    Raises ValueError for a value JSON cannot hold (NaN, infinities)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json_text(str(k))}:{json_text(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    return json_text(str(value))


def format_duration(ns: int) -> str:
    """Go's Duration.String(): "1h2m3.5s", "500ms", "0s"."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                text = format(decimal.Decimal(ns) / size, "f")
                text = text.rstrip("0").rstrip(".") if "." in text else text  # 500ms stays 500ms
                return f"{sign}{text}{unit}"
    h, rest = divmod(ns, 3600 * 1_000_000_000)
    m, rest = divmod(rest, 60 * 1_000_000_000)
    s = format(decimal.Decimal(rest) / 1_000_000_000, "f")
    s = s.rstrip("0").rstrip(".") if "." in s else s
    out = f"{h}h" if h else ""
    out += f"{m}m" if h or m else ""
    return f"{sign}{out}{s}s"


def format_decimal(value: decimal.Decimal) -> str:
    """A decimal as Go's big-number text: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
