"""Image references: Docker normalisation, tags, digests, and what is invalid and why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails.kube import images

SHA = "sha256:" + "a" * 64

# text -> (registry, repository, tag, digest, implicit latest, canonical form)
VALID = [
    ("nginx", ("docker.io", "library/nginx", None, None, True, "docker.io/library/nginx:latest")),
    ("nginx:1.25", ("docker.io", "library/nginx", "1.25", None, False, "docker.io/library/nginx:1.25")),
    ("user/app", ("docker.io", "user/app", None, None, True, "docker.io/user/app:latest")),
    ("docker.io/nginx", ("docker.io", "library/nginx", None, None, True, "docker.io/library/nginx:latest")),
    ("index.docker.io/user/app:v1", ("docker.io", "user/app", "v1", None, False, "docker.io/user/app:v1")),
    ("ghcr.io/myorg/team/app:2", ("ghcr.io", "myorg/team/app", "2", None, False, "ghcr.io/myorg/team/app:2")),
    ("localhost/app", ("localhost", "app", None, None, True, "localhost/app:latest")),
    ("localhost:5000/x", ("localhost:5000", "x", None, None, True, "localhost:5000/x:latest")),
    ("registry:5000/a/b:c", ("registry:5000", "a/b", "c", None, False, "registry:5000/a/b:c")),
    ("[::1]:5000/app", ("[::1]:5000", "app", None, None, True, "[::1]:5000/app:latest")),
    ("localhost", ("docker.io", "library/localhost", None, None, True, "docker.io/library/localhost:latest")),
    ("Docker/app", ("Docker", "app", None, None, True, "Docker/app:latest")),
    ("123456789.dkr.ecr.eu-west-1.amazonaws.com/app:1",
     ("123456789.dkr.ecr.eu-west-1.amazonaws.com", "app", "1", None, False, "123456789.dkr.ecr.eu-west-1.amazonaws.com/app:1")),
    (f"nginx@{SHA}", ("docker.io", "library/nginx", None, SHA, False, f"docker.io/library/nginx@{SHA}")),
    (f"nginx:1.25@{SHA}", ("docker.io", "library/nginx", "1.25", SHA, False, f"docker.io/library/nginx:1.25@{SHA}")),
    ("a__b/c-d---e/f.g:Tag_1.x-y", ("docker.io", "a__b/c-d---e/f.g", "Tag_1.x-y", None, False, "docker.io/a__b/c-d---e/f.g:Tag_1.x-y")),
    ("user/app:latest", ("docker.io", "user/app", "latest", None, False, "docker.io/user/app:latest")),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[t for t, _ in VALID])
def test_normalise(text: str, expected: tuple[object, ...]) -> None:
    ref = images.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest, ref.implicit_latest, str(ref)) == expected
    assert images.parse(str(ref)).name == ref.name


INVALID = [
    ("", "at least one component"),
    ("Nginx", "must be lowercase"),
    ("docker.io/User/app", "must be lowercase"),
    ("ghcr.io/MyOrg/app", "must be lowercase"),
    ("nginx:", "invalid reference format"),
    ("nginx:latest:1", "invalid reference format"),
    ("-nginx", "invalid reference format"),
    ("0.0_0/app", "invalid reference format"),  # a registry-looking first part that is no host name
    ("docker///app", "invalid reference format"),
    ("user/", "invalid reference format"),
    ("https://ghcr.io/app", "invalid reference format"),
    ("nginx latest", "invalid reference format"),
    ("a" * 64, "image ID"),
    ("nginx@sha256:abc", "invalid reference format"),
    ("nginx@md5:" + "a" * 32, "unsupported digest algorithm"),
    ("nginx@sha256:" + "a" * 63 + "0a", "digest length"),
    ("nginx@sha256:" + "A" * 64, "digest format"),
    ("x/" + "a" * 256, "255 characters"),
    ("nginx:" + "t" * 129, "invalid reference format"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID, ids=[t[:40] for t, _ in INVALID])
def test_invalid(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid image reference") as e:
        images.parse(text)
    assert reason in str(e.value)
    assert f'"{text}"' in str(e.value)
    assert isinstance(e.value, images.ImageError) and e.value.text == text and reason in e.value.reason


def test_non_string_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a string"):
        images.parse(3)  # type: ignore[arg-type]


@given(st.text(alphabet="abcAB09.:/@-_[]sha256", max_size=40) | st.text(max_size=30))
def test_never_raises_anything_but_value_error(text: str) -> None:
    try:
        ref = images.parse(text)
    except ValueError:
        return
    # What parses is canonical: normalising the canonical form again changes nothing.
    assert str(images.parse(str(ref))) == str(ref)
