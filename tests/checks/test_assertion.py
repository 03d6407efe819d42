"""assert: a table of (object, params, expected findings), plus compile errors with their paths."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks import get
from guardrails.errors import ParamError
from guardrails.model import FieldPath

from .conftest import Workload, run_check, run_engine

OBJ = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {}},
       "spec": {"replicas": 1, "paused": False, "selector": {"matchLabels": {"app": "web"}}}}

# (id, params, [(message, path)])
CASES: list[tuple[str, Any, list[tuple[str, FieldPath]]]] = [
    ("true", {"expression": "spec.replicas >= `1`"}, []),
    ("false comparison points at its field", {"expression": "spec.replicas >= `2`"},
     [('assertion "spec.replicas >= `2`" is not true (got false)', ("spec", "replicas"))]),
    ("message template quotes values", {"expression": "spec.replicas >= `2`",
                                        "message": "{{ metadata.name }} has {{ spec.replicas }} replica(s); want 2"},
     [('"web" has 1 replica(s); want 2', ("spec", "replicas"))]),
    ("null is false", {"expression": "spec.strategy"}, [('assertion "spec.strategy" is not true (got null)', ("spec",))]),
    ("false is false", {"expression": "spec.paused"}, [('assertion "spec.paused" is not true (got false)', ("spec", "paused"))]),
    ("empty object is false", {"expression": "metadata.labels"},
     [('assertion "metadata.labels" is not true (got {})', ("metadata", "labels"))]),
    ("zero is true, as in JMESPath", {"expression": "`0`"}, []),
    ("non-empty is true", {"expression": "spec.selector.matchLabels"}, []),
    ("a list, each judged", [{"expression": "spec.replicas > `0`"}, {"expression": "metadata.namespace", "message": "no namespace"},
                             {"expression": "contains(keys(spec), 'selector')"}],
     [("no namespace", ("metadata",))]),
    ("Kyverno's envelope", {"expression": "request.object.spec.replicas > `1`", "message": "{{ request.operation }}"},
     [('"CREATE"', ("spec", "replicas"))]),
    ("placeholder for a missing value", {"expression": "metadata.annotations", "message": "annotations: {{ metadata.annotations }}"},
     [("annotations: null", ("metadata",))]),
]


@pytest.mark.parametrize(("params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_assert(params: Any, expected: list[tuple[str, FieldPath]]) -> None:
    assert run_check(get("assert"), params, OBJ) == expected


def test_pod_rule_through_the_engine(workload: Workload) -> None:
    obj = workload.build({"containers": [{"name": "app", "image": "x"}]})
    params = {"expression": "spec.securityContext.runAsNonRoot", "message": "pods must run as non-root"}
    assert run_engine("assert", params, obj, ["Pod"]) == [("pods must run as non-root", workload.at(("spec",)))]


# (id, params, message fragment, param path)
COMPILE_ERRORS = [
    ("not a mapping", "spec.replicas", "expected {expression, message}", ()),
    ("empty list", [], "at least one assertion", ()),
    ("unknown field", {"expression": "a", "msg": "x"}, "unknown field 'msg'", ("msg",)),
    ("bad expression", [{"expression": "a"}, {"expression": "foo bar"}], "invalid JMESPath expression 'foo bar' at column 5",
     (1, "expression")),
    ("bad message placeholder", {"expression": "a", "message": "{{ a.[ }}"}, "incomplete", ("message",)),
    ("message not a string", {"expression": "a", "message": 3}, "message template string", ("message",)),
]


@pytest.mark.parametrize(("params", "message", "path"), [c[1:] for c in COMPILE_ERRORS], ids=[c[0] for c in COMPILE_ERRORS])
def test_compile_errors(params: Any, message: str, path: FieldPath) -> None:
    with pytest.raises(ParamError) as e:
        get("assert").compile(params)
    assert message in e.value.message
    assert e.value.path == path
