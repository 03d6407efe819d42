"""deny: a table of (object, params, expected findings), plus compile errors with their paths."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks import get
from guardrails.errors import ParamError
from guardrails.model import FieldPath

from .conftest import Workload, run_check, run_engine

OBJ = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"tier": "frontend"}},
    "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "app", "image": "nginx",
                                                                   "resources": {"limits": {"memory": "2Gi"}}}]}}},
}
REPLICAS = {"key": "{{ spec.replicas }}", "operator": "LessThan", "value": 2}
NAME_W = {"key": "{{ metadata.name }}", "operator": "Equals", "value": "w*"}
NOPE = {"key": "{{ metadata.name }}", "operator": "Equals", "value": "db"}

# (id, params, [(message, path)])
CASES: list[tuple[str, dict[str, Any], list[tuple[str, FieldPath]]]] = [
    ("bare list is all", {"conditions": [REPLICAS, NAME_W]},
     [('spec.replicas is 1, and the rule denies LessThan 2; metadata.name is "web", and the rule denies Equals "w*"',
       ("spec", "replicas"))]),
    ("all: one false", {"conditions": {"all": [REPLICAS, NOPE]}}, []),
    ("any: one true", {"conditions": {"any": [NOPE, NAME_W]}},
     [('metadata.name is "web", and the rule denies Equals "w*"', ("metadata", "name"))]),
    ("any: none true", {"conditions": {"any": [NOPE]}}, []),
    ("any and all must both hold", {"conditions": {"any": [NAME_W], "all": [NOPE]}}, []),
    ("an empty any never holds", {"conditions": {"any": [], "all": [REPLICAS]}}, []),
    ("an empty all always holds", {"conditions": {"all": []}}, [("denied by the rule's conditions", ())]),
    ("condition message template", {"conditions": [{**REPLICAS, "message": "{{ metadata.name }} runs {{ spec.replicas }} replica"}]},
     [('"web" runs 1 replica', ("spec", "replicas"))]),
    ("rule message replaces condition messages", {"conditions": [REPLICAS], "message": "too few replicas: {{ spec.replicas }}"},
     [("too few replicas: 1", ("spec", "replicas"))]),
    ("quantity-aware", {"conditions": [{"key": "{{ spec.template.spec.containers[0].resources.limits.memory }}",
                                        "operator": "GreaterThan", "value": "1024Mi"}]},
     [('spec.template.spec.containers[0].resources.limits.memory is "2Gi", and the rule denies GreaterThan "1024Mi"',
       ("spec", "template", "spec", "containers", 0, "resources", "limits", "memory"))]),
    ("value from the object", {"conditions": [{"key": "{{ metadata.labels.tier }}", "operator": "Equals",
                                               "value": "{{ metadata.labels.tier }}"}]},
     [('metadata.labels.tier is "frontend", and the rule denies Equals "{{ metadata.labels.tier }}"',
       ("metadata", "labels", "tier"))]),
    ("interpolated key", {"conditions": [{"key": "{{ metadata.name }}-{{ spec.replicas }}", "operator": "Equals", "value": "web-1"}]},
     [('"{{ metadata.name }}-{{ spec.replicas }}" is "web-1", and the rule denies Equals "web-1"', ())]),
    ("missing field is null", {"conditions": [{"key": "{{ spec.paused }}", "operator": "Equals", "value": True}]}, []),
    # A null key is never NotEquals anything (Kyverno's rule); a default makes the intent explicit.
    ("null is not unequal", {"conditions": [{"key": "{{ spec.strategy.type }}", "operator": "NotEquals", "value": "Recreate"}]}, []),
    ("defaulted missing field", {"conditions": [{"key": "{{ spec.strategy.type || '' }}", "operator": "NotEquals", "value": "Recreate"}]},
     [("spec.strategy.type || '' is \"\", and the rule denies NotEquals \"Recreate\"", ("spec",))]),
    ("null is never Equals either", {"conditions": [{"key": "{{ spec.strategy.type }}", "operator": "Equals", "value": None}]}, []),
    ("list values with AnyIn", {"conditions": [{"key": "{{ spec.template.spec.containers[].name }}", "operator": "AnyIn",
                                               "value": ["app", "sidecar"]}]},
     [('spec.template.spec.containers[].name is ["app"], and the rule denies AnyIn ["app", "sidecar"]', ())]),
    ("Kyverno's envelope", {"conditions": [{"key": "{{ request.object.spec.replicas }}", "operator": "LessThan", "value": 2},
                                           {"key": "{{ request.operation }}", "operator": "Equals", "value": "CREATE"}]},
     [('request.object.spec.replicas is 1, and the rule denies LessThan 2; request.operation is "CREATE", and the rule denies '
       'Equals "CREATE"', ("spec", "replicas"))]),
    ("envelope in the message only", {"conditions": [REPLICAS], "message": "{{ request.object.metadata.name }}: {{ spec.replicas }}"},
     [('"web": 1', ("spec", "replicas"))]),
    ("literal key", {"conditions": [{"key": 3, "operator": "GreaterThan", "value": 2}]},
     [("3 is 3, and the rule denies GreaterThan 2", ())]),
]


@pytest.mark.parametrize(("params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_deny(params: dict[str, Any], expected: list[tuple[str, FieldPath]]) -> None:
    assert run_check(get("deny"), params, OBJ) == expected


def test_pod_rule_reads_the_pod_view_and_points_into_the_controller(workload: Workload) -> None:
    obj = workload.build({"hostNetwork": True, "containers": [{"name": "app", "image": "x"}]})
    params = {"conditions": [{"key": "{{ spec.hostNetwork }}", "operator": "Equals", "value": True}]}
    assert run_engine("deny", params, obj, ["Pod"]) == [
        ("spec.hostNetwork is true, and the rule denies Equals true", workload.at(("spec", "hostNetwork")))
    ]


# (id, params, message fragment, param path)
COMPILE_ERRORS = [
    ("not a mapping", [REPLICAS], "expected a mapping with conditions", ()),
    ("unknown field", {"conditions": [REPLICAS], "when": 1}, "unknown field 'when'", ("when",)),
    ("conditions wrong shape", {"conditions": {"some": []}}, "list of conditions or {any", ("conditions",)),
    ("any not a list", {"conditions": {"any": REPLICAS}}, "expected a list of conditions", ("conditions", "any")),
    ("condition not a mapping", {"conditions": ["x"]}, "expected a condition", ("conditions", 0)),
    ("condition without key", {"conditions": [{"operator": "Equals", "value": 1}]}, "needs a key", ("conditions", 0)),
    ("unknown condition field", {"conditions": [{**REPLICAS, "values": [1]}]}, "unknown field 'values'", ("conditions", 0, "values")),
    ("unknown operator", {"conditions": {"all": [REPLICAS, {**REPLICAS, "operator": "Contains"}]}}, "unknown operator 'Contains'",
     ("conditions", "all", 1, "operator")),
    ("bad key expression", {"conditions": [{**REPLICAS, "key": "{{ spec.[ }}"}]}, "invalid JMESPath expression 'spec.[' at column 7",
     ("conditions", 0, "key")),
    ("bad value expression", {"conditions": [{**REPLICAS, "value": ["ok", "{{ a b }}"]}]}, "at column 3: Unexpected token: b",
     ("conditions", 0, "value", 1)),
    ("bad message expression", {"conditions": [REPLICAS], "message": "x {{ `oops }}"}, "Unclosed ` delimiter", ("message",)),
    ("empty expression", {"conditions": [{**REPLICAS, "key": "{{ }}"}]}, "expected a JMESPath expression", ("conditions", 0, "key")),
]


@pytest.mark.parametrize(("params", "message", "path"), [c[1:] for c in COMPILE_ERRORS], ids=[c[0] for c in COMPILE_ERRORS])
def test_compile_errors(params: Any, message: str, path: FieldPath) -> None:
    with pytest.raises(ParamError) as e:
        get("deny").compile(params)
    assert message in e.value.message
    assert e.value.path == path
