"""Kubernetes quantities: exact values, malformed input, canonical rendering, properties."""

from __future__ import annotations

import contextlib
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails.kube import quantity

F = Fraction

PARSE = [
    ("0", F(0)),
    ("500m", F(1, 2)),
    ("0.5", F(1, 2)),
    (".5", F(1, 2)),
    ("1.", F(1)),
    ("+1", F(1)),
    ("-250m", F(-1, 4)),
    ("1Gi", F(2**30)),
    ("1024Mi", F(2**30)),
    ("1.5Gi", F(3 * 2**29)),
    ("1Ki", F(1024)),
    ("1Ei", F(2**60)),
    ("129M", F(129_000_000)),
    ("1k", F(1000)),
    ("1E", F(10**18)),
    ("2P", F(2 * 10**15)),
    ("3T", F(3 * 10**12)),
    ("100n", F(1, 10**7)),
    ("5u", F(5, 10**6)),
    ("1e3", F(1000)),
    ("1E3", F(1000)),
    ("1e+3", F(1000)),
    ("1E-3", F(1, 1000)),
    ("12.5e-1", F(5, 4)),
    ("0001", F(1)),
    # Kubernetes rounds a non-zero value up to a whole nano, away from zero.
    ("0.1n", F(1, 10**9)),
    ("1e-10", F(1, 10**9)),
    ("-1e-10", F(-1, 10**9)),
    ("1.0000000001", F(1_000_000_001, 10**9)),
    # YAML numbers reach Kubernetes as JSON text.
    (2, F(2)),
    (0.5, F(1, 2)),
    (1e-05, F(1, 100_000)),
]


@pytest.mark.parametrize(("text", "value"), PARSE, ids=[repr(t) for t, _ in PARSE])
def test_parse(text: object, value: Fraction) -> None:
    assert quantity.parse(text) == value


MALFORMED = ["", " 1", "1 Gi", "1GB", "1ki", "1K", "1e", "1e3.5", "1.5.5", ".", "-", "+", "Gi", "1Gi ", "1mi",
             "0x10", "1_000", "∞", "1e1001", None, True, [], float("nan"), float("inf")]


@pytest.mark.parametrize("text", MALFORMED, ids=repr)
def test_malformed_raises_value_error_quoting_it(text: object) -> None:
    with pytest.raises(ValueError, match="invalid quantity") as e:
        quantity.parse(text)
    assert repr(text) in str(e.value)
    assert not quantity.is_quantity(text)


@pytest.mark.parametrize(
    ("a", "b", "cmp"),
    [("1Gi", "1024Mi", 0), ("1G", "1Gi", -1), ("500m", "0.5", 0), ("2", "1999m", 1), ("1e3", "1k", 0), ("-1", "0", -1)],
)
def test_compare(a: str, b: str, cmp: int) -> None:
    assert quantity.compare(a, b) == cmp
    assert quantity.compare(b, a) == -cmp


@pytest.mark.parametrize(
    ("value", "binary", "text"),
    [
        (F(0), False, "0"),
        (F(1, 2), False, "500m"),
        (F(1500), False, "1500"),
        (F(2000), False, "2k"),
        (F(-2000), False, "-2k"),
        (F(1, 10**9), False, "1n"),
        (F(1, 3), False, "333333334n"),
        (F(2**30), True, "1Gi"),
        (F(1536 * 2**20), True, "1536Mi"),
        (F(512), True, "512"),
        (F(3, 2), True, "1500m"),
        (F(10**21), False, "1000E"),
    ],
)
def test_render(value: Fraction, binary: bool, text: str) -> None:
    assert quantity.render(value, binary=binary) == text


SUFFIX = st.sampled_from(["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"])
NUMBER = st.builds(
    lambda sign, whole, frac, suffix: f"{sign}{whole}{'.' + frac if frac else ''}{suffix}",
    st.sampled_from(["", "+", "-"]),
    st.integers(0, 10**12).map(str),
    st.text("0123456789", max_size=12),
    SUFFIX,
)


@given(NUMBER)
def test_round_trip_through_render(text: str) -> None:
    value = quantity.parse(text)
    assert quantity.parse(quantity.render(value)) == value
    if value.denominator == 1:
        assert quantity.parse(quantity.render(value, binary=True)) == value


@given(NUMBER, NUMBER)
def test_ordering_agrees_with_float(a: str, b: str) -> None:
    x, y = quantity.parse(a), quantity.parse(b)
    fx, fy = float(x), float(y)
    if abs(fx - fy) > 1e-6 * max(abs(fx), abs(fy), 1e-9):
        assert (x < y) == (fx < fy)


@given(st.text(max_size=20))
def test_arbitrary_text_never_raises_anything_but_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        quantity.parse(text)
