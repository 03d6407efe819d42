"""images: a table of (containers, params, expected findings), run over every pod-bearing kind."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks import get
from guardrails.checks.images import compile_pattern
from guardrails.errors import ParamError
from guardrails.kube import images
from guardrails.model import FieldPath

from .conftest import Workload, run_check, run_engine

SHA = "sha256:" + "b" * 64
ALLOW = {"allow": ["ghcr.io/myorg/*", "123456789.dkr.ecr.*.amazonaws.com/*"]}
ALLOWED = "ghcr.io/myorg/*, 123456789.dkr.ecr.*.amazonaws.com/*"


def c(image: Any, name: str = "app") -> dict[str, Any]:
    return {"name": name, "image": image}


IMG = ("containers", 0, "image")

# (id, pod spec, params, [(message, path relative to the pod spec)])
CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, FieldPath]]]] = [
    ("allowed registry", {"containers": [c("ghcr.io/myorg/app:1")]}, ALLOW, []),
    ("nested repository under an allowed org", {"containers": [c("ghcr.io/myorg/team/app:1")]}, ALLOW, []),
    ("ecr with region wildcard", {"containers": [c("123456789.dkr.ecr.eu-west-1.amazonaws.com/app:3")]}, ALLOW, []),
    ("registry glob does not cross into the repository",
     {"containers": [c("123456789.dkr.ecr.evil.example/x.amazonaws.com/app:3")]}, ALLOW,
     [('container "app" image "123456789.dkr.ecr.evil.example/x.amazonaws.com/app:3" '
       f"is not from an allowed registry: {ALLOWED}", IMG)]),
    ("familiar name is docker hub", {"containers": [c("nginx")]}, ALLOW,
     [(f'container "app" image "nginx" (docker.io/library/nginx:latest) is not from an allowed registry: {ALLOWED}', IMG)]),
    ("other org on the same registry", {"containers": [c("ghcr.io/other/app:1")]}, ALLOW,
     [(f'container "app" image "ghcr.io/other/app:1" is not from an allowed registry: {ALLOWED}', IMG)]),
    ("registry compared case-insensitively", {"containers": [c("GHCR.IO/myorg/app:1")]}, ALLOW, []),
    ("init and ephemeral containers too",
     {"containers": [c("ghcr.io/myorg/app:1")], "initContainers": [c("busybox", "setup")],
      "ephemeralContainers": [c("ghcr.io/myorg/debug:1", "dbg"), c("alpine:3", "dbg2")]}, ALLOW,
     [(f'init container "setup" image "busybox" (docker.io/library/busybox:latest) is not from an allowed registry: {ALLOWED}',
       ("initContainers", 0, "image")),
      (f'ephemeral container "dbg2" image "alpine:3" (docker.io/library/alpine:3) is not from an allowed registry: {ALLOWED}',
       ("ephemeralContainers", 1, "image"))]),
    ("deny docker hub", {"containers": [c("user/app:1"), c("ghcr.io/x/y:1", "b")]}, {"deny": ["docker.io/*"]},
     [('container "app" image "user/app:1" (docker.io/user/app:1) matches the denied pattern "docker.io/*"', IMG)]),
    ("deny pattern is normalised like images", {"containers": [c("nginx:1")]}, {"deny": ["docker.io/nginx"]},
     [('container "app" image "nginx:1" (docker.io/library/nginx:1) matches the denied pattern "docker.io/nginx"', IMG)]),
    ("deny by registry only", {"containers": [c("quay.io/a/b:1")]}, {"deny": ["quay.io"]},
     [('container "app" image "quay.io/a/b:1" matches the denied pattern "quay.io"', IMG)]),
    ("explicit latest", {"containers": [c("ghcr.io/myorg/app:latest")]}, {"disallowTags": ["latest"]},
     [('container "app" image "ghcr.io/myorg/app:latest" uses the disallowed tag "latest"', IMG)]),
    ("untagged is implicitly latest", {"containers": [c("ghcr.io/myorg/app")]}, {"disallowTags": ["latest"]},
     [('container "app" image "ghcr.io/myorg/app" (ghcr.io/myorg/app:latest) uses the disallowed tag "latest"'
       " (no tag given, so latest)", IMG)]),
    ("a digest pins the image whatever its tag says", {"containers": [c(f"ghcr.io/myorg/app:latest@{SHA}")]},
     {"disallowTags": ["latest"], "requireDigest": True}, []),
    ("digest without tag has no implicit tag", {"containers": [c(f"ghcr.io/myorg/app@{SHA}")]},
     {"disallowTags": ["latest"], "requireDigest": True}, []),
    ("tag globs", {"containers": [c("app:1.0-SNAPSHOT")]}, {"disallowTags": ["*-SNAPSHOT"]},
     [('container "app" image "app:1.0-SNAPSHOT" (docker.io/library/app:1.0-SNAPSHOT) uses the disallowed tag "1.0-SNAPSHOT"', IMG)]),
    ("digest required", {"containers": [c("ghcr.io/myorg/app:1")]}, {"requireDigest": True},
     [('container "app" image "ghcr.io/myorg/app:1" is not pinned by digest: use ghcr.io/myorg/app@sha256:...', IMG)]),
    ("tag and digest", {"containers": [c(f"ghcr.io/myorg/app:1@{SHA}")]}, {"requireDigest": True, **ALLOW}, []),
    ("localhost with port", {"containers": [c("localhost:5000/x")]}, {"allow": ["localhost:5000/*"]}, []),
    ("invalid reference", {"containers": [c("Nginx:1")]}, ALLOW,
     [('container "app" image "Nginx:1" is not a valid image reference: repository name "library/Nginx" must be lowercase', IMG)]),
    ("missing image", {"containers": [{"name": "app"}]}, ALLOW, [('container "app" has no image', ("containers", 0))]),
    ("empty image", {"containers": [c("")]}, ALLOW, [('container "app" has no image', IMG)]),
    ("every problem reported", {"containers": [c("docker.io/library/nginx")]},
     {"allow": ["ghcr.io/*"], "deny": ["docker.io/*"], "disallowTags": ["latest"], "requireDigest": True},
     [('container "app" image "docker.io/library/nginx" (docker.io/library/nginx:latest) is not from an allowed registry: ghcr.io/*', IMG),
      ('container "app" image "docker.io/library/nginx" (docker.io/library/nginx:latest) matches the denied pattern "docker.io/*"', IMG),
      ('container "app" image "docker.io/library/nginx" (docker.io/library/nginx:latest) uses the disallowed tag "latest" (no tag given, so latest)', IMG),
      ('container "app" image "docker.io/library/nginx" (docker.io/library/nginx:latest) is not pinned by digest: use docker.io/library/nginx@sha256:...', IMG)]),
]


@pytest.mark.parametrize(("pod_spec", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_images(workload: Workload, pod_spec: dict[str, Any], params: dict[str, Any],
                expected: list[tuple[str, FieldPath]]) -> None:
    obj = workload.build(pod_spec)
    want = [(m, workload.at(("spec", *p))) for m, p in expected]
    assert run_check(get("images"), params, obj) == want
    # The same check as a Pod rule, through the engine's pod view, reports the same paths.
    assert run_engine("images", params, obj, ["Pod"]) == want


def test_other_kinds_have_no_containers() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"image": "nginx"}}
    assert run_check(get("images"), ALLOW, obj) == []


# (id, params, message fragment, param path)
COMPILE_ERRORS = [
    ("not a mapping", ["ghcr.io/*"], "expected a mapping", ()),
    ("empty", {}, "expected a mapping", ()),
    ("unknown field", {"allowed": ["x"]}, "unknown field 'allowed'", ("allowed",)),
    ("allow not a list", {"allow": "ghcr.io/*"}, "list of patterns", ("allow",)),
    ("empty pattern", {"deny": ["ok.io", ""]}, "invalid image pattern", ("deny", 1)),
    ("leading slash", {"allow": ["/app"]}, "invalid image pattern", ("allow", 0)),
    ("tags not strings", {"disallowTags": [1]}, "list of tags", ("disallowTags",)),
    ("digest not bool", {"requireDigest": "yes"}, "true or false", ("requireDigest",)),
]


@pytest.mark.parametrize(("params", "message", "path"), [c[1:] for c in COMPILE_ERRORS], ids=[c[0] for c in COMPILE_ERRORS])
def test_compile_errors(params: Any, message: str, path: FieldPath) -> None:
    with pytest.raises(ParamError) as e:
        get("images").compile(params)
    assert message in e.value.message
    assert e.value.path == path


@pytest.mark.parametrize(
    ("pattern", "image", "matches"),
    [
        ("*", "nginx", True),
        ("docker.io", "nginx", True),
        ("docker.io/*", "user/app", True),
        ("index.docker.io/user/*", "user/app", True),
        ("ghcr.io/myorg/*", "ghcr.io/myorg", False),
        ("ghcr.io/myorg/*", "ghcr.io/myorgx/app", False),
        ("ghcr.io/myorg/app", "ghcr.io/myorg/app:1", True),
        ("ghcr.io/myorg/app", "ghcr.io/myorg/app/sub", False),
        ("*.azurecr.io/*", "x.azurecr.io/a/b", True),
        ("*.azurecr.io/*", "azurecr.io.evil.com/a", False),
        ("registry.example.com:5000/*", "registry.example.com:5000/a", True),
        ("registry.example.com/*", "registry.example.com:5000/a", False),
        ("ghcr.io/myorg/app-?", "ghcr.io/myorg/app-1", True),
    ],
)
def test_patterns(pattern: str, image: str, matches: bool) -> None:
    assert compile_pattern(pattern)(images.parse(image)) is matches
