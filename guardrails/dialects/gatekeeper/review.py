"""`input.review` and `data.inventory` shaped as Gatekeeper (and gator) build them.

For an object read from a file, gator reviews it as a bare admission request: `kind` (group,
version, kind from apiVersion/kind), `name` and `namespace` from metadata, and `object`; no
operation, oldObject or userInfo. At admission the request itself is the review.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from guardrails.model import Resource

__all__ = ["Shared", "gvk", "inventory", "review", "shared"]


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


class Shared:
    """One request's review, built once and shared by every template: the review, its JSON text
    (Rego's input) and its CEL form, each made on first use."""

    __slots__ = ("_cel", "_json", "resource", "review")

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.review = review(resource)
        self._json: str | None = None
        self._cel: dict[str, Any] | None = None

    def json(self) -> str:
        if self._json is None:
            self._json = json.dumps(self.review, separators=(",", ":"), default=str)
        return self._json

    def cel(self) -> dict[str, Any]:
        if self._cel is None:
            from guardrails.dialects.gatekeeper import cel

            self._cel = cel.review_data(self.review)
        return self._cel


# The last request: every constraint asks about the same resource in turn. Swapped whole, so
# threads (the webhook) never see a torn value.
_LAST: list[Shared | None] = [None]


def shared(resource: Resource) -> Shared:
    last = _LAST[0]
    if last is not None and last.resource is resource:
        return last
    found = Shared(resource)
    _LAST[0] = found
    return found


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
