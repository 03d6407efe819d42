"""Fast paths for the image templates: k8sallowedrepos, k8sdisallowedtags, k8simagedigests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.dialects.gatekeeper.fastpaths.common import CONTAINER_KINDS, NativeFn, params, unique
from guardrails.lang import opa
from guardrails.lang.opa import UNDEFINED, fmt, get, items


def _allowed_repos(parameters: Any) -> NativeFn:
    repos = params(parameters).get("repos", UNDEFINED)
    prefixes = [repos] if isinstance(repos, str) else list(items(repos))

    def check(review: Mapping[str, Any]) -> list[str]:
        if repos is UNDEFINED:
            return []
        out = []
        for field, label in CONTAINER_KINDS:
            for c in items(get(review, "object", "spec", field)):
                image, name = get(c, "image"), get(c, "name")
                if not isinstance(image, str) or name is UNDEFINED:
                    continue
                if any(isinstance(r, str) and image.startswith(r) for r in prefixes):
                    continue
                out.append((f"{label} <{fmt(name)}> has an invalid image repo <{image}>, allowed repos are {fmt(repos)}", None))
        return unique(out)

    return check


def _disallowed_tags(parameters: Any) -> NativeFn:
    p = params(parameters)
    tags = p.get("tags", UNDEFINED)
    suffixes = [":" + t for t in items(tags) if isinstance(t, str)]

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        for field, _ in CONTAINER_KINDS:
            for c in items(get(review, "object", "spec", field)):
                if opa.is_exempt(c, p):
                    continue
                image, name = get(c, "image"), get(c, "name")
                if not isinstance(image, str) or name is UNDEFINED:
                    continue
                if tags is not UNDEFINED and any(image.endswith(s) for s in suffixes):
                    out.append((f"container <{fmt(name)}> uses a disallowed tag <{image}>; disallowed tags are {fmt(tags)}", None))
                if ":" not in image.split("/")[-1]:
                    out.append((f"container <{fmt(name)}> didn't specify an image tag <{image}>", None))
        return unique(out)

    return check


def _image_digests(parameters: Any) -> NativeFn:
    p = params(parameters)
    digest = "@[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        for field, label in CONTAINER_KINDS:
            for c in items(get(review, "object", "spec", field)):
                if opa.is_exempt(c, p):
                    continue
                image, name = get(c, "image"), get(c, "name")
                if opa.regex_match(digest, image) is True or image is UNDEFINED or name is UNDEFINED:
                    continue
                out.append((f"{label} <{fmt(name)}> uses an image without a digest <{fmt(image)}>", None))
        return unique(out)

    return check
