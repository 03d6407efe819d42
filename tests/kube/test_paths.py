"""Field paths in plain words: a finding names the container or volume, in a pod and in a
controller's pod template alike, and every other field by its one path syntax."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.kube import paths

POD_SPEC = {
    "containers": [{"name": "web", "securityContext": {}}, {"image": "nameless"}],
    "initContainers": [{"name": "setup"}],
    "ephemeralContainers": [{"name": "debug"}],
    "volumes": [{"name": "data", "hostPath": {"path": "/"}}],
}
POD = {"kind": "Pod", "spec": POD_SPEC}
DEPLOYMENT = {"kind": "Deployment", "spec": {"replicas": 1, "template": {"spec": POD_SPEC}}}
CRONJOB = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": POD_SPEC}}}}}
SERVICE = {"kind": "Service", "spec": {"type": "NodePort"}}

CASES: list[tuple[str, Any, tuple[Any, ...], str]] = [
    ("container field", POD, ("spec", "containers", 0, "securityContext", "privileged"), 'container "web" securityContext.privileged'),
    ("container itself", POD, ("spec", "containers", 0), 'container "web"'),
    ("init container", POD, ("spec", "initContainers", 0, "image"), 'init container "setup" image'),
    ("ephemeral container", POD, ("spec", "ephemeralContainers", 0, "image"), 'ephemeral container "debug" image'),
    ("volume", POD, ("spec", "volumes", 0, "hostPath"), 'volume "data" hostPath'),
    ("a container without a name keeps its index", POD, ("spec", "containers", 1, "image"), "pod containers[1].image"),
    ("a container not there", POD, ("spec", "containers", 5, "image"), "pod containers[5].image"),
    ("pod field", POD, ("spec", "hostNetwork"), "pod hostNetwork"),
    ("pod template container", DEPLOYMENT, ("spec", "template", "spec", "containers", 0, "image"), 'container "web" image'),
    ("pod template field", DEPLOYMENT, ("spec", "template", "spec", "hostPID"), "pod hostPID"),
    ("job template container", CRONJOB, ("spec", "jobTemplate", "spec", "template", "spec", "volumes", 0), 'volume "data"'),
    ("controller's own field", DEPLOYMENT, ("spec", "replicas"), "spec.replicas"),
    ("not a pod", SERVICE, ("spec", "type"), "spec.type"),
    ("metadata", POD, ("metadata", "labels", "app.kubernetes.io/name"), 'metadata.labels["app.kubernetes.io/name"]'),
    ("the object", SERVICE, (), "the object"),
]


@pytest.mark.parametrize(("obj", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plain_names_the_container_volume_or_field(obj: Any, path: tuple[Any, ...], words: str) -> None:
    assert paths.plain(obj, path) == words
