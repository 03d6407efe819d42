"""Scalar pattern matching: one row per Kyverno pattern feature and its edge cases."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails import reference
from guardrails.lang import pattern_value

CASES: list[tuple[Any, Any, bool]] = [
    # (pattern, value, matches)
    ("nginx", "nginx", True),
    ("nginx", "nginx2", False),
    ("*", "anything", True),
    ("*", "", True),
    ("?*", "", False),
    ("?*", "x", True),
    ("?*", None, False),
    ("ng?nx", "nginx", True),
    ("ng?nx", "ngnx", False),
    ("!*:latest", "nginx:latest", False),
    ("!*:latest", "nginx:1.2", True),
    ("a | b", "b", True),
    ("a|b", "c", False),
    ("*:* & !*:latest", "nginx:1", True),
    ("*:* & !*:latest", "nginx", False),
    (">1", 2, True),
    (">1", 1, False),
    (">=1", 1, True),
    ("<=1", "1", True),
    ("<5", None, True),  # a missing value compares as "0"
    (">0", None, False),
    ("<=2Gi", "1Gi", True),
    ("<512Mi", "1Gi", False),
    (">100m", "0.2", True),
    ("500m", "0.5", True),  # quantities compare by value
    ("!0", 0, False),
    ("1-10", 5, True),
    ("1-10", 11, False),
    ("1!-10", 11, True),
    ("1!-10", 5, False),
    ("10Mi-1Gi", "512Mi", True),
    ("<1h", "30m", True),
    (">=1h", "30m", False),
    ("<1h", "1h0m1s", False),
    ("true", True, True),  # string pattern against a boolean value
    ("false", True, False),
    ("1000", 1000, True),
    ("1.5", 1.5, True),  # compared as quantities: "1.500000" == "1.5"
    ("*E+00", 1.5, True),  # wildcards see floats as Go prints them: 1.5E+00
    (True, True, True),
    (True, "true", False),
    (1000, 1000, True),
    (1000, 1000.0, True),
    (1000, "1000", True),
    (1000, True, False),
    (1.5, 1, False),
    (None, None, True),
    (None, "", True),
    (None, 0, True),
    (None, False, True),
    (None, "x", False),
    (None, {}, False),
    ({}, {"a": 1}, True),
    ({}, "a", False),
    ([], [], False),
    (">1", "abc", False),  # ordered operators never apply to plain strings
    ("!", "!", True),  # a single character is a literal
]


@pytest.mark.parametrize(("pattern", "value", "expected"), CASES, ids=[f"{p!r}~{v!r}" for p, v, _ in CASES])
def test_compile_scalar(pattern: Any, value: Any, expected: bool) -> None:
    assert pattern_value.compile_scalar(pattern)(value) is expected


@pytest.mark.parametrize(
    ("pattern", "op"),
    [("a", ""), (">=1", ">="), ("<=1", "<="), (">1", ">"), ("<1", "<"), ("!a", "!"),
     ("1-5", "-"), ("1Mi!-5Mi", "!-"), ("-1-5", "-"), ("a-b", ""), ("!", "")],
)
def test_operator_of(pattern: str, op: str) -> None:
    assert pattern_value.operator_of(pattern) == op


def _outcome(pred: Any, value: Any) -> Any:
    try:
        return pred(value)
    except Exception as e:  # the engine's error, compared by type and text
        return f"{type(e).__name__}: {e}"


# Literal words take a shortcut (equality, a set for `a | b`); the regular-expression path is
# the reference (guardrails.reference), and both must agree, errors included.
LITERALS = ["web", "a | b | c", "true", "1.5e+00", "", "  x\t|y ", "aws_ebs_volume | aws_efs_file_system", "a|b&c"]
VALUES = ["web", "b", "c", "a | b | c", True, False, 1.5, 1, None, "", "x", "y", "\ud800", "caf\u00e9", [], {},
          "aws_efs_file_system"]


@pytest.mark.parametrize("pattern", LITERALS)
def test_literal_shortcut_equals_the_reference(pattern: str) -> None:
    fast = pattern_value.compile_scalar(pattern)
    with reference.evaluators():
        slow = pattern_value.compile_scalar(pattern)
    assert [_outcome(fast, v) for v in VALUES] == [_outcome(slow, v) for v in VALUES]
