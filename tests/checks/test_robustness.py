"""Every native check judges any JSON-shaped object without raising: odd manifests give
findings (or none), never a crash that would turn into an ERROR outcome."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.checks import get
from guardrails.model import Origin, Resource, Violation

PARAMS: dict[str, Any] = {
    "requiredLabels": ["team", {"key": "env", "allowedRegex": "^p"}, {"key": "tier", "allowedValues": ["a"]}],
    "requiredAnnotations": ["owner"],
    "images": {"allow": ["ghcr.io/*"], "deny": ["docker.io/*"], "disallowTags": ["latest"], "requireDigest": True},
    "resources": {"requests": ["cpu"], "limits": ["memory"], "min": {"requests": {"cpu": "10m"}},
                  "max": {"limits": {"memory": "1Gi"}}, "ratio": {"memory": 2, "cpu": 1.5}},
    "deny": {"conditions": {"any": [{"key": "{{ spec.replicas }}", "operator": "LessThan", "value": 2},
                                    {"key": "{{ metadata.labels }}", "operator": "AnyIn", "value": ["x"]}],
                            "all": [{"key": "{{ spec.template.spec.containers[].image }}", "operator": "AllNotIn",
                                     "value": "ghcr.io/*"}]},
             "message": "{{ metadata.name }} {{ spec }}"},
    "assert": [{"expression": "spec.replicas > `1`", "message": "{{ spec.replicas }}"}, {"expression": "metadata.labels.team"}],
}
CHECKS = {key: get(key).compile(params) for key, params in PARAMS.items()}

_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.sampled_from(
    ["nginx", "ghcr.io/a/b:1", "1Gi", "500m", "", "Nginx", "x@sha256:1"])
_ANY = st.recursive(_LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
_CONTAINER = st.fixed_dictionaries({}, optional={
    "name": _ANY, "image": _LEAF,
    "resources": _ANY | st.fixed_dictionaries({}, optional={"requests": st.dictionaries(st.sampled_from(["cpu", "memory"]), _LEAF),
                                                            "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), _LEAF)})})
_POD_SPEC = st.fixed_dictionaries({}, optional={
    "containers": st.lists(_CONTAINER | _ANY, max_size=3) | _ANY, "initContainers": st.lists(_CONTAINER, max_size=2)})
_OBJ = st.fixed_dictionaries(
    {"kind": st.sampled_from(["Pod", "Deployment", "CronJob", "ConfigMap"])},
    optional={
        "metadata": st.fixed_dictionaries({}, optional={"name": _ANY, "labels": _ANY, "annotations": _ANY}) | _ANY,
        "spec": _POD_SPEC | st.fixed_dictionaries({}, optional={"replicas": _LEAF, "template": st.fixed_dictionaries(
            {}, optional={"spec": _POD_SPEC, "metadata": _ANY}), "jobTemplate": _ANY}) | _ANY,
    },
)


@given(_OBJ)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_checks_never_raise(obj: dict[str, Any]) -> None:
    resource = Resource(obj=obj, origin=Origin("fuzz.yaml"))
    for fn in CHECKS.values():
        for v in fn(resource):
            assert isinstance(v, Violation) and isinstance(v.message, str) and v.message
