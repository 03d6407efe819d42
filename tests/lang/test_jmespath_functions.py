"""Kyverno's custom JMESPath functions, one row per function and edge case."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from guardrails.lang import jmespath as query
from guardrails.lang import jmespath_functions

CASES: list[tuple[str, Any]] = [
    ("to_upper('abc')", "ABC"),
    # go-jmespath's to_string is Go's json.Marshal: whole floats lose ".0", keys sort
    ("to_string(`1337.0`)", "1337"),
    ("to_string(`1.5`)", "1.5"),
    ("to_string(`{\"b\": 1, \"a\": [true, null]}`)", '{"a":[true,null],"b":1}'),
    ("to_string('x')", "x"),
    ("to_lower('AbC')", "abc"),
    ("split('a/b/c', '/')", ["a", "b", "c"]),
    ("split('ghcr.io/x', '/') | [0]", "ghcr.io"),
    ("regex_match('^nginx:[0-9]+$', 'nginx:12')", True),
    ("regex_match('^[0-9]+$', `12`)", True),  # numbers are matched as text
    ("regex_match('^b', 'abc')", False),
    ("regex_replace_all('h.*', '3h30m', '')", "3"),
    ("regex_replace_all('([a-z]+)-([0-9]+)', 'web-12', '$2-${1}')", "12-web"),
    ("regex_replace_all_literal('[0-9]', 'a1b2', '$1')", "a$1b$1"),
    ("divide('512Mi', '128Mi')", 4.0),
    ("divide('1Gi', '0.5Gi')", 2.0),
    ("divide(`10`, `4`)", 2.5),
    ("divide('1h', '30s')", 120.0),
    ("divide('1h', '30m')", "error"),  # "30m" is a quantity (30 milli) first, so the types differ
    ("divide('1h', `2`)", "30m0s"),
    ("add('1Gi', '512Mi')", "1610612736"),
    ("add(`1`, `2`)", 3.0),
    ("subtract('2h', '30s')", "1h59m30s"),
    ("multiply('250m', `4`)", "1"),
    ("modulo(`7`, `3`)", 1.0),
    ("compare('a', 'b')", -1),
    ("equal_fold('Go', 'GO')", True),
    ("replace_all('a-b-c', '-', '_')", "a_b_c"),
    ("replace('a-b-c', '-', '_', `1`)", "a_b-c"),
    ("trim('--x--', '-')", "x"),
    ("trim_prefix('docker.io/nginx', 'docker.io/')", "nginx"),
    ("pattern_match('nginx:*', 'nginx:1.2')", True),
    ("label_match(`{\"a\": \"1\"}`, `{\"a\": \"1\", \"b\": \"2\"}`)", True),
    ("to_boolean('True')", True),
    ("base64_decode('aGk=')", "hi"),
    ("base64_encode('hi')", "aGk="),
    ("truncate('abcdef', `3`)", "abc"),
    ("parse_json('{\"a\": [1]}').a[0]", 1),
    ("lookup(`{\"a\": 1}`, 'a')", 1),
    ("items(`{\"b\": 2, \"a\": 1}`, 'k', 'v')", [{"k": "a", "v": 1}, {"k": "b", "v": 2}]),
    ("object_from_lists(['a', 'b'], [`1`])", {"a": 1, "b": None}),
    ("path_canonicalize('/a/../b//c/')", "/b/c"),
    ("sum(['1Gi', '1Gi'])", "2147483648"),
    ("round(`2.345`, `2`)", 2.35),
    ("sha256('a')", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
]


@pytest.mark.parametrize(("expr", "want"), CASES, ids=[c[0] for c in CASES])
def test_function(expr: str, want: Any) -> None:
    if want == "error":
        with pytest.raises(query.QueryError):
            query.search(expr, {}, missing=query.ERROR)
    else:
        assert query.search(expr, {}, missing=query.ERROR) == want


@pytest.mark.parametrize(
    "expr", ["divide('1Gi', '0')", "divide('1Gi', '1h')", "to_boolean('yes')", "regex_match('(', 'a')",
             "add('1Gi', '1h')", "time_now_utc()"],
)
def test_function_errors(expr: str) -> None:
    with pytest.raises(query.QueryError):
        query.search(expr, {}, missing=query.ERROR)


# The clock readers with an evaluation time given (Friday 2026-03-06 10:10:03 UTC).
NOW = datetime.datetime(2026, 3, 6, 10, 10, 3, tzinfo=datetime.UTC)
TIME_CASES: list[tuple[str, Any]] = [
    ("time_since('', '2026-03-06T09:00:00Z', '')", "1h10m3s"),
    ("time_since('', '2020-05-01T03:15:12-07:00', '')", "51239h54m51s"),
    ("time_since('', '2026-03-06T10:10:03Z', '2026-03-06T10:10:03.000250Z')", "250µs"),
    ("time_since('', '2026-03-06T10:10:03Z', '2026-03-06T10:10:03.5Z')", "500ms"),
    ("time_since('', '2026-03-07T00:00:00Z', '2026-03-06T00:00:00Z')", "-24h0m0s"),
    ("time_now_utc()", "2026-03-06T10:10:03Z"),
    ("time_now()", "2026-03-06T10:10:03Z"),
]


@pytest.mark.parametrize(("expr", "want"), TIME_CASES, ids=[c[0] for c in TIME_CASES])
def test_time_functions_read_the_given_time(expr: str, want: Any) -> None:
    token = jmespath_functions.EVALUATION_TIME.set(NOW)
    try:
        assert query.search(expr, {}, missing=query.ERROR) == want
    finally:
        jmespath_functions.EVALUATION_TIME.reset(token)


@pytest.mark.parametrize("expr", ["time_since('', '2020-05-01T03:15:12Z', '')", "time_now()",
                                  "time_since('2006-01-02', '2020-05-01', '2020-05-02')",
                                  "time_since('', '2020-05-01 03:15:12', '2020-05-02T00:00:00Z')"])
def test_time_functions_never_read_the_clock_nor_guess_a_layout(expr: str) -> None:
    with pytest.raises(query.QueryError):
        query.search(expr, {}, missing=query.ERROR)
