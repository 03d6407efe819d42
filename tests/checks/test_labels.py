"""requiredLabels / requiredAnnotations: a table of (metadata, params, expected findings)."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks import get
from guardrails.errors import ParamError
from guardrails.model import FieldPath

from .conftest import Workload, run_check, run_engine

ENV = {"key": "environment", "allowedRegex": "^(dev|staging|prod)$"}

# (id, metadata, params, [(message, path)])
CASES: list[tuple[str, dict[str, Any] | None, list[Any], list[tuple[str, FieldPath]]]] = [
    ("all present", {"labels": {"team": "a", "environment": "prod"}}, ["team", ENV], []),
    ("missing key", {"labels": {"environment": "prod"}}, ["team", ENV],
     [('label "team" is missing', ("metadata", "labels"))]),
    ("no labels at all", {"name": "w"}, ["team"], [('label "team" is missing', ("metadata",))]),
    ("no metadata at all", None, ["team"], [('label "team" is missing', ())]),
    ("labels is null", {"labels": None}, ["team"], [('label "team" is missing', ("metadata", "labels"))]),
    ("empty value", {"labels": {"team": ""}}, ["team"], [('label "team" is empty', ("metadata", "labels", "team"))]),
    ("null value", {"labels": {"team": None}}, ["team"], [('label "team" is empty', ("metadata", "labels", "team"))]),
    ("number value", {"labels": {"team": 3}}, ["team"],
     [('label "team" has value 3, which is not a string', ("metadata", "labels", "team"))]),
    ("regex mismatch", {"labels": {"environment": "qa"}}, [ENV],
     [('label "environment" has value "qa", which does not match "^(dev|staging|prod)$"',
       ("metadata", "labels", "environment"))]),
    ("regex is searched, not anchored", {"labels": {"team": "team-a"}}, [{"key": "team", "allowedRegex": "a$"}], []),
    ("allowed values", {"labels": {"tier": "gold"}}, [{"key": "tier", "allowedValues": ["bronze", "silver"]}],
     [('label "tier" has value "gold", which is not one of "bronze", "silver"', ("metadata", "labels", "tier"))]),
    ("allowed value ok", {"labels": {"tier": "silver"}}, [{"key": "tier", "allowedValues": ["bronze", "silver"]}], []),
    ("keys with dots and slashes", {"labels": {"app.kubernetes.io/name": "x"}},
     ["app.kubernetes.io/name", "app.kubernetes.io/part-of"],
     [('label "app.kubernetes.io/part-of" is missing', ("metadata", "labels"))]),
    ("every problem reported", {"labels": {"environment": "qa", "service": ""}}, ["team", ENV, "service"],
     [('label "team" is missing', ("metadata", "labels")),
      ('label "environment" has value "qa", which does not match "^(dev|staging|prod)$"', ("metadata", "labels", "environment")),
      ('label "service" is empty', ("metadata", "labels", "service"))]),
]


def _obj(metadata: dict[str, Any] | None) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap"}
    if metadata is not None:
        obj["metadata"] = metadata
    return obj


@pytest.mark.parametrize(("metadata", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_required_labels(metadata: dict[str, Any] | None, params: list[Any], expected: list[tuple[str, FieldPath]]) -> None:
    assert run_check(get("requiredLabels"), params, _obj(metadata)) == expected


@pytest.mark.parametrize(("metadata", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_required_annotations_mirror_labels(
    metadata: dict[str, Any] | None, params: list[Any], expected: list[tuple[str, FieldPath]]
) -> None:
    def swap(x: Any) -> Any:
        if isinstance(x, dict):
            return {("annotations" if k == "labels" else k): swap(v) for k, v in x.items()}
        return x

    want = [(m.replace("label ", "annotation ", 1), tuple("annotations" if s == "labels" else s for s in p))
            for m, p in expected]
    assert run_check(get("requiredAnnotations"), params, _obj(swap(metadata))) == want


# (id, params, message fragment, param path)
COMPILE_ERRORS = [
    ("not a list", {"team": True}, "non-empty list", ()),
    ("empty list", [], "non-empty list", ()),
    ("bad item", ["team", 3], "non-empty `key`", (1,)),
    ("empty key", [{"key": ""}], "non-empty `key`", (0,)),
    ("bad regex", ["team", {"key": "env", "allowedRegex": "(prod"}], "invalid allowedRegex", (1, "allowedRegex")),
    ("unknown field", [{"key": "env", "allowed": "x"}], "unknown field 'allowed'", (0, "allowed")),
    ("values not strings", [{"key": "env", "allowedValues": [1]}], "list of strings", (0, "allowedValues")),
]


@pytest.mark.parametrize(("params", "message", "path"), [c[1:] for c in COMPILE_ERRORS], ids=[c[0] for c in COMPILE_ERRORS])
def test_compile_errors(params: Any, message: str, path: FieldPath) -> None:
    with pytest.raises(ParamError) as e:
        get("requiredLabels").compile(params)
    assert message in e.value.message
    assert e.value.path == path


def test_pod_rule_judges_pod_template_labels_at_their_real_path(workload: Workload) -> None:
    obj = workload.build({"containers": [{"name": "app", "image": "nginx"}]}, {"labels": {"team": ""}})
    found = run_engine("requiredLabels", ["team"], obj, ["Pod"])
    assert found == [('label "team" is empty', workload.at(("metadata", "labels", "team")))]
