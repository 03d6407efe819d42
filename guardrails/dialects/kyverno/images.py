"""Kyverno's `images` context variable: every container image of a Pod or pod controller,
split the way Kyverno splits it (`images.containers.<name>.registry`, `.path`, `.name`,
`.tag`, `.digest`, `.reference`, `.referenceWithTag`).

Unlike Docker's normalisation, Kyverno adds only the default registry: `nginx` has registry
`docker.io` and path `nginx` (no `library/`); a missing tag is `latest` unless there is a
digest. An image that does not parse is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.kube import workloads

__all__ = ["image_info", "images_of"]

DEFAULT_REGISTRY = "docker.io"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?:({_DOMAIN})/)?({_COMPONENT}(?:/{_COMPONENT})*)(?::([\w][\w.-]{{0,127}}))?"
    r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?\Z",
    re.ASCII,
)


def _with_registry(image: str) -> str:
    head, sep, _ = image.partition("/")
    if not sep or (not any(c in head for c in ".:") and head != "localhost" and head.lower() == head):
        return f"{DEFAULT_REGISTRY}/{image}"
    return image


def image_info(image: str) -> dict[str, str] | None:
    m = _REFERENCE.match(_with_registry(image))
    if m is None:
        return None
    registry, path, tag, digest = m.group(1) or "", m.group(2), m.group(3) or "", m.group(4) or ""
    if not digest and not tag:
        tag = "latest"
    base = f"{registry}/{path}" if registry else path
    info = {
        "registry": registry,
        "name": path.rpartition("/")[2],
        "path": path,
        "tag": tag,
        "digest": digest,
        "reference": f"{base}@{digest}" if digest else f"{base}:{tag}",
        "referenceWithTag": f"{base}:{tag}",
    }
    return {k: v for k, v in info.items() if v or k in ("name", "path")}


def images_of(obj: Mapping[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """{"containers": {name: info}, "initContainers": ..., "ephemeralContainers": ...}."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for container, _, field in workloads.iter_containers(obj):
        image, name = container.get("image"), container.get("name")
        if isinstance(image, str) and isinstance(name, str):
            info = image_info(image)
            if info is not None:
                out.setdefault(field, {})[name] = info
    return out
