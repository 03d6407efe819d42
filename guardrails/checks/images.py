"""`images`: where every container's image may come from, and how it must be pinned.

Params (all optional, at least one):
  allow: [pattern]        the image must match one of them
  deny: [pattern]         the image must match none of them
  disallowTags: [glob]    tags that may not be used; an untagged image counts as `latest`, and an
                          image pinned by digest (`app:latest@sha256:...`) is judged by its digest
  requireDigest: bool     the image must be pinned by `@sha256:...`

Patterns are matched against the normalised `registry/repository` (`nginx` is
`docker.io/library/nginx`). The part before the first `/` matches the registry (case-
insensitively, as host names are) and the rest the repository; a pattern without `/` names a
registry and any repository on it. `*` matches any run of characters, including `/` in the
repository part, so `ghcr.io/myorg/*` covers `ghcr.io/myorg/team/app`, while a `*` in the
registry part stays inside the host name: `123456789.dkr.ecr.*.amazonaws.com/*` cannot be
satisfied by `123456789.dkr.ecr.evil.example/x.amazonaws.com/app`. Patterns are normalised
like images: `docker.io/nginx` means `docker.io/library/nginx`, `index.docker.io` is `docker.io`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from guardrails.checks.base import Check, CheckFn
from guardrails.errors import ParamError
from guardrails.kube import images, selectors, workloads
from guardrails.lang.quote import quote
from guardrails.model import Resource, Violation

__all__ = ["IMAGES", "compile_pattern", "container_noun"]

_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {"allow": _GLOBS, "deny": _GLOBS, "disallowTags": _GLOBS, "requireDigest": {"type": "boolean"}},
}
_NOUNS = {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}


def container_noun(field: str, container: Mapping[str, Any]) -> str:
    """`container "app"`, `init container "setup"`: how messages name a container."""
    return f"{_NOUNS.get(field, 'container')} {quote(container.get('name', '?'))}"


def compile_pattern(pattern: str) -> Callable[[images.ImageRef], bool]:
    """A registry/repository pattern -> predicate over normalised references. ValueError if empty."""
    if not pattern or pattern.startswith("/"):
        raise ValueError(f"invalid image pattern {pattern!r}: expected registry or registry/repository")
    registry, slash, repository = pattern.partition("/")
    registry = registry.lower()
    if registry == "index.docker.io":
        registry = images.DEFAULT_REGISTRY
    if registry == images.DEFAULT_REGISTRY and slash and "/" not in repository and "*" not in repository:
        repository = "library/" + repository
    # A registry never contains "/", so a registry glob cannot reach into the repository.
    reg = selectors.glob_to_regex(registry)
    repo = selectors.glob_to_regex(repository) if slash else None

    def matches(ref: images.ImageRef) -> bool:
        return reg.match(ref.registry.lower()) is not None and (repo is None or repo.match(ref.repository) is not None)

    return matches


def _patterns(params: Mapping[str, Any], field: str) -> list[tuple[str, Callable[[images.ImageRef], bool]]]:
    raw = params.get(field, [])
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ParamError("expected a list of patterns", (field,))
    out = []
    for i, p in enumerate(raw):
        try:
            out.append((p, compile_pattern(p)))
        except ValueError as e:
            raise ParamError(str(e), (field, i)) from None
    return out


def _compile(params: Any) -> CheckFn:
    if not isinstance(params, Mapping) or not params:
        raise ParamError("expected a mapping with allow, deny, disallowTags or requireDigest")
    unknown = sorted(set(params) - {"allow", "deny", "disallowTags", "requireDigest"})
    if unknown:
        raise ParamError(f"unknown field {unknown[0]!r}: use allow, deny, disallowTags, requireDigest", (unknown[0],))
    allow = _patterns(params, "allow")
    deny = _patterns(params, "deny")
    tags = params.get("disallowTags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise ParamError("expected a list of tags", ("disallowTags",))
    bad_tag = selectors.compile_globs(tags) if tags else None
    require_digest = params.get("requireDigest", False)
    if not isinstance(require_digest, bool):
        raise ParamError("expected true or false", ("requireDigest",))
    allowed_text = ", ".join(p for p, _ in allow)

    def problems(ref: images.ImageRef) -> list[str]:
        out = []
        if allow and not any(m(ref) for _, m in allow):
            out.append(f"is not from an allowed registry: {allowed_text}")
        out.extend(f"matches the denied pattern {quote(p)}" for p, m in deny if m(ref))
        tag = ref.effective_tag
        # A digest is what the runtime pulls: `app:latest@sha256:...` is pinned, whatever its tag says.
        if bad_tag is not None and tag is not None and ref.digest is None and bad_tag(tag):
            implicit = " (no tag given, so latest)" if ref.implicit_latest else ""
            out.append(f"uses the disallowed tag {quote(tag)}{implicit}")
        if require_digest and ref.digest is None:
            out.append(f"is not pinned by digest: use {ref.name}@sha256:...")
        return out

    def check(resource: Resource) -> Iterator[Violation]:
        for container, cpath, field in workloads.iter_containers(resource.obj):
            image = container.get("image")
            path = (*cpath, "image")
            if not isinstance(image, str) or not image:
                at = path if "image" in container else cpath
                yield Violation(f"{container_noun(field, container)} has no image", at)
                continue
            try:
                ref = images.parse(image)
            except images.ImageError as e:
                yield Violation(f"{container_noun(field, container)} image {quote(image)} is not a valid image reference: "
                                f"{e.reason}", path)
                continue
            found = problems(ref)
            if found:  # messages are built only for what fails
                # The normalised name only where it says more than what was written (nginx -> docker.io/library/nginx:latest).
                shown = f" ({ref})" if str(ref) != image else ""
                what = f"{container_noun(field, container)} image {quote(image)}{shown}"
                for problem in found:
                    yield Violation(f"{what} {problem}", path)

    return check


IMAGES = Check(
    key="images",
    schema=SCHEMA,
    compile=_compile,
    summary="Container images come from allowed registries, avoid denied ones and disallowed tags, and are pinned by digest when required.",
)
