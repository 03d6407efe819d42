"""`input.review` and `data.inventory` shaped as Gatekeeper (and gator) build them.

For an object read from a file, gator reviews it as a bare admission request: `kind` (group,
version, kind from apiVersion/kind), `name` and `namespace` from metadata, and `object`; no
operation, oldObject or userInfo. At admission the request itself is the review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from guardrails.model import Resource

__all__ = ["gvk", "inventory", "review"]


def gvk(obj: Mapping[str, Any]) -> dict[str, str]:
    api_version = obj.get("apiVersion")
    av = api_version if isinstance(api_version, str) else ""
    group, _, version = av.rpartition("/")
    kind = obj.get("kind")
    return {"group": group, "version": version, "kind": kind if isinstance(kind, str) else ""}


def review(resource: Resource) -> dict[str, Any]:
    if resource.request is not None:
        out = dict(resource.request)
        # DELETE requests carry only oldObject; Gatekeeper reviews it as the object.
        if out.get("object") is None and resource.old_obj is not None:
            out["object"] = resource.old_obj
        elif "object" not in out:
            out["object"] = resource.obj
        return out
    obj = resource.obj
    out = {"kind": gvk(obj), "object": obj}
    if resource.name:
        out["name"] = resource.name
    if resource.namespace:
        out["namespace"] = resource.namespace
    return out


def inventory(objects: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`data.inventory`: namespace[ns][apiVersion][kind][name] and cluster[apiVersion][kind][name]."""
    cluster: dict[str, Any] = {}
    namespaced: dict[str, Any] = {}
    for obj in objects:
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        name, ns = meta.get("name"), meta.get("namespace")
        av, kind = obj.get("apiVersion"), obj.get("kind")
        if not (isinstance(name, str) and isinstance(av, str) and isinstance(kind, str)):
            continue
        root = namespaced.setdefault(ns, {}) if isinstance(ns, str) and ns else cluster
        root.setdefault(av, {}).setdefault(kind, {})[name] = obj
    return {"inventory": {"cluster": cluster, "namespace": namespaced}}
