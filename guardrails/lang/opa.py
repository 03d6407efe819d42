"""The few OPA behaviours the native fast paths must reproduce exactly: `%v` formatting,
`to_number`, `regex.match` (RE2, unanchored), undefined values, and the library's quantity
canonicalisation (`canonify_cpu`, `canonify_mem`)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

from guardrails import regex as regex_

__all__ = ["UNDEFINED", "canonify_cpu", "canonify_mem", "fmt", "get", "is_exempt", "items", "regex_match", "to_number"]


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\Z")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?\Z")


def get(value: Any, *keys: Any) -> Any:
    """`value.k1.k2...`: UNDEFINED where a key is missing or the value is not an object."""
    for k in keys:
        if (isinstance(value, Mapping) and k in value) or (isinstance(value, list) and isinstance(k, int) and 0 <= k < len(value)):
            value = value[k]
        else:
            return UNDEFINED
    return value


def items(value: Any) -> Iterator[Any]:
    """`value[_]`: the members of an array, or the values of an object."""
    if isinstance(value, list):
        yield from value
    elif isinstance(value, Mapping):
        yield from value.values()


def truthy(value: Any) -> bool:
    """What `not x` negates: x is defined and not false."""
    return value is not UNDEFINED and value is not False


def is_number(v: Any) -> bool:
    t = type(v)
    return t is int or t is float or t is Fraction or (t is not bool and isinstance(v, (int, float)))


def _num(v: Any) -> str:
    if isinstance(v, Fraction):
        v = int(v) if v.denominator == 1 else float(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return json.dumps(v)


def _term(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return fmt(v)


def fmt(v: Any) -> str:
    """`sprintf("%v", [v])` as OPA prints it: strings bare at top level, quoted inside."""
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_number(v):
        return _num(v)
    if isinstance(v, (set, frozenset)):
        return "{" + ", ".join(sorted(_term(x) for x in v)) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_term(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_term(k)}: {_term(v[k])}" for k in sorted(v)) + "}"
    return str(v)


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> regex_.Regex | None:
    try:
        return regex_.compile(pattern)
    except regex_.RegexError:
        return None


def regex_match(pattern: Any, value: Any) -> bool | Any:
    """True/False, or UNDEFINED where OPA's builtin would fail (bad pattern, non-strings)."""
    if not isinstance(pattern, str) or not isinstance(value, str):
        return UNDEFINED
    rx = _regex(pattern)
    return UNDEFINED if rx is None else rx.search(value) is not None


def to_number(v: Any) -> Fraction | Any:
    if v is None:
        return Fraction(0)
    if isinstance(v, bool):
        return Fraction(int(v))
    if is_number(v):
        return Fraction(v)
    if isinstance(v, str) and _NUMBER.match(v):
        return Fraction(v)
    return UNDEFINED


def canonify_cpu(orig: Any) -> Fraction | Any:
    if is_number(orig):
        return Fraction(orig) * 1000
    if not isinstance(orig, str):
        return UNDEFINED
    return _cpu_text(orig)


@functools.lru_cache(maxsize=4096)
def _cpu_text(orig: str) -> Fraction | Any:
    if orig.endswith("m"):
        return to_number(orig.replace("m", ""))
    if _DECIMAL.match(orig):
        return Fraction(orig) * 1000
    return UNDEFINED


_MEM = {
    "E": 10**21, "P": 10**18, "T": 10**15, "G": 10**12, "M": 10**9, "k": 10**6, "": 1000, "m": 1,
    "Ki": 1000 * 2**10, "Mi": 1000 * 2**20, "Gi": 1000 * 2**30, "Ti": 1000 * 2**40, "Pi": 1000 * 2**50,
    "Ei": 1000 * 2**60,
}


def _suffix(mem: str) -> str:
    if mem[-1:] in _MEM and mem[-1:]:
        return mem[-1:]
    if len(mem) > 1 and mem[-2:] in _MEM:
        return mem[-2:]
    return ""


def canonify_mem(orig: Any) -> Fraction | Any:
    if is_number(orig):
        return Fraction(orig) * 1000
    if not isinstance(orig, str):
        return UNDEFINED
    return _mem_text(orig)


@functools.lru_cache(maxsize=4096)
def _mem_text(orig: str) -> Fraction | Any:
    suffix = _suffix(orig)
    raw = orig.replace(suffix, "") if suffix else orig
    if not _DECIMAL.match(raw):
        return UNDEFINED
    return Fraction(raw) * _MEM[suffix]


def is_exempt(container: Any, parameters: Any) -> bool:
    """lib.exempt_container: the image equals an exemption, or starts with one ending in `*`."""
    image = get(container, "image")
    if image is UNDEFINED:
        return False
    exempt = parameters.get("exemptImages", []) if isinstance(parameters, Mapping) else []
    for e in items(exempt):
        if not isinstance(e, str):
            continue
        if e.endswith("*"):
            if isinstance(image, str) and image.startswith(e[:-1]):
                return True
        elif e == image:
            return True
    return False
