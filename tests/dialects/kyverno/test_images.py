"""The `images` context variable, split as Kyverno splits references."""

from __future__ import annotations

import pytest

from guardrails.dialects.kyverno import images
from guardrails.dialects.kyverno.rule import context_data
from guardrails.model import Origin, Resource

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("image", "registry", "path", "tag", "digest", "reference"),
    [("nginx", "docker.io", "nginx", "latest", "", "docker.io/nginx:latest"),
     ("library/nginx:1.25", "docker.io", "library/nginx", "1.25", "", "docker.io/library/nginx:1.25"),
     ("ghcr.io/org/app:v1", "ghcr.io", "org/app", "v1", "", "ghcr.io/org/app:v1"),
     ("localhost:5000/app", "localhost:5000", "app", "latest", "", "localhost:5000/app:latest"),
     (f"quay.io/x/y@{D}", "quay.io", "x/y", "", D, f"quay.io/x/y@{D}"),
     (f"nginx:1@{D}", "docker.io", "nginx", "1", D, f"docker.io/nginx@{D}")],
)
def test_image_info(image: str, registry: str, path: str, tag: str, digest: str, reference: str) -> None:
    info = images.image_info(image)
    assert info is not None
    assert (info["registry"], info["path"], info.get("tag", ""), info.get("digest", ""), info["reference"]) == (
        registry, path, tag, digest, reference)
    assert info["name"] == path.rpartition("/")[2]


@pytest.mark.parametrize("bad", ["UPPER/Case:tag", "nginx:", "a//b", ""])
def test_bad_images_are_left_out(bad: str) -> None:
    assert images.image_info(bad) is None


def test_context_has_images_of_every_container_kind() -> None:
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"}],
                                          "initContainers": [{"name": "init", "image": "busybox"}]}}}}
    data = context_data(Resource(obj=dep, origin=Origin("x")))
    assert data["images"]["containers"]["web"]["tag"] == "1"
    assert data["images"]["initContainers"]["init"]["registry"] == "docker.io"


def test_a_rule_can_read_images() -> None:
    from guardrails.dialects.kyverno.policy import compile_policy
    from guardrails.model import Status

    p = compile_policy({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "p"}, "spec": {"rules": [{
        "name": "r", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
        "validate": {"deny": {"conditions": {"any": [{"key": "{{ images.containers.*.registry }}", "operator": "AnyNotIn",
                                                      "value": ["ghcr.io"]}]}}}}]}})
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"containers": [{"name": "a", "image": "ghcr.io/o/a:1"}, {"name": "b", "image": "nginx"}]}}
    resp = p.rules[0].rule.respond(Resource(obj=pod, origin=Origin("x")))
    assert resp is not None and resp.status is Status.FAIL
