"""JMESPath's compiled closures (lang.jmespath_compiled) against the interpreter they replace:
every node type, over data of every JSON type, results and errors alike."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails import reference
from guardrails.lang import jmespath as jp

EXPRESSIONS = [
    "a", "a.b.c", "a[0]", "a[-1]", "a[5]", "a[1:3]", "a[::-1]", "a[*].b", "a[].b", "a[]", "*.b", "a.*",
    "a[?b == `1`].c", "a[?b > `0`]", "a[?b]", "a == b", "a != b", "a < b", "a <= b", "a > b", "a >= b",
    "a || b", "a && b", "!a", "!b", "a | b", "a | [0]", "{x: a, y: b}", "[a, b]", "@", "`[1, 2]`", "'lit'",
    "length(a)", "contains(a, `1`)", "sort_by(a, &b)", "max_by(a, &b)", "keys(@)", "to_string(a)",
    "length(a[?b == `1`]) > `0`", "kind == 'aws_eks_cluster' && !contains(spec.enabled_cluster_log_types || `[]`, 'audit')",
    "length(spec.policy.Statement[?Effect == 'Allow' && contains(Action, '*') && contains(Resource, '*')])",
    "a.b || `[]`", "not_a_function(a)", "length(`1`)", "a[?b == `1`] | [0].c", "a.b[*].c[]",
]
DATA: list[Any] = [
    None, 0, 1, True, False, "", "x", [], {}, [1, 2, 3],
    {"a": [{"b": 1, "c": "one"}, {"b": 2, "c": "two"}, {"b": 0}], "b": 1},
    {"a": {"b": {"c": [1, 2]}}, "b": [0]},
    {"a": 0, "b": False}, {"a": "a", "b": "b"}, {"a": [[1, 2], 3, [4]], "b": None},
    {"kind": "aws_eks_cluster", "spec": {"enabled_cluster_log_types": ["api"]}},
    {"spec": {"policy": {"Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]}}},
]


def _run(parsed: Any, data: Any) -> Any:
    try:
        return ("ok", jp.search(parsed, data))
    except Exception as e:
        return ("raised", type(e).__name__, str(e))


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_compiled_equals_the_interpreter(expression: str) -> None:
    fast = jp.compile_expression(expression, ())
    with reference.evaluators():
        slow = jp.compile_expression(expression, ())
    assert isinstance(fast, jp.Compiled) and not isinstance(slow, jp.Compiled)
    assert [_run(fast, d) for d in DATA] == [_run(slow, d) for d in DATA]
