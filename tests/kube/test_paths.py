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


NAMED: list[tuple[str, Any, str, tuple[Any, ...]]] = [
    ("a container in angle brackets", POD, "container <web> has no resource limits", ("spec", "containers", 0)),
    ("an init container", POD, "initContainer <setup> has an invalid image repo", ("spec", "initContainers", 0)),
    ("a volume", POD, "HostPath volume data is not allowed", ("spec", "volumes", 0)),
    ("in a pod template", DEPLOYMENT, 'container "debug" is privileged', ("spec", "template", "spec", "ephemeralContainers", 0)),
    ("in a job template", CRONJOB, "web: no limits", ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)),
    ("inside a longer name is no name", POD, "container <web-2> has no limits", ()),
    ("inside a dotted name is no name", POD, "image data.example.com/x is not allowed", ()),
    ("two named: no guess", POD, "containers web and setup share a port", ()),
    ("none named", POD, "the pod runs as root", ()),
    ("not a pod", SERVICE, "web is a NodePort", ()),
    ("a controller's spec is not a pod's", {"kind": "Deployment", "spec": POD_SPEC}, "container <web>", ()),
]


@pytest.mark.parametrize(("obj", "text", "path"), [c[1:] for c in NAMED], ids=[c[0] for c in NAMED])
def test_named_in_finds_the_one_container_or_volume_a_message_names(obj: Any, text: str, path: tuple[Any, ...]) -> None:
    assert paths.named_in(obj, text) == path
