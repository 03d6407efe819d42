"""Kyverno's JMESPath: unknown keys are errors except where its fork absorbs them."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.lang import jmespath as query

DATA: dict[str, Any] = {
    "request": {
        "operation": "CREATE",
        "object": {
            "metadata": {"name": "p", "labels": {"app": "web", "app.kubernetes.io/part-of": "shop"}, "annotations": None},
            "spec": {"containers": [{"name": "a", "image": "nginx:1", "ports": [{"containerPort": 80}]},
                                    {"name": "b", "image": "busybox"}]},
        },
    },
}

CASES: list[tuple[str, Any]] = [
    ("request.operation", "CREATE"),
    ("request.object.metadata.labels.app", "web"),
    ('request."object".metadata.labels."app.kubernetes.io/part-of"', "shop"),
    ("request.object.metadata.labels.team || 'none'", "none"),
    ("request.object.metadata.annotations.x", None),  # a field of null is null, not an error
    ("request.object.spec.containers[].name", ["a", "b"]),
    ("request.object.spec.containers[].ports[].containerPort", [80]),
    ("request.object.spec.containers[?image == 'busybox'].name | [0]", "b"),
    ("request.object.spec.containers[?missing == 'x'].name", []),  # absorbed per element
    ("length(request.object.spec.containers)", 2),
    ("contains(keys(request.object.metadata.labels), 'app')", True),
    ("request.object.metadata.labels.team == null", True),  # absorbed in comparisons
    ("!(request.object.metadata.labels.team)", True),
    ("!request.object", None),  # `!` binds tighter than `.`: (!request).object
    ("[request.object.metadata.labels.team, 'x']", [None, "x"]),
    ("request.object.metadata.labels.team | 'piped'", "piped"),
]


@pytest.mark.parametrize(("expr", "want"), CASES, ids=[c[0] for c in CASES])
def test_search(expr: str, want: Any) -> None:
    assert query.search(expr, DATA, missing=query.ERROR) == want


@pytest.mark.parametrize(
    "expr",
    ["request.object.metadata.labels.team", "request.objekt.metadata",
     "request.object.metadata.labels.app && request.object.metadata.labels.team"],
)
def test_unknown_key_is_an_error(expr: str) -> None:
    with pytest.raises(query.NotFound, match="Unknown key"):
        query.search(expr, DATA, missing=query.ERROR)


@pytest.mark.parametrize("expr", ["request.[", "to_upper(`1`)", "nosuchfunction('a')"])
def test_bad_queries(expr: str) -> None:
    with pytest.raises(query.QueryError):
        query.search(expr, DATA, missing=query.ERROR)
