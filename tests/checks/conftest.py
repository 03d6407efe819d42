"""Fixtures for check tests: every pod-bearing kind built around the same pod spec (kopf-style
parametrisation), and a way to run a check directly and through the Engine."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from guardrails.checks.base import Check
from guardrails.dialects.native import compile_native
from guardrails.engine import Engine
from guardrails.model import FieldPath, Origin, Resource

ORIGIN = Origin("test.yaml")

# kind -> (apiVersion, path of the pod template inside the object)
POD_KINDS: dict[str, tuple[str, FieldPath]] = {
    "Pod": ("v1", ()),
    "Deployment": ("apps/v1", ("spec", "template")),
    "StatefulSet": ("apps/v1", ("spec", "template")),
    "DaemonSet": ("apps/v1", ("spec", "template")),
    "ReplicaSet": ("apps/v1", ("spec", "template")),
    "ReplicationController": ("v1", ("spec", "template")),
    "Job": ("batch/v1", ("spec", "template")),
    "CronJob": ("batch/v1", ("spec", "jobTemplate", "spec", "template")),
}


class Workload:
    """Builds an object of one kind around a pod spec; `at(path)` maps a pod-relative path."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.api_version, self.template = POD_KINDS[kind]

    def __repr__(self) -> str:
        return self.kind

    def build(self, pod_spec: Mapping[str, Any], pod_metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
        template: dict[str, Any] = {"spec": copy.deepcopy(dict(pod_spec))}
        if pod_metadata is not None:
            template["metadata"] = copy.deepcopy(dict(pod_metadata))
        obj: dict[str, Any] = {"apiVersion": self.api_version, "kind": self.kind,
                               "metadata": {"name": "w", "namespace": "shop"}}
        if not self.template:
            obj["metadata"].update(template.get("metadata", {}))
            obj["spec"] = template["spec"]
            return obj
        cur = obj
        for step in self.template[:-1]:
            cur = cur.setdefault(step, {})  # type: ignore[assignment]
        cur[self.template[-1]] = template
        return obj

    def at(self, pod_path: FieldPath) -> FieldPath:
        """A path written relative to the Pod (`spec`, `containers`, ...) inside this kind."""
        return (*self.template, *pod_path)


@pytest.fixture(params=sorted(POD_KINDS))
def workload(request: pytest.FixtureRequest) -> Workload:
    return Workload(request.param)


def run_check(check: Check, params: Any, obj: Mapping[str, Any]) -> list[tuple[str, FieldPath]]:
    fn = check.compile(params)
    return [(v.message, v.path) for v in fn(Resource(obj=obj, origin=ORIGIN))]


def run_engine(key: str, params: Any, obj: Mapping[str, Any], kinds: list[str]) -> list[tuple[str, FieldPath]]:
    """The check as a native rule matching `kinds`, evaluated by the Engine (absolute paths)."""
    rule = compile_native("r", {"match": {"kinds": kinds}, key: params}, source=None)
    return [(f.message, f.path) for f in Engine([rule]).evaluate(Resource(obj=obj, origin=ORIGIN))]
