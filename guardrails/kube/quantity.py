"""Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `.5`), parsed exactly as fractions.

Follows apimachinery's `ParseQuantity`: an optional sign, digits with an optional decimal point
(`1.` and `.5` are accepted), then one suffix: decimal SI (n u m "" k M G T P E), binary SI
(Ki Mi Gi Ti Pi Ei) or a decimal exponent (`e3`, `E-3`, `E+3`; a bare `E` is exa). Like
Kubernetes, a non-zero value is rounded away from zero to a whole nano (`0.1n` is `1n`).

Deliberate differences, all on input Kubernetes users never mean: apimachinery's scanner lets
`-`, `+` and `.` through as zero (we reject them), caps binary values at 2^63-1 and wraps
exponents beyond int32 (we keep exact values and reject exponents beyond +/-1000, which
would only cost memory).
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Any

__all__ = ["compare", "is_quantity", "parse", "render"]

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_MAX_EXPONENT = 1000
_NANO = Fraction(1, 10**9)

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?"
    r"(?:(?P<suffix>[KMGTPE]i|[numkMGTPE])|[eE](?P<exp>[+-]?[0-9]+))?",
    re.ASCII,
)

_HINT = "expected a number with an optional suffix n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3"


def parse(value: Any) -> Fraction:
    """A quantity given as a string or a YAML number -> its exact value.

    Raises ValueError quoting the input when it is not a quantity.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"invalid quantity {value!r}: {_HINT}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"invalid quantity {value!r}: {_HINT}")
        # A YAML number reaches Kubernetes as JSON text, which it parses as a quantity.
        return parse(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"invalid quantity {value!r}: {_HINT}")
    return _parse_text(value)


@functools.lru_cache(maxsize=4096)  # manifests repeat the same few quantities endlessly
def _parse_text(value: str) -> Fraction:
    m = _QUANTITY.fullmatch(value)
    if m is None or not (m["int"] or m["frac"]):
        raise ValueError(f"invalid quantity {value!r}: {_HINT}")
    digits = m["int"] + (m["frac"] or "")
    number = Fraction(int(digits or "0"), 10 ** len(m["frac"] or ""))
    if m["exp"] is not None:
        exp = int(m["exp"])
        if abs(exp) > _MAX_EXPONENT:
            raise ValueError(f"invalid quantity {value!r}: exponent out of range (at most {_MAX_EXPONENT})")
        number *= Fraction(10) ** exp
    elif m["suffix"] in _BINARY:
        number *= 2 ** _BINARY[m["suffix"]]
    else:
        number *= Fraction(10) ** _DECIMAL[m["suffix"] or ""]
    if number.denominator != 1 and (number / _NANO).denominator != 1:
        number = Fraction(math.ceil(number / _NANO)) * _NANO  # round up, away from zero
    return -number if m["sign"] == "-" else number


def is_quantity(value: Any) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 as quantity `a` is less than, equal to or greater than `b`."""
    x, y = parse(a), parse(b)
    return (x > y) - (x < y)


def render(value: Fraction | int, *, binary: bool = False) -> str:
    """The canonical Kubernetes form: the largest suffix that keeps the mantissa whole.

    `binary=True` prefers Ki..Ei for whole values of at least 1024 (as Kubernetes does for
    quantities written in binary SI); everything else uses decimal SI down to `n`, with any
    remainder below a nano rounded up as parsing does.
    """
    v = Fraction(value)
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    v = abs(v)
    if binary and v.denominator == 1 and v >= 1024:
        n = int(v)
        for suffix, shift in reversed(_BINARY.items()):
            if n % (1 << shift) == 0:
                return f"{sign}{n >> shift}{suffix}"
        return f"{sign}{n}"
    if (v / _NANO).denominator != 1:
        v = Fraction(math.ceil(v / _NANO)) * _NANO
    for suffix, exp in sorted(_DECIMAL.items(), key=lambda kv: -kv[1]):
        mantissa = v / Fraction(10) ** exp
        if mantissa.denominator == 1:
            return f"{sign}{mantissa.numerator}{suffix}"
    raise AssertionError("unreachable: every value is a whole number of nanos")
