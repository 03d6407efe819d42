"""Go value syntax: durations, quantities, floats and their printed forms."""

from __future__ import annotations

import decimal
from typing import Any

import pytest

from guardrails.lang import golang

S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "ns"),
    [("0", 0), ("-0", 0), ("1s", S), ("1.5h", 5400 * S), ("1h30m", 5400 * S), ("300ms", 300_000_000),
     ("-2m", -120 * S), ("1us", 1000), ("1µs", 1000), (".5s", S // 2), ("1", None), ("", None),
     ("1d", None), ("s", None), ("1s ", None), ("+5m", 300 * S)],
)
def test_parse_duration(text: str, ns: int | None) -> None:
    assert golang.parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", "1"), ("500m", "0.5"), ("1Ki", "1024"), ("1Gi", "1073741824"), ("1e3", "1000"), ("1E3", "1000"),
     ("1E", "1000000000000000000"), ("-1.5k", "-1500"), (".5", "0.5"), ("129M", "129000000"),
     ("1x", None), ("", None), ("Mi", None), ("1 Mi", None), ("0.000000", "0")],
)
def test_parse_quantity(text: str, value: str | None) -> None:
    got = golang.parse_quantity(text)
    assert (got if got is None else got.normalize()) == (value if value is None else decimal.Decimal(value).normalize())


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.5, "1.5E+00"), (1000.0, "1E+03"), (0.001, "1E-03"), (-2.25, "-2.25E+00"), (0.0, "0E+00")],
)
def test_format_e(value: float, text: str) -> None:
    assert golang.format_e(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "<nil>"), (True, "true"), (3, "3"), (1000.0, "1000"), (0.5, "0.5"), (1e21, "1e+21"),
     ("s", "s"), ([1, "a"], "[1 a]"), ({"b": 1, "a": None}, "map[a:<nil> b:1]")],
)
def test_format_v(value: Any, text: str) -> None:
    assert golang.format_v(value) == text


@pytest.mark.parametrize(("text", "value"), [("1", 1.0), ("1e3", 1000.0), ("-.5", -0.5), ("1_0", None), (" 1", None), ("x", None)])
def test_parse_float(text: str, value: float | None) -> None:
    assert golang.parse_float(text) == value
