"""One scalar of a Kyverno pattern against one value: `|` alternatives, `&`, the operators
`>`, `>=`, `<`, `<=`, `!`, ranges `a-b` / `a!-b`, wildcards `*` `?`, durations and quantities,
and the typed comparisons for numbers, booleans and `null`.

`compile_scalar(pattern)` parses a pattern value once and returns a predicate over values.
The semantics are Kyverno's (its pattern and operator packages), read from its source:
a comparison tries Go durations first, then Kubernetes quantities, then strings; a missing
value counts as "0" in the duration and quantity comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails import reference
from guardrails.kube import selectors
from guardrails.lang import golang

__all__ = ["Predicate", "compile_scalar", "operator_of"]

Predicate = Callable[[Any], bool]

_OPS = (">=", "<=", ">", "<", "!")
_NUM = r"[-|+]?[0-9]+(?:\.[0-9]+)?[A-Za-z]*"
_IN_RANGE = re.compile(rf"({_NUM})-({_NUM})\Z")
_NOT_IN_RANGE = re.compile(rf"({_NUM})!-({_NUM})\Z")


def operator_of(pattern: str) -> str:
    """The operator a string pattern starts with: "" (equal), ">=", "<=", ">", "<", "!",
    "-" (in range) or "!-" (not in range)."""
    if len(pattern.encode()) < 2:
        return ""
    for op in _OPS:
        if pattern.startswith(op):
            return op
    if _NOT_IN_RANGE.match(pattern):
        return "!-"
    if _IN_RANGE.match(pattern):
        return "-"
    return ""


def _never(_: Any) -> bool:
    return False


def _number_text(value: Any) -> str | None:
    """Go's convertNumberToString: the text durations and quantities are parsed from."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:f}"
    if isinstance(value, int):
        return str(value)
    return None


def _string_form(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return golang.format_e(value)
    if isinstance(value, int):
        return str(value)
    return None


def _ordered(op: str, cmp: int) -> bool:
    if op == "":
        return cmp == 0
    if op == "!":
        return cmp != 0
    if op == ">":
        return cmp > 0
    if op == "<":
        return cmp < 0
    if op == ">=":
        return cmp >= 0
    return cmp <= 0  # "<="


def _literal(value: Any) -> str | None:
    """The text a literal pattern (no operator, wildcard, duration or quantity) compares with
    the value, as `_compare` would; a text the regular expression engine cannot take (a lone
    surrogate, which JSON can carry) raises as the engine does."""
    s = _string_form(value)
    if s is not None and not s.isascii():
        s.encode("utf-8")
    return s


def _literal_text(op: str, text: str) -> bool:
    """Whether `_compare(op, text)` is plain equality: its glob has no wildcard and the text
    is neither a duration nor a quantity."""
    return (op == "" and "*" not in text and "?" not in text
            and golang.parse_duration(text) is None and golang.parse_quantity(text) is None)


def _compare(op: str, text: str) -> Predicate:
    """Kyverno's validateString: duration, else quantity, else wildcard string comparison."""
    if _literal_text(op, text) and not reference.active():
        selectors.glob_to_regex(text)  # a text the engine refuses is refused here too, at load
        return lambda value: _literal(value) == text
    dur = golang.parse_duration(text)
    qty = golang.parse_quantity(text)
    glob = selectors.glob_to_regex(text) if op in ("", "!") else None

    def check(value: Any) -> bool:
        num = _number_text(value) if dur is not None or qty is not None else None
        if num is not None:
            if dur is not None:
                v = golang.parse_duration(num)
                if v is not None:
                    return _ordered(op, (v > dur) - (v < dur))
            if qty is not None:
                q = golang.parse_quantity(num)
                if q is not None:
                    return _ordered(op, (q > qty) - (q < qty))
        if glob is None:
            return False
        s = _string_form(value)
        if s is None:
            return False
        hit = glob.match(s) is not None
        return hit if op == "" else not hit

    return check


def _single(pattern: str) -> Predicate:
    op = operator_of(pattern)
    if op == "-" or op == "!-":
        m = (_IN_RANGE if op == "-" else _NOT_IN_RANGE).match(pattern)
        if m is None:
            return _never
        left, right = m.group(1), m.group(2)
        if op == "-":
            lo, hi = _single(f">= {left}"), _single(f"<= {right}")
            return lambda v: lo(v) and hi(v)
        below, above = _single(f"< {left}"), _single(f"> {right}")
        return lambda v: below(v) or above(v)
    return _compare(op, pattern[len(op):].strip())


def _string(pattern: str) -> Predicate:
    alternatives: list[list[Predicate]] = []
    texts: list[str] = []
    for alt in pattern.split("|"):
        alt = alt.strip(" ")
        parts = [part.strip(" ") for part in alt.split("&")]
        alternatives.append([_single(part) for part in parts])
        if len(parts) == 1 and operator_of(parts[0]) == "" and _literal_text("", parts[0].strip()):
            texts.append(parts[0].strip())
    if len(texts) == len(alternatives) > 1 and not reference.active():
        # `a | b | c` of plain words: one set lookup for what would be one equality per word.
        words = frozenset(texts)

        def one_of(value: Any) -> bool:
            if isinstance(value, str) and value == pattern:
                return True
            return _literal(value) in words

        return one_of

    def check(value: Any) -> bool:
        if isinstance(value, str) and value == pattern:
            return True
        return any(all(p(value) for p in preds) for preds in alternatives)

    return check


def _number(pattern: float) -> Predicate:
    # Patterns reach Kyverno's matcher through a JSON round trip, so every number is a float.
    integral = float(pattern).is_integer()

    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return integral and int(pattern) == value
        if isinstance(value, float):
            return value == pattern
        if isinstance(value, str):
            f = golang.parse_float(value)
            return f is not None and f == pattern
        return False

    return check


def _null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value == ""
    return False


def compile_scalar(pattern: Any) -> Predicate:
    """A predicate for one pattern value (string, number, bool, null; a map only checks the
    value is a map; a list never matches, as in Kyverno)."""
    if isinstance(pattern, bool):
        return lambda v: isinstance(v, bool) and v == pattern
    if isinstance(pattern, (int, float)):
        return _number(pattern)
    if pattern is None:
        return _null
    if isinstance(pattern, str):
        return _string(pattern)
    if isinstance(pattern, Mapping):
        return lambda v: isinstance(v, Mapping)
    if isinstance(pattern, Sequence):
        return _never
    return _never
