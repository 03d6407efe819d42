"""An AdmissionReview (already decoded from JSON) -> the request it carries and the Resource to judge.

Pure: no web imports, no I/O. The webhook decodes bytes and calls `parse_review`; a review that
is not an AdmissionReview raises `SourceError` with a one-line reason (the webhook's HTTP 400),
which is kept apart from an object that is merely rejected (allowed=false).

The wire formats are TypedDicts, as the API server sends them (admission.k8s.io/v1 and
v1beta1 have the same shape). Only the fields we read are checked; unknown fields and
operations are accepted, since the API server may add them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from guardrails.errors import SourceError
from guardrails.kube.objects import unset_nulls
from guardrails.model import Origin, Resource

__all__ = [
    "API_VERSIONS",
    "ORIGIN",
    "AdmissionRequest",
    "GroupVersionKind",
    "GroupVersionResource",
    "RequestDict",
    "ReviewDict",
    "UserInfo",
    "as_requested",
    "parse_review",
]

API_VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
ORIGIN = Origin(path="<admission>")

Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]


class GroupVersionKind(TypedDict):
    group: str
    version: str
    kind: str


class GroupVersionResource(TypedDict):
    group: str
    version: str
    resource: str


class UserInfo(TypedDict, total=False):
    username: str
    uid: str
    groups: list[str]
    extra: dict[str, list[str]]


class RequestDict(TypedDict, total=False):
    uid: str
    kind: GroupVersionKind
    resource: GroupVersionResource
    subResource: str
    requestKind: GroupVersionKind
    requestResource: GroupVersionResource
    requestSubResource: str
    name: str
    namespace: str
    operation: str
    userInfo: UserInfo
    object: dict[str, Any] | None
    oldObject: dict[str, Any] | None
    dryRun: bool
    options: dict[str, Any] | None


class ReviewDict(TypedDict, total=False):
    apiVersion: str
    kind: str
    request: RequestDict


@dataclasses.dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """What the webhook needs from one review, validated."""

    api_version: str  # the review's own version, answered in kind
    uid: str
    operation: str
    kind: str  # the object's kind, from request.kind
    sub_resource: str
    namespace: str
    name: str
    dry_run: bool
    user: str
    object: Mapping[str, Any] | None
    old_object: Mapping[str, Any] | None
    raw: Mapping[str, Any]  # the whole `request`, for rules that look at it

    def resource(self) -> Resource | None:
        """The object to judge: `object`, or `oldObject` for DELETE. None when there is none.

        The request's kind, namespace and name are the truth, written over the object's own
        copy of them: the API server checks they agree, but a webhook that trusted the copy
        could be told "I am in an excluded namespace" by the object it judges. A Pod created
        by a controller from `generateName` carries its namespace only in the request.
        """
        obj = self.old_object if self.operation == "DELETE" else self.object
        if obj is None:
            return None
        # Null entries unset, as the API server stores the object and as a scan reads it: a
        # rule sees `securityContext: null` as no securityContext in both (kube.objects).
        new, old = unset_nulls(self.object), unset_nulls(self.old_object)
        obj = old if self.operation == "DELETE" else new
        raw = self.raw
        if new is not self.object or old is not self.old_object:
            raw = {**raw, "object": new, "oldObject": old}
        gvk = self.raw.get("kind")
        return Resource(
            obj=as_requested(obj, gvk if isinstance(gvk, Mapping) else {}, self.namespace, self.name),
            origin=ORIGIN,
            old_obj=old,
            request=raw,
        )


def as_requested(obj: Mapping[str, Any], gvk: Mapping[str, Any], namespace: str, name: str) -> Mapping[str, Any]:
    """`obj` with apiVersion, kind, metadata.namespace and metadata.name as the request says.

    A cluster-scoped request (no namespace; a Namespace itself) leaves the object no namespace
    to claim; a request without a name (`generateName`) keeps the object's name fields.
    """
    kind = gvk.get("kind")
    group, version = gvk.get("group") or "", gvk.get("version")
    api_version = f"{group}/{version}" if group and version else version
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    ns = "" if kind == "Namespace" else namespace
    same = (
        (not isinstance(kind, str) or obj.get("kind") == kind)
        and (not isinstance(api_version, str) or not api_version or obj.get("apiVersion") == api_version)
        and (meta.get("namespace") or "") == ns
        and (not name or meta.get("name") == name)
    )
    if same:
        return obj
    new_meta = dict(meta)
    if ns:
        new_meta["namespace"] = ns
    else:
        new_meta.pop("namespace", None)
    if name:
        new_meta["name"] = name
    out = dict(obj)
    if isinstance(kind, str):
        out["kind"] = kind
    if isinstance(api_version, str) and api_version:
        out["apiVersion"] = api_version
    out["metadata"] = new_meta
    return out


def _str(request: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = request.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise SourceError(f"request.{key} must be a non-empty string, got {_describe(value)}")
    return value


def _object(request: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SourceError(f"request.{key} must be an object or null, got {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def parse_review(doc: Any) -> AdmissionRequest:
    """Validate the review's shape and return its request. Raises SourceError for junk."""
    if not isinstance(doc, Mapping):
        raise SourceError(f"body must be a JSON object (an AdmissionReview), got {_describe(doc)}")
    kind = doc.get("kind")
    if kind != "AdmissionReview":
        raise SourceError(f"kind must be 'AdmissionReview', got {kind!r}")
    api_version = doc.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise SourceError(f"apiVersion must be one of {', '.join(API_VERSIONS)}, got {api_version!r}")
    request = doc.get("request")
    if not isinstance(request, Mapping):
        raise SourceError(f"request must be an object, got {_describe(request)}")
    uid = _str(request, "uid", required=True)
    operation = _str(request, "operation", required=True)
    gvk = request.get("kind")
    if not isinstance(gvk, Mapping) or not isinstance(gvk.get("kind"), str):
        raise SourceError("request.kind must be an object with a string 'kind'")
    obj = _object(request, "object")
    old = _object(request, "oldObject")
    if operation in ("CREATE", "UPDATE") and obj is None:
        raise SourceError(f"request.object is required for {operation}")
    dry_run = request.get("dryRun", False)
    if dry_run is None:
        dry_run = False
    if not isinstance(dry_run, bool):
        raise SourceError(f"request.dryRun must be a boolean, got {_describe(dry_run)}")
    user_info = request.get("userInfo")
    user = user_info.get("username", "") if isinstance(user_info, Mapping) else ""
    return AdmissionRequest(
        api_version=str(api_version),
        uid=uid,
        operation=operation,
        kind=str(gvk["kind"]),
        sub_resource=_str(request, "subResource"),
        namespace=_str(request, "namespace"),
        name=_str(request, "name"),
        dry_run=dry_run,
        user=user if isinstance(user, str) else "",
        object=obj,
        old_object=old,
        raw=request,
    )
