"""kube.objects.unset_nulls: map entries set to null are unset, list items kept, the input never
changed, and the same object back when there is nothing to unset."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from guardrails.kube.objects import unset_nulls
from tests.property.strategies import nested

CASES: list[tuple[Any, Any]] = [
    ({"a": None, "b": 1}, {"b": 1}),
    ({"spec": {"securityContext": None, "containers": [{"image": None, "name": "a"}]}},
     {"spec": {"containers": [{"name": "a"}]}}),
    ({"list": [None, {"x": None}]}, {"list": [None, {}]}),
    ([{"a": None}], [{}]),
    ("text", "text"),
    (None, None),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_unset_nulls(given: Any, expected: Any) -> None:
    before = copy.deepcopy(given)
    assert unset_nulls(given) == expected
    assert given == before


def test_nothing_to_unset_is_the_same_object() -> None:
    obj = {"spec": {"containers": [{"name": "a"}]}}
    assert unset_nulls(obj) is obj


def test_deep_objects_are_no_recursion_error() -> None:
    deep = nested(5000, None)
    out = unset_nulls(deep)
    assert out is not deep
    walked = 0
    while isinstance(out, dict | list) and out:
        out = out["a"] if isinstance(out, dict) else out[0]
        walked += 1
    assert walked == 4999  # the innermost map's null entry is gone
