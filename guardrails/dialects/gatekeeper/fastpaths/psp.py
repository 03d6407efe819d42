"""Fast paths for the pod security policy templates: host namespaces, privileged, read-only root
filesystem, host process and volume types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from guardrails.dialects.gatekeeper.fastpaths.common import NativeFn, is_update, params, pod_containers
from guardrails.lang import opa
from guardrails.lang.opa import UNDEFINED, fmt, get, items, truthy


def _host_namespace(parameters: Any) -> NativeFn:
    def check(review: Mapping[str, Any]) -> list[str]:
        obj = get(review, "object")
        name = get(obj, "metadata", "name")
        if is_update(review) or name is UNDEFINED:
            return []
        if truthy(get(obj, "spec", "hostPID")) or truthy(get(obj, "spec", "hostIPC")):
            return [f"Sharing the host namespace is not allowed: {fmt(name)}"]
        return []

    return check


def _container_rule(message: Callable[[Any], str | None]) -> Callable[[Any], NativeFn]:
    """PSP templates judging each container (not exempt) on its own, skipping UPDATE."""

    def build(parameters: Any) -> NativeFn:
        p = params(parameters)

        def check(review: Mapping[str, Any]) -> list[str]:
            if is_update(review):
                return []
            out = []
            for c in pod_containers(review):
                if opa.is_exempt(c, p):
                    continue
                m = message(c)
                if m is not None:
                    out.append(m)
            return list(dict.fromkeys(out))

        return check

    return build


def _privileged(c: Any) -> str | None:
    name, sc = get(c, "name"), get(c, "securityContext")
    if name is UNDEFINED or not truthy(get(sc, "privileged")):
        return None
    return f"Privileged container is not allowed: {fmt(name)}, securityContext: {fmt(sc)}"


def _read_only_root(c: Any) -> str | None:
    name = get(c, "name")
    if name is UNDEFINED or get(c, "securityContext", "readOnlyRootFilesystem") is True:
        return None
    return f"only read-only root filesystem container is allowed: {fmt(name)}"


def _host_process_container(c: Any) -> str | None:
    name = get(c, "name")
    if name is UNDEFINED or get(c, "securityContext", "windowsOptions", "hostProcess") is not True:
        return None
    return f"HostProcess container is not allowed: {fmt(name)}, securityContext.windowsOptions.hostProcess: true"


def _host_process(parameters: Any) -> NativeFn:
    containers = _container_rule(_host_process_container)(parameters)

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        name = get(review, "object", "metadata", "name")
        pod_level = get(review, "object", "spec", "securityContext", "windowsOptions", "hostProcess")
        if not is_update(review) and pod_level is True and name is not UNDEFINED:
            out.append(f"HostProcess is not allowed at pod level: {fmt(name)}")
        return out + list(containers(review))

    return check


def _volume_types(parameters: Any) -> NativeFn:
    allowed = params(parameters).get("volumes", UNDEFINED)
    allowed_set = list(items(allowed))

    def check(review: Mapping[str, Any]) -> list[str]:
        name = get(review, "object", "metadata", "name")
        if is_update(review) or name is UNDEFINED or allowed is UNDEFINED or "*" in allowed_set:
            return []
        fields: set[str] = set()
        for vol in items(get(review, "object", "spec", "volumes")):
            if isinstance(vol, Mapping):
                fields.update(k for k, v in vol.items() if k != "name" and truthy(v))
        return [
            f"The volume type {fmt(f)} is not allowed, pod: {fmt(name)}. Allowed volume types: {fmt(allowed)}"
            for f in sorted(fields)
            if f not in allowed_set
        ]

    return check
