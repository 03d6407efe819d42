"""Constraint parameters take their template's openAPIV3Schema `default:` values, as the API
server's structural defaulting gives them to a constraint it stores."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from guardrails.dialects.gatekeeper import defaults
from guardrails.errors import RuleFileError
from guardrails.model import Origin, Resource
from guardrails.ruletest import gator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "mode": {"type": "string", "default": "strict"},
        "limit": {"type": "integer", "default": 3},
        "nullable": {"type": "string", "nullable": True, "default": "x"},
        "labels": {"type": "array", "items": {"type": "object", "properties": {
            "key": {"type": "string"}, "required": {"type": "boolean", "default": True}}}},
        "nested": {"type": "object", "default": {}, "properties": {"depth": {"type": "integer", "default": 1}}},
        "byName": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "on": {"type": "boolean", "default": False}}}},
    },
}


@pytest.mark.parametrize(("given", "expected"), [
    ({}, {"mode": "strict", "limit": 3, "nullable": "x", "nested": {"depth": 1}}),
    ({"mode": "lax", "limit": None}, {"mode": "lax", "limit": 3, "nullable": "x", "nested": {"depth": 1}}),
    ({"nullable": None}, {"mode": "strict", "limit": 3, "nullable": None, "nested": {"depth": 1}}),  # null kept where nullable
    ({"labels": [{"key": "a"}, {"key": "b", "required": False}]},
     {"mode": "strict", "limit": 3, "nullable": "x", "nested": {"depth": 1},
      "labels": [{"key": "a", "required": True}, {"key": "b", "required": False}]}),
    ({"nested": {"depth": 5}, "byName": {"a": {}, "b": {"on": True}}},
     {"mode": "strict", "limit": 3, "nullable": "x", "nested": {"depth": 5}, "byName": {"a": {"on": False}, "b": {"on": True}}}),
])
def test_structural_defaulting(given: dict[str, Any], expected: dict[str, Any]) -> None:
    before = repr(given)
    assert defaults.apply(SCHEMA, given) == expected
    assert repr(given) == before  # the constraint as read is never changed


def test_defaults_are_copies() -> None:
    a, b = defaults.apply(SCHEMA, {}), defaults.apply(SCHEMA, {})
    a["nested"]["depth"] = 9
    assert b["nested"] == {"depth": 1} and SCHEMA["properties"]["nested"]["default"] == {}


TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8smaxreplicas
spec:
  crd:
    spec:
      names:
        kind: K8sMaxReplicas
      validation:
        openAPIV3Schema:
          type: object
          properties:
            max:
              type: integer
              default: 3
            word:
              type: string
              default: replicas
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8smaxreplicas
        violation[{"msg": msg}] {
          input.review.object.spec.replicas > input.parameters.max
          msg := sprintf("%v %v > %v", [input.parameters.word, input.review.object.spec.replicas, input.parameters.max])
        }
      code:
        - engine: K8sNativeValidation
          source:
            validations:
              - expression: "object.spec.replicas <= variables.params.max"
                messageExpression: "variables.params.word + ' ' + string(object.spec.replicas) + ' > ' + string(variables.params.max)"
"""


def constraint(params: str) -> str:
    return f"""\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sMaxReplicas
metadata:
  name: max-replicas
spec:
  match:
    kinds:
      - apiGroups: ["apps"]
        kinds: ["Deployment"]
{params}"""


def deployment(replicas: int) -> Resource:
    return Resource({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": replicas}},
                    Origin("d.yaml"))


@pytest.mark.parametrize("engine", ["rego", "cel"])
@pytest.mark.parametrize(("params", "replicas", "messages"), [
    ("  parameters: {}\n", 4, ["replicas 4 > 3"]),
    ("  parameters: {}\n", 3, []),
    ("  parameters:\n    max: 5\n", 4, []),
    ("  parameters:\n    word: pods\n", 9, ["pods 9 > 3"]),
])
def test_a_constraint_runs_with_its_templates_defaults(tmp_path: pathlib.Path, engine: str, params: str,
                                                      replicas: int, messages: list[str]) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    (tmp_path / "c.yaml").write_text(constraint(params))
    (rule,) = gator.load_rules([tmp_path / "t.yaml", tmp_path / "c.yaml"], engine=engine)
    assert [v.message for v in rule.check(deployment(replicas))] == messages


def test_a_wrong_parameter_is_a_load_error_at_its_line(tmp_path: pathlib.Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    (tmp_path / "c.yaml").write_text(constraint("  parameters:\n    word: pods\n    max: many\n"))
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([tmp_path / "t.yaml", tmp_path / "c.yaml"])
    assert "spec.parameters.max: 'many' is not of type 'integer'" in e.value.message
    assert e.value.location is not None and (e.value.location.path, e.value.location.line) == (str(tmp_path / "c.yaml"), 12)


def test_without_parameters_there_is_nothing_to_default(tmp_path: pathlib.Path) -> None:
    """As in a cluster: the schema describes `spec.parameters`; with no such object the API
    server makes none, so the defaults inside it never apply."""
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    (tmp_path / "c.yaml").write_text(constraint(""))
    (rule,) = gator.load_rules([tmp_path / "t.yaml", tmp_path / "c.yaml"], engine="rego")
    assert list(rule.check(deployment(9))) == []
