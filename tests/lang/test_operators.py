"""Condition operators, as Kyverno evaluates them: one table of (operator, key, value, result)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.lang import operators

CASES: list[tuple[str, Any, Any, bool]] = [
    # Equals: typed, deep, durations, quantities, wildcards (the value is the pattern)
    ("Equals", True, True, True),
    ("Equals", True, "true", False),
    ("Equals", 42, 42, True),
    ("Equals", 42, 42.0, True),
    ("Equals", 42, 42.5, False),
    ("Equals", 42, "42", True),
    ("Equals", 1.5, "1.5", True),
    ("Equals", 42, "invalid", False),
    ("Equals", 1, True, False),
    ("Equals", "1Gi", "1024Mi", True),
    ("Equals", "500m", "0.5", True),
    ("Equals", "1h", "60m", True),
    ("Equals", "1m", 60, True),
    ("Equals", "1", 1, False),  # a quantity key needs a string value, as in Kyverno
    ("Equals", "1", "*", False),  # ... and a quantity value
    ("Equals", "nginx:latest", "*:latest", True),
    ("Equals", "nginx:1", "nginx:?", True),
    ("Equals", "*:latest", "nginx:latest", False),
    ("Equals", "abc", "abc", True),
    ("Equals", "", "", True),
    ("Equals", {"a": [1, "x"]}, {"a": [1.0, "x"]}, True),
    ("Equals", {"a": 1}, {"a": True}, False),
    ("Equals", ["a"], ["a", "b"], False),
    ("Equals", ["a"], "a", False),
    ("Equals", None, None, False),
    ("equals", "a", "a", True),
    ("Equal", "a", "a", True),
    # NotEquals
    ("NotEquals", True, False, True),
    ("NotEquals", True, "x", True),
    ("NotEquals", 42, 43, True),
    ("NotEquals", 5, 5.5, True),
    ("NotEquals", 5, "5", False),
    ("NotEquals", "hello", "world", True),
    ("NotEquals", "hello", "hel*", False),
    ("NotEquals", "100Mi", "not-a-quantity", True),
    ("NotEquals", "100Mi", "", True),
    ("NotEquals", "1h", "30m", True),
    ("NotEquals", "1h", "3600s", False),
    ("NotEquals", {"foo": "bar"}, {"foo": "baz"}, True),
    ("NotEquals", ["a", "b"], ["a", "b"], False),
    ("NotEquals", None, 1, False),
    ("NotEqual", "a", "b", True),
    # In / NotIn (deprecated): exact items, but the whole value may be a wildcard
    ("In", "apple", ["apple", "banana"], True),
    ("In", "grape", ["apple", "banana"], False),
    ("In", "apple", [], False),
    ("In", "hello", "hello", True),
    ("In", "hello-world", "hello-*", True),
    ("In", "goodbye-world", "hello-*", False),
    ("In", "apple", '["apple", "banana"]', True),
    ("In", "grape", '["apple", "banana"]', False),
    ("In", "apple", "not json", False),
    ("In", 42, ["42", "43"], True),
    ("In", 3.14, ["3.14"], True),
    ("In", True, ["true"], True),
    ("In", ["a", "b"], ["a", "b", "c"], True),
    ("In", ["a", "d"], ["a", "b", "c"], False),
    ("In", ["a"], ["a*"], False),  # set membership is exact
    ("In", ["a"], [1], False),
    ("In", [1], ["1"], False),
    ("In", None, ["a"], False),
    ("NotIn", "grape", ["apple", "banana"], True),
    ("NotIn", "apple", ["apple"], False),
    ("NotIn", "x", 5, False),  # wrong value type: false either way
    ("NotIn", ["a", "z"], ["a", "b"], True),
    ("NotIn", ["a"], "a", True),  # Kyverno's quirk: a one-item key equal to the value string
    # AnyIn / AllIn / AnyNotIn / AllNotIn: wildcards both ways, ranges, JSON arrays
    ("AnyIn", "kube-system", ["default", "kube-*"], True),
    ("AnyIn", "kube-*", ["kube-system"], True),
    ("AnyIn", ["a", "b"], ["b", "c"], True),
    ("AnyIn", ["a", "b"], ["c"], False),
    ("AnyIn", ["a", "b"], "b", True),
    ("AnyIn", ["a", "b"], '["x", "a"]', True),
    ("AnyIn", ["1", "2"], 2, True),
    ("AnyIn", 5, "1-10", True),
    ("AnyIn", 15, "1-10", False),
    ("AnyIn", ["15", "5"], "1-10", True),
    ("AnyIn", "a", "5", False),  # valid JSON but not a list of strings
    ("AnyIn", "a", None, False),
    ("AllIn", ["a", "b"], ["a", "b", "c"], True),
    ("AllIn", ["a", "x"], ["a", "b"], False),
    ("AllIn", ["kube-system", "kube-public"], ["kube-*"], True),
    ("AllIn", ["5", "7"], "1-10", True),
    ("AllIn", ["5", "17"], "1-10", False),
    ("AllIn", ["1"], 1, False),
    ("AnyNotIn", "kyverno", "kyverno", False),
    ("AnyNotIn", "kube-system", ["default", "kube-*"], False),
    ("AnyNotIn", "kyverno", "default", True),
    ("AnyNotIn", 64, "64", False),
    ("AnyNotIn", 1, [1, 2, 3], False),
    ("AnyNotIn", 2.2, [1.1, 2.2], False),
    ("AnyNotIn", True, True, False),
    ("AnyNotIn", ["kube-system", "kube-public"], "kube-*", False),
    ("AnyNotIn", ["kube-system", "default"], "kube-system", True),
    ("AnyNotIn", ["5", "15"], "1-10", True),
    ("AnyNotIn", ["5", "6"], "1-10", False),
    ("AllNotIn", "kyverno", "kyverno", False),
    ("AllNotIn", "kyverno", "default", True),
    ("AllNotIn", 64, "64", False),
    ("AllNotIn", ["kube-system", "default"], "kube-system", False),
    ("AllNotIn", ["default", "kyverno"], "kube-*", True),
    ("AllNotIn", ["default", "kyverno"], ["kube-*", "kube-system"], True),
    ("AllNotIn", ["default", "kyverno"], ["kube-*", "ky*"], False),
    ("AllNotIn", ["15", "20"], "1-10", True),
    # Ordered: durations, quantities, numbers, semantic versions
    ("GreaterThan", 10, 5, True),
    ("GreaterThan", 5, 5, False),
    ("GreaterThanOrEquals", 10, 10, True),
    ("LessThan", 5, 10, True),
    ("LessThanOrEquals", 5, 5, True),
    ("GreaterThan", 10.5, 10.4, True),
    ("GreaterThan", "100", 50, True),
    ("LessThan", "50", "100", True),
    ("GreaterThan", "1.2.3", "1.2.2", True),
    ("GreaterThan", "1.10.0", "1.9.2", True),
    ("LessThan", "1.0.0-alpha", "1.0.0", True),
    ("LessThan", "1.0.0-alpha.1", "1.0.0-alpha.beta", True),
    ("LessThan", "1.0.0-2", "1.0.0-10", True),
    ("GreaterThanOrEquals", "1.2.0", "1.2.0+build", True),
    ("GreaterThan", "1.2", "1.1.0", False),  # "1.2" is read as a number, and "1.1.0" is not one
    ("GreaterThan", "200Mi", "100Mi", True),
    ("LessThan", "1Gi", "2Gi", True),
    ("GreaterThanOrEquals", "500m", "0.5", True),
    ("GreaterThan", "1Gi", "1000Mi", True),
    ("LessThan", "1024Mi", "1Gi", False),
    ("GreaterThan", "2Gi", 1, False),  # a quantity key needs a string value
    ("GreaterThan", "1h", "30m", True),
    ("LessThan", "90s", "2m", True),
    ("GreaterThan", "2m", 100, True),  # a number beside a duration is seconds
    ("GreaterThan", 100, "1m", True),
    ("GreaterThan", True, 5, False),
    ("GreaterThan", "not-a-number", 5, False),
    ("GreaterThan", None, 5, False),
    ("GreaterThan", 5, None, False),
    ("GreaterThan", 5, "abc", False),
    ("GreaterThan", float("nan"), 1, False),
    ("GreaterThan", "1e400", 5, False),  # Go's ParseFloat reports overflow as an error
    ("GreaterThan", "inf", 5, True),
    ("greaterthan", 2, 1, True),
    # Deprecated Duration* operators: numbers are seconds, strings must be durations
    ("DurationGreaterThan", "2h", "1h", True),
    ("DurationGreaterThan", "1h", "2h", False),
    ("DurationLessThanOrEquals", 60, "1m", True),
    ("DurationGreaterThanOrEquals", "1m", 60.9, True),
    ("DurationLessThan", "1Gi", "1h", False),
    ("DurationLessThan", "0", "1s", True),
    ("DurationLessThan", float("inf"), "1s", False),
]


@pytest.mark.parametrize(("op", "key", "value", "expected"), CASES, ids=[f"{o}({k!r},{v!r})" for o, k, v, _ in CASES])
def test_compare(op: str, key: Any, value: Any, expected: bool) -> None:
    assert operators.compare(op, key, value) is expected


@pytest.mark.parametrize("op", ["Contains", "", "Equals ", "GreaterThanEquals"])
def test_unknown_operator(op: str) -> None:
    with pytest.raises(ValueError, match="unknown operator") as e:
        operators.compare(op, 1, 1)
    assert "AnyNotIn" in str(e.value)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [("*", "", True), ("", "", True), ("", "a", False), ("a?c", "abc", True), ("a?c", "ac", False),
     ("my-bucket?abc*", "my-bucket/abc", True), ("a*b*c", "aXXbYYc", True), ("a.c", "abc", False), ("[a]", "a", False)],
)
def test_wildcard(pattern: str, text: str, matches: bool) -> None:
    assert operators.wildcard(pattern, text) is matches


_SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True)
            | st.sampled_from(["", "0", "1", "1.5", "1Gi", "500m", "1h", "-1s", "1-10", "5", "a*", "?", "1.2.3",
                               '["a", "b"]', "[1]", "null", "NaN", "1e400", "0x10", "kube-system"])
            | st.text(max_size=12))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=6)


@given(st.sampled_from(sorted(operators.OPERATORS)), _JSON, _JSON)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_every_operator_is_total(op: str, key: Any, value: Any) -> None:
    assert operators.compare(op, key, value) in (True, False)
