"""resources: a table of (container resources, params, expected findings) over every pod kind."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks import get
from guardrails.errors import ParamError
from guardrails.model import FieldPath

from .conftest import Workload, run_check, run_engine

CPU_MEM = {"requests": ["cpu", "memory"], "limits": ["cpu", "memory"]}
FULL = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


def c(resources: Any = None, name: str = "app", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": "x", **extra}
    if resources is not None:
        out["resources"] = resources
    return out


R = ("containers", 0, "resources")

# (id, pod spec, params, [(message, path relative to the pod spec)])
CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, FieldPath]]]] = [
    ("all set", {"containers": [c(FULL)]}, CPU_MEM, []),
    ("no resources at all", {"containers": [c()]}, CPU_MEM,
     [('container "app" has no cpu request', ("containers", 0)),
      ('container "app" has no memory request', ("containers", 0)),
      ('container "app" has no cpu limit', ("containers", 0)),
      ('container "app" has no memory limit', ("containers", 0))]),
    ("limits only", {"containers": [c({"limits": {"cpu": "1", "memory": "1Gi"}})]}, CPU_MEM,
     [('container "app" has no cpu request', R), ('container "app" has no memory request', R)]),
    ("one missing", {"containers": [c({"requests": {"cpu": "1"}, "limits": {"cpu": "1", "memory": "1Gi"}})]}, CPU_MEM,
     [('container "app" has no memory request', (*R, "requests"))]),
    ("empty value counts as missing", {"containers": [c({"requests": {"cpu": ""}})]}, {"requests": ["cpu"]},
     [('container "app" has no cpu request', (*R, "requests", "cpu"))]),
    ("init containers too, ephemeral never", {"containers": [c(FULL)], "initContainers": [c(None, "setup")],
                                              "ephemeralContainers": [c(None, "dbg")]}, {"limits": ["memory"]},
     [('init container "setup" has no memory limit', ("initContainers", 0))]),
    ("extended resources", {"containers": [c({"limits": {"nvidia.com/gpu": 1}})]}, {"limits": ["nvidia.com/gpu"]}, []),
    ("malformed quantity is a finding", {"containers": [c({"requests": {"memory": "1 GB"}, "limits": {"cpu": "two"}})]},
     {"requests": ["memory"], "max": {"limits": {"cpu": "2"}}},
     [('container "app" memory request "1 GB" is not a valid quantity', (*R, "requests", "memory")),
      ('container "app" cpu limit "two" is not a valid quantity', (*R, "limits", "cpu"))]),
    ("min", {"containers": [c({"requests": {"cpu": "50m", "memory": "64Mi"}})]},
     {"min": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
     [('container "app" cpu request "50m" is below the minimum 100m', (*R, "requests", "cpu"))]),
    ("max in other units", {"containers": [c({"limits": {"memory": "2049Mi", "cpu": 2}})]},
     {"max": {"limits": {"memory": "2Gi", "cpu": "2000m"}}},
     [('container "app" memory limit "2049Mi" is above the maximum 2Gi', (*R, "limits", "memory"))]),
    ("max exactly reached is fine", {"containers": [c({"limits": {"memory": "2048Mi"}})]}, {"max": {"limits": {"memory": "2Gi"}}}, []),
    ("number values", {"containers": [c({"requests": {"cpu": 0.05}})]}, {"min": {"requests": {"cpu": 0.1}}},
     [('container "app" cpu request 0.05 is below the minimum 0.1', (*R, "requests", "cpu"))]),
    ("bounds skip absent values", {"containers": [c({})]}, {"min": {"requests": {"cpu": "1"}}}, []),
    ("ratio", {"containers": [c({"requests": {"memory": "512Mi", "cpu": "100m"}, "limits": {"memory": "4Gi", "cpu": "400m"}})]},
     {"ratio": {"memory": 2, "cpu": 4}},
     [('container "app" memory limit "4Gi" is 8 times its request "512Mi", more than the allowed ratio 2',
       (*R, "limits", "memory"))]),
    ("fractional ratio", {"containers": [c({"requests": {"cpu": "2"}, "limits": {"cpu": "3"}})]}, {"ratio": {"cpu": 1.25}},
     [('container "app" cpu limit "3" is 1.5 times its request "2", more than the allowed ratio 1.25', (*R, "limits", "cpu"))]),
    ("ratio over a zero request", {"containers": [c({"requests": {"cpu": "0"}, "limits": {"cpu": "1"}})]}, {"ratio": {"cpu": 4}},
     [('container "app" cpu limit "1" is set over a request of "0", more than the allowed ratio 4', (*R, "limits", "cpu"))]),
    ("ratio needs both", {"containers": [c({"limits": {"cpu": "8"}})]}, {"ratio": {"cpu": 2}}, []),
]


@pytest.mark.parametrize(("pod_spec", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resources(workload: Workload, pod_spec: dict[str, Any], params: dict[str, Any],
                   expected: list[tuple[str, FieldPath]]) -> None:
    obj = workload.build(pod_spec)
    want = [(m, workload.at(("spec", *p))) for m, p in expected]
    assert run_check(get("resources"), params, obj) == want
    assert run_engine("resources", params, obj, ["Pod"]) == want


# (id, params, message fragment, param path)
COMPILE_ERRORS = [
    ("not a mapping", ["cpu"], "expected a mapping", ()),
    ("unknown field", {"request": ["cpu"]}, "unknown field 'request'", ("request",)),
    ("names not a list", {"limits": "cpu"}, "list of resource names", ("limits",)),
    ("bad bound kind", {"min": {"request": {"cpu": "1"}}}, "requests and/or limits", ("min",)),
    ("bad bound table", {"max": {"limits": ["cpu"]}}, "resource name to quantity", ("max", "limits")),
    ("malformed bound", {"max": {"limits": {"memory": "2 GB"}}}, "invalid quantity '2 GB'", ("max", "limits", "memory")),
    ("ratio not a mapping", {"ratio": 2}, "largest limit/request ratio", ("ratio",)),
    ("ratio not positive", {"ratio": {"cpu": 0}}, "positive number", ("ratio", "cpu")),
    ("ratio not a number", {"ratio": {"cpu": "lots"}}, "positive number", ("ratio", "cpu")),
]


@pytest.mark.parametrize(("params", "message", "path"), [c[1:] for c in COMPILE_ERRORS], ids=[c[0] for c in COMPILE_ERRORS])
def test_compile_errors(params: Any, message: str, path: FieldPath) -> None:
    with pytest.raises(ParamError) as e:
        get("resources").compile(params)
    assert message in e.value.message
    assert e.value.path == path
