"""Terraform attribute values -> the shapes rules already know.

`kubernetes_*` workloads become the Kubernetes objects they create: snake_case names turn
camelCase, Terraform's one-element block lists become objects (`security_context = [{...}]` is
`securityContext: {...}`), singular repeated blocks become Kubernetes' plural lists
(`container` -> `containers`, `port` -> `ports`), unset values (null, "", []) are dropped, and
map attributes (labels, annotations, limits) keep their keys. Kubernetes rules then apply
unchanged. `after_unknown` paths follow the same mapping.

Container definitions that Terraform holds as JSON strings (`aws_ecs_task_definition`,
`aws_batch_job_definition`) are decoded in place, and each container gains a Kubernetes-style
`resources` view (see `_ecs_resources`) so the `images` and `resources` checks read them.
Image-based Lambda functions and App Runner services get a `containers: [{name, image}]` view.
IAM policy documents (`policy` of aws_iam_policy and the inline role/user/group policies) are
decoded, with `Statement`, `Action` and `Resource` always lists.
"""

from __future__ import annotations

import decimal
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from guardrails.model import FieldPath

__all__ = ["KINDS", "decode_embedded", "to_kubernetes", "unknown_paths"]

KINDS: dict[str, tuple[str, str]] = {}
for _names, _api, _kind in (
    (("kubernetes_deployment", "kubernetes_deployment_v1"), "apps/v1", "Deployment"),
    (("kubernetes_stateful_set", "kubernetes_stateful_set_v1"), "apps/v1", "StatefulSet"),
    (("kubernetes_daemonset", "kubernetes_daemon_set", "kubernetes_daemon_set_v1"), "apps/v1", "DaemonSet"),
    (("kubernetes_job", "kubernetes_job_v1"), "batch/v1", "Job"),
    (("kubernetes_cron_job",), "batch/v1beta1", "CronJob"),
    (("kubernetes_cron_job_v1",), "batch/v1", "CronJob"),
    (("kubernetes_pod", "kubernetes_pod_v1"), "v1", "Pod"),
    (
        ("kubernetes_replication_controller", "kubernetes_replication_controller_v1"),
        "v1",
        "ReplicationController",
    ),
    (("kubernetes_service", "kubernetes_service_v1"), "v1", "Service"),
    (("kubernetes_namespace", "kubernetes_namespace_v1"), "v1", "Namespace"),
):
    for _n in _names:
        KINDS[_n] = (_api, _kind)

# Repeated Terraform block (singular) -> Kubernetes list field (plural).
_BLOCK_RENAMES = {
    "container": "containers",
    "init_container": "initContainers",
    "volume": "volumes",
    "volume_mount": "volumeMounts",
    "volume_device": "volumeDevices",
    "port": "ports",
    "toleration": "tolerations",
    "topology_spread_constraint": "topologySpreadConstraints",
    "readiness_gate": "readinessGates",
    "sysctl": "sysctls",
    "option": "options",
    "volume_claim_template": "volumeClaimTemplates",
    "http_header": "httpHeaders",
    "node_selector_term": "nodeSelectorTerms",
}
# Attributes whose Kubernetes name is more than camelCase.
_RENAMES = {
    "host_pid": "hostPID",
    "host_ipc": "hostIPC",
    "host_ip": "hostIP",
    "cluster_ip": "clusterIP",
    "cluster_ips": "clusterIPs",
    "external_ips": "externalIPs",
    "load_balancer_ip": "loadBalancerIP",
}

# Kubernetes fields that are lists of objects; every other block list holds one object.
_LISTS = frozenset(
    {
        "containers",
        "initContainers",
        "volumes",
        "volumeMounts",
        "volumeDevices",
        "ports",
        "env",
        "envFrom",
        "tolerations",
        "hostAliases",
        "imagePullSecrets",
        "topologySpreadConstraints",
        "readinessGates",
        "sysctls",
        "options",
        "volumeClaimTemplates",
        "httpHeaders",
        "items",
        "nodeSelectorTerms",
        "matchExpressions",
        "matchFields",
        "preferredDuringSchedulingIgnoredDuringExecution",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "ingress",
        "egress",
        "from",
        "to",
    }
)

# Strings in the Terraform schema that are integers in Kubernetes.
_INTEGERS = frozenset({"replicas", "runAsUser", "runAsGroup", "fsGroup"})

_CAMEL = re.compile(r"_([a-z0-9])")


# Blocks where `port` is a scalar (the probe's target), not the repeated `port` block.
_SCALAR_PORT_PARENTS = frozenset({"httpGet", "tcpSocket", "grpc"})


@functools.lru_cache(maxsize=1024)
def _field(name: str, block: bool) -> str:
    if block and name in _BLOCK_RENAMES:
        return _BLOCK_RENAMES[name]
    return _RENAMES.get(name) or _CAMEL.sub(lambda m: m.group(1).upper(), name)


class _Mapper:
    """One resource's values and after_unknown tree, walked together."""

    def __init__(self) -> None:
        # A list, in walk order: a block's unknowns are the tail added while walking it, so a
        # MaxItems=1 block re-prefixes only those (a set would be rescanned for every block).
        self.unknown: list[FieldPath] = []

    def block(self, value: Any, unk: Any, path: FieldPath, parent: str = "") -> dict[str, Any]:
        """A Terraform block (an object) -> a Kubernetes object, recording unknown fields."""
        out: dict[str, Any] = {}
        values = value if isinstance(value, dict) else {}
        unks = unk if isinstance(unk, dict) else {}
        for key in dict.fromkeys([*values, *unks]):
            v = values.get(key)
            name = _field(key, isinstance(v, list) or (v is None and parent not in _SCALAR_PORT_PARENTS))
            if parent == "nodeAffinity" and name == "requiredDuringSchedulingIgnoredDuringExecution":
                is_list = False
            else:
                is_list = name in _LISTS
            sub = self.value(v, unks.get(key), (*path, name), name, is_list)
            if sub is not _DROP:
                out[name] = sub
        return out

    def value(self, v: Any, u: Any, path: FieldPath, name: str, is_list: bool) -> Any:
        if u is True:
            self.unknown.append(path)
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            us = u if isinstance(u, list) else []
            mark = len(self.unknown)
            items = [self.block(x, us[i] if i < len(us) else None, (*path, i), name) for i, x in enumerate(v)]
            if is_list:
                return items
            # Terraform's MaxItems=1 blocks: the object itself, and its unknowns without the index.
            if len(items) == 1:
                cut = len(path) + 1  # every unknown added since `mark` is under (*path, 0)
                unknown = self.unknown
                for i in range(mark, len(unknown)):
                    unknown[i] = (*path, *unknown[i][cut:])
                return items[0]
            return items
        if isinstance(v, dict):  # a map attribute: keys are data (label keys, resource names)
            if isinstance(u, dict):
                self.unknown.extend((*path, k) for k, x in u.items() if x is True)
            return dict(v)
        if v is None or v == "" or v == []:
            return _DROP
        if name in _INTEGERS and isinstance(v, str) and v.lstrip("-").isdigit():
            return int(v)
        return v


_DROP: Any = object()


def to_kubernetes(
    rtype: str, values: Mapping[str, Any], unknown_tree: Any
) -> tuple[dict[str, Any], set[FieldPath]] | None:
    """The Kubernetes object a `kubernetes_*` resource creates, and its unknown paths; None for other types."""
    if rtype == "kubernetes_manifest":
        return _manifest(values, unknown_tree)
    found = KINDS.get(rtype)
    if found is None:
        return None
    api_version, kind = found
    m = _Mapper()
    unk = unknown_tree if isinstance(unknown_tree, Mapping) else {}
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    for top in ("metadata", "spec"):
        sub = m.value(values.get(top), unk.get(top), (top,), top, False)
        if sub is not _DROP:
            obj[top] = sub
    obj.setdefault("metadata", {})
    return obj, set(m.unknown)


def _manifest(values: Mapping[str, Any], unknown_tree: Any) -> tuple[dict[str, Any], set[FieldPath]] | None:
    """`kubernetes_manifest` carries the object itself in `manifest`."""
    manifest = values.get("manifest")
    if not isinstance(manifest, Mapping):
        return None
    unk = unknown_tree.get("manifest") if isinstance(unknown_tree, Mapping) else None
    return dict(manifest), set(unknown_paths(unk))


def decode_embedded(rtype: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes as rules see them: null (unset) attributes left out, as Kubernetes leaves
    out unset fields, so `=(acl)` anchors read "not set"; JSON-string container definitions decoded."""
    spec = _without_nulls(values)
    if rtype == "aws_ecs_task_definition":
        containers = _json(spec.get("container_definitions"))
        if isinstance(containers, list):
            spec["container_definitions"] = [_with_resources(c, _ecs_resources(c)) for c in containers]
    elif rtype == "aws_batch_job_definition":
        container = _json(spec.get("container_properties"))
        if isinstance(container, Mapping):
            spec["container_properties"] = _with_resources(container, _batch_resources(container))
    elif rtype in _IAM_POLICIES:
        document = _policy_document(spec.get("policy"))
        if document is not None:
            spec["policy"] = document
    elif rtype in _IMAGE_ATTRIBUTES and "containers" not in spec:
        name_attr, image_path = _IMAGE_ATTRIBUTES[rtype]
        image = _at(spec, image_path)
        if isinstance(image, str) and image:
            spec["containers"] = [{"name": spec.get(name_attr) or rtype, "image": image}]
    return spec


# IAM policy resources whose `policy` is a JSON document (as a string in the plan).
_IAM_POLICIES = frozenset({"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"})
# IAM's "one value or a list" elements, always lists in the view so rules read one shape.
_IAM_LISTS = ("Action", "NotAction", "Resource", "NotResource")


def _policy_document(text: Any) -> dict[str, Any] | None:
    """An IAM policy JSON string -> the document, `Statement` and its Action/Resource as lists.

    Not JSON (or not an object): None, and the string stays for rules that read it as text."""
    document = _json(text)
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        document["Statement"] = [
            {k: [v] if k in _IAM_LISTS and isinstance(v, str) else v for k, v in st.items()} if isinstance(st, dict) else st
            for st in statements
        ]
    return document


# Services that run one image without container definitions: (name attribute, image path).
# They get a `containers: [{name, image}]` view so the `images` check judges them too.
_IMAGE_ATTRIBUTES: dict[str, tuple[str, tuple[str | int, ...]]] = {
    "aws_lambda_function": ("function_name", ("image_uri",)),
    "aws_apprunner_service": ("service_name", ("source_configuration", 0, "image_repository", 0, "image_identifier")),
}


def _at(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _without_nulls(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, dict):
            v = _without_nulls(v)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            v = [_without_nulls(x) if isinstance(x, dict) else x for x in v]
        out[k] = v
    return out


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None  # left as the string: a rule can still match it as text


def _with_resources(container: Any, resources: dict[str, dict[str, str]]) -> Any:
    if not isinstance(container, Mapping) or "resources" in container:
        return container
    return {**container, "resources": resources}


def _number(v: Any) -> decimal.Decimal | None:
    try:
        d = decimal.Decimal(str(v))
    except (decimal.InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and d > 0 else None


def _ecs_resources(c: Any) -> dict[str, dict[str, str]]:
    """ECS container sizes as Kubernetes quantities.

    `cpu` units (1024 = one vCPU) are a guaranteed share: a request, never a cap on Linux.
    `memory` (MiB) is the hard limit; `memoryReservation` the soft one, else `memory`.
    """
    out: dict[str, dict[str, str]] = {}
    if not isinstance(c, Mapping):
        return out
    cpu, memory, reservation = (
        _number(c.get("cpu")),
        _number(c.get("memory")),
        _number(c.get("memoryReservation")),
    )
    if cpu is not None:
        out.setdefault("requests", {})["cpu"] = _plain(cpu / 1024)
    if memory is not None:
        out.setdefault("limits", {})["memory"] = f"{_plain(memory)}Mi"
    if reservation is not None or memory is not None:
        out.setdefault("requests", {})["memory"] = f"{_plain(reservation or memory or decimal.Decimal(0))}Mi"
    return out


def _batch_resources(c: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Batch `vcpus`/`memory` (or `resourceRequirements`): vCPUs requested, memory MiB as a hard limit."""
    vcpus, memory = _number(c.get("vcpus")), _number(c.get("memory"))
    for req in c.get("resourceRequirements") or ():
        if isinstance(req, Mapping) and req.get("type") == "VCPU":
            vcpus = _number(req.get("value"))
        elif isinstance(req, Mapping) and req.get("type") == "MEMORY":
            memory = _number(req.get("value"))
    out: dict[str, dict[str, str]] = {}
    if vcpus is not None:
        out["requests"] = {"cpu": _plain(vcpus)}
    if memory is not None:
        out.setdefault("requests", {})["memory"] = f"{_plain(memory)}Mi"
        out["limits"] = {"memory": f"{_plain(memory)}Mi"}
    return out


def _plain(d: decimal.Decimal) -> str:
    return format(d.normalize(), "f")


def unknown_paths(tree: Any, prefix: FieldPath = ()) -> list[FieldPath]:
    """Field paths whose value is known only after apply, from an `after_unknown` tree."""
    out: list[FieldPath] = []
    if tree is True:
        out.append(prefix)
    elif tree:
        _collect(tree, prefix, out)
    return out


def _collect(tree: Any, prefix: FieldPath, out: list[FieldPath]) -> None:
    # after_unknown is parsed JSON (dicts and lists); most of it is False or empty.
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for k, v in items:
        if v is True:
            out.append((*prefix, k))
        elif v and isinstance(v, (dict, list)):
            _collect(v, (*prefix, k), out)
