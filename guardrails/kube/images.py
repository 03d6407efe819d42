"""Container image references, normalised the way Docker and the kubelet read them.

Follows the distribution/reference grammar and its `ParseNormalizedNamed`: the first path
component names a registry only when it contains `.` or `:`, is `localhost`, or has an
uppercase letter; otherwise the image lives on `docker.io`, under `library/` when it has a
single component. `index.docker.io` is `docker.io`. A reference without tag and digest is
implicitly `:latest`; with a digest it is pulled by digest and has no implicit tag.
Invalid references raise ValueError with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re

__all__ = ["ImageError", "ImageRef", "parse"]

DEFAULT_REGISTRY = "docker.io"
_LEGACY_REGISTRY = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_MAX_NAME = 255

# The reference grammar, piece by piece.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"((?:{_DOMAIN}/)?{_REMOTE_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_NAME = re.compile(rf"(?:({_DOMAIN})/)?({_REMOTE_NAME})", re.ASCII)
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")

# Digest algorithms the OCI go-digest package registers, with their hex lengths.
_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+")


class ImageError(ValueError):
    """An invalid reference: `text` as written and the `reason` it is invalid."""

    def __init__(self, text: object, reason: str) -> None:
        shown = json.dumps(text) if isinstance(text, str) else repr(text)
        super().__init__(f"invalid image reference {shown}: {reason}")
        self.text = text
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class ImageRef:
    """A normalised reference. `tag` is None when none was written (see `implicit_latest`)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """`registry/repository`, what allow and deny patterns are matched against."""
        return f"{self.registry}/{self.repository}"

    @property
    def implicit_latest(self) -> bool:
        """No tag and no digest: the runtime pulls `:latest`."""
        return self.tag is None and self.digest is None

    @property
    def effective_tag(self) -> str | None:
        """The tag the runtime resolves: the written one, `latest` when implicit, else None."""
        return "latest" if self.implicit_latest else self.tag

    def __str__(self) -> str:
        tag = self.effective_tag
        return self.name + (f":{tag}" if tag else "") + (f"@{self.digest}" if self.digest else "")


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if not slash:
        return DEFAULT_REGISTRY, _OFFICIAL_PREFIX + name
    if first == "localhost" or any(c in first for c in ".:") or first.lower() != first:
        registry, remote = first, rest
    else:
        registry, remote = DEFAULT_REGISTRY, name
    if registry == _LEGACY_REGISTRY:
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in remote:
        remote = _OFFICIAL_PREFIX + remote
    return registry, remote


def _check_digest(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    size = _ALGORITHMS.get(algorithm)
    if size is None:
        raise ValueError(f'unsupported digest algorithm "{algorithm}"')
    if len(encoded) != size:
        raise ValueError(f"invalid checksum digest length: {algorithm} needs {size} hex digits")
    if not _LOWER_HEX.fullmatch(encoded):
        raise ValueError("invalid checksum digest format: use lowercase hex digits")


@functools.lru_cache(maxsize=4096)  # a corpus uses the same images over and over
def _parse(text: str) -> ImageRef:
    if not text:
        raise ValueError("repository name must have at least one component")
    if _IDENTIFIER.fullmatch(text):
        raise ValueError("a 64-character hexadecimal string is an image ID, not a repository name")
    registry, remainder = _split_registry(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ValueError(f'repository name "{remote}" must be lowercase')
    full = f"{registry}/{remainder}"
    m = _REFERENCE.fullmatch(full)
    if m is None:
        raise ValueError("invalid reference format")
    name = _NAME.fullmatch(m[1])
    assert name is not None  # the reference grammar contains the name grammar
    if (name[1] or "") != registry:
        # The first component reads as a registry (a dot, a colon, localhost) that is not a
        # valid host name: docker refuses it rather than taking it as a path.
        raise ValueError("invalid reference format")
    if len(name[2]) > _MAX_NAME:
        raise ValueError(f"repository name must not be more than {_MAX_NAME} characters")
    if m[3] is not None:
        _check_digest(m[3])
    return ImageRef(registry=name[1] or "", repository=name[2], tag=m[2], digest=m[3])


def parse(text: str) -> ImageRef:
    """Normalise an image reference. Raises ValueError quoting it and saying what is wrong."""
    if not isinstance(text, str):
        raise ImageError(text, "not a string")
    try:
        return _parse(text)
    except ValueError as e:
        raise ImageError(text, str(e)) from None
