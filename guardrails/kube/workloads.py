"""Where the pod spec lives in Pod and the seven pod controllers, and every container in it.

This is the one walker checks use, so each check looks at one container at a time and reports
a path that points into the real object, whatever kind it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from guardrails.model import FieldPath, Origin, Resource

__all__ = [
    "CONTAINER_FIELDS",
    "POD_CONTROLLERS",
    "iter_containers",
    "pod_spec",
    "pod_template_path",
    "pod_view",
]

CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")

# kind -> path of the pod template (metadata + spec) in that kind's object.
_TEMPLATE_PATHS: dict[str, FieldPath] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
POD_CONTROLLERS = frozenset(_TEMPLATE_PATHS)

# Terraform container workloads whose JSON-string container definitions the Terraform source
# decodes in place (sources.terraform_k8s): kind -> path of the container list, or of the one
# container. Their containers have `image` and a Kubernetes-style `resources` view.
_EMBEDDED_CONTAINERS: dict[str, FieldPath] = {
    "aws_ecs_task_definition": ("spec", "container_definitions"),
    "aws_batch_job_definition": ("spec", "container_properties"),
    "aws_lambda_function": ("spec", "containers"),
    "aws_apprunner_service": ("spec", "containers"),
}


def pod_template_path(kind: str) -> FieldPath | None:
    """Path of the pod template for a controller kind; () for Pod itself; None otherwise."""
    if kind == "Pod":
        return ()
    return _TEMPLATE_PATHS.get(kind)


def _at(obj: Any, path: FieldPath) -> Any:
    cur = obj
    for step in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(step)
    return cur


def pod_spec(obj: Mapping[str, Any]) -> tuple[Mapping[str, Any], FieldPath] | None:
    """The pod spec of a Pod or pod controller and its path, or None for other kinds."""
    kind = obj.get("kind")
    base = pod_template_path(kind) if isinstance(kind, str) else None
    if base is None:
        return None
    spec = _at(obj, (*base, "spec"))
    if not isinstance(spec, Mapping):
        return None
    return spec, (*base, "spec")


def iter_containers(obj: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], FieldPath, str]]:
    """Yield (container, path, field) for every container, init and ephemeral container."""
    found = pod_spec(obj)
    if found is None:
        kind = obj.get("kind")
        base = _EMBEDDED_CONTAINERS.get(kind) if isinstance(kind, str) else None
        items = _at(obj, base) if base else None
        if isinstance(items, Mapping):
            yield items, base or (), "containers"
        elif isinstance(items, list):
            for i, c in enumerate(items):
                if isinstance(c, Mapping):
                    yield c, (*(base or ()), i), "containers"
        return
    spec, base = found
    for field in CONTAINER_FIELDS:
        items = spec.get(field)
        if not isinstance(items, list):
            continue
        for i, c in enumerate(items):
            if isinstance(c, Mapping):
                yield c, (*base, field, i), field


def pod_view(resource: Resource) -> Resource | None:
    """A controller's pod template seen as a Pod, so Pod rules judge it unchanged.

    Namespace comes from the controller. Paths reported against the view get `path_prefix`
    prepended, so they point into the controller's own object.
    """
    base = _TEMPLATE_PATHS.get(resource.kind)
    if base is None:
        return None
    template = _at(resource.obj, base)
    if not isinstance(template, Mapping):
        return None
    meta = template.get("metadata")
    metadata: dict[str, Any] = dict(meta) if isinstance(meta, Mapping) else {}
    if resource.namespace and "namespace" not in metadata:
        metadata["namespace"] = resource.namespace
    if "name" not in metadata and resource.name:
        metadata["name"] = resource.name
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec", {})}
    prefix = (*resource.path_prefix, *base)
    unknown = frozenset(p[len(base):] for p in resource.unknown if p[: len(base)] == base)
    origin: Origin = resource.origin
    return Resource(
        obj=pod,
        origin=origin,
        path_prefix=prefix,
        unknown=unknown,
        old_obj=None,
        request=resource.request,
        namespace_labels=resource.namespace_labels,
    )
