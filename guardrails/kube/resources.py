"""Resources as the API server names them: kind <-> resource (plural) for the built-in types and
for custom resources from their CRDs, and the `matchConstraints`/`matchResources` block of
ValidatingAdmissionPolicy (and of Kyverno's ValidatingPolicy, which copies it): resourceRules,
excludeResourceRules, namespace and object selectors, matchPolicy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails.kube import selectors

__all__ = ["BUILTIN", "Crds", "Request", "compile_match_resources", "resource_of"]

# kind -> (group, resource, namespaced), the built-in types a policy can name.
BUILTIN: dict[str, tuple[str, str, bool]] = {
    "Pod": ("", "pods", True), "Service": ("", "services", True), "ConfigMap": ("", "configmaps", True),
    "Secret": ("", "secrets", True), "Namespace": ("", "namespaces", False), "Node": ("", "nodes", False),
    "PersistentVolume": ("", "persistentvolumes", False),
    "PersistentVolumeClaim": ("", "persistentvolumeclaims", True),
    "ServiceAccount": ("", "serviceaccounts", True), "Endpoints": ("", "endpoints", True),
    "Event": ("", "events", True), "LimitRange": ("", "limitranges", True),
    "ResourceQuota": ("", "resourcequotas", True), "ReplicationController": ("", "replicationcontrollers", True),
    "PodTemplate": ("", "podtemplates", True), "Binding": ("", "bindings", True),
    "Deployment": ("apps", "deployments", True), "StatefulSet": ("apps", "statefulsets", True),
    "DaemonSet": ("apps", "daemonsets", True), "ReplicaSet": ("apps", "replicasets", True),
    "ControllerRevision": ("apps", "controllerrevisions", True),
    "Job": ("batch", "jobs", True), "CronJob": ("batch", "cronjobs", True),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers", True),
    "Ingress": ("networking.k8s.io", "ingresses", True), "IngressClass": ("networking.k8s.io", "ingressclasses", False),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies", True),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets", True),
    "PodSecurityPolicy": ("policy", "podsecuritypolicies", False),
    "Role": ("rbac.authorization.k8s.io", "roles", True), "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings", True),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "clusterrolebindings", False),
    "StorageClass": ("storage.k8s.io", "storageclasses", False), "CSIDriver": ("storage.k8s.io", "csidrivers", False),
    "VolumeAttachment": ("storage.k8s.io", "volumeattachments", False),
    "PriorityClass": ("scheduling.k8s.io", "priorityclasses", False),
    "RuntimeClass": ("node.k8s.io", "runtimeclasses", False),
    "CustomResourceDefinition": ("apiextensions.k8s.io", "customresourcedefinitions", False),
    "ValidatingAdmissionPolicy": ("admissionregistration.k8s.io", "validatingadmissionpolicies", False),
    "ValidatingAdmissionPolicyBinding": ("admissionregistration.k8s.io", "validatingadmissionpolicybindings", False),
    "ValidatingWebhookConfiguration": ("admissionregistration.k8s.io", "validatingwebhookconfigurations", False),
    "MutatingWebhookConfiguration": ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", False),
    "CertificateSigningRequest": ("certificates.k8s.io", "certificatesigningrequests", False),
    "Lease": ("coordination.k8s.io", "leases", True), "EndpointSlice": ("discovery.k8s.io", "endpointslices", True),
    "APIService": ("apiregistration.k8s.io", "apiservices", False),
    "FlowSchema": ("flowcontrol.apiserver.k8s.io", "flowschemas", False),
}

# Groups whose kinds moved: matchPolicy Equivalent treats them as one (the API server's
# equivalent-resource mapping for the types that moved out of extensions).
_EQUIVALENT_GROUPS = {"extensions": {"apps", "networking.k8s.io", "policy"}}


@dataclasses.dataclass
class Crds:
    """kind -> (group, plural, namespaced) learnt from CustomResourceDefinitions scanned or loaded."""

    kinds: dict[tuple[str, str], tuple[str, bool]] = dataclasses.field(default_factory=dict)

    def add(self, crd: Mapping[str, Any]) -> None:
        spec = crd.get("spec") if isinstance(crd.get("spec"), Mapping) else {}
        assert isinstance(spec, Mapping)
        names = spec.get("names") if isinstance(spec.get("names"), Mapping) else {}
        assert isinstance(names, Mapping)
        if isinstance(names.get("kind"), str) and isinstance(names.get("plural"), str):
            self.kinds[(str(spec.get("group", "")), names["kind"])] = (names["plural"], spec.get("scope") != "Cluster")


def _plural(kind: str) -> str:
    low = kind.lower()
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    if low.endswith("y") and low[-2:-1] not in "aeiou":
        return low[:-1] + "ies"
    return low + "s"


def resource_of(group: str, kind: str, crds: Crds | None = None) -> tuple[str, bool]:
    """(resource, namespaced) for a kind: the built-in table, a CRD, else the API server's
    default plural (lower-case kind + s)."""
    if crds is not None and (group, kind) in crds.kinds:
        return crds.kinds[(group, kind)]
    found = BUILTIN.get(kind)
    if found is not None and (found[0] == group or group in _EQUIVALENT_GROUPS):
        return found[1], found[2]
    return _plural(kind), True


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """What a match block looks at, for one admission request (or one scanned object)."""

    group: str
    version: str
    kind: str
    resource: str
    subresource: str
    namespaced: bool
    name: str
    namespace: str
    operation: str
    labels: Mapping[str, Any]
    old_labels: Mapping[str, Any] | None
    namespace_labels: Mapping[str, Any] | None  # None: not known (a scan without the Namespace)


def _rule(raw: Mapping[str, Any]) -> Callable[[Request, bool], bool]:
    groups = [str(g) for g in raw.get("apiGroups") or ()]
    versions = [str(v) for v in raw.get("apiVersions") or ()]
    resources = [str(r) for r in raw.get("resources") or ()]
    operations = [str(o) for o in raw.get("operations") or ()]
    names = {str(n) for n in raw.get("resourceNames") or ()}
    scope = str(raw.get("scope") or "*")

    def resource_ok(req: Request) -> bool:
        for r in resources:
            res, _, sub = r.partition("/")
            if res not in ("*", req.resource):
                continue
            if sub == "*" or sub == req.subresource or (not sub and not req.subresource):
                return True
        return False

    def matches(req: Request, equivalent: bool) -> bool:
        if not any(o in ("*", req.operation) for o in operations):
            return False
        if not resource_ok(req):
            return False
        group_ok = any(g in ("*", req.group) for g in groups)
        version_ok = any(v in ("*", req.version) for v in versions)
        if not (group_ok and version_ok):
            # Equivalent: the same resource under another version (or a group it moved from)
            # is matched and converted by the API server.
            if not equivalent:
                return False
            alt = {req.group} | _EQUIVALENT_GROUPS.get(req.group, set())
            if not any(g == "*" or g in alt for g in groups):
                return False
        if scope == "Namespaced" and not req.namespaced:
            return False
        if scope == "Cluster" and req.namespaced:
            return False
        return not names or req.name in names

    return matches


def compile_match_resources(block: Mapping[str, Any] | None, *, require_rules: bool) -> Callable[[Request], bool]:
    """A `matchConstraints` (require_rules: a request must be selected by a resourceRule) or a
    binding's `matchResources` (no resourceRules: every request the policy matched)."""
    block = block if isinstance(block, Mapping) else {}
    rules = [_rule(r) for r in block.get("resourceRules") or () if isinstance(r, Mapping)]
    excludes = [_rule(r) for r in block.get("excludeResourceRules") or () if isinstance(r, Mapping)]
    equivalent = str(block.get("matchPolicy") or "Equivalent") == "Equivalent"
    ns_sel = block.get("namespaceSelector")
    ns_ok = selectors.compile_label_selector(ns_sel) if isinstance(ns_sel, Mapping) and ns_sel else None
    obj_sel = block.get("objectSelector")
    obj_ok = selectors.compile_label_selector(obj_sel) if isinstance(obj_sel, Mapping) and obj_sel else None

    def matches(req: Request) -> bool:
        if rules:
            if not any(r(req, equivalent) for r in rules):
                return False
        elif require_rules:
            return False
        if any(r(req, equivalent) for r in excludes):
            return False
        if ns_ok is not None:
            # Cluster-scoped objects are not in a namespace: the selector does not apply,
            # except to a Namespace, which it judges by its own labels.
            if req.kind == "Namespace" and req.group == "":
                if not ns_ok(req.labels):
                    return False
            elif req.namespaced and req.namespace_labels is not None and not ns_ok(req.namespace_labels):
                return False
        return obj_ok is None or obj_ok(req.labels) or (req.old_labels is not None and obj_ok(req.old_labels))

    return matches


def request_of(obj: Mapping[str, Any], old: Mapping[str, Any] | None, operation: str, *,
               subresource: str = "", namespace_labels: Mapping[str, Any] | None = None,
               crds: Crds | None = None) -> Request:
    subject = obj if obj else (old or {})
    api = str(subject.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    kind = str(subject.get("kind", ""))
    resource, namespaced = resource_of(group, kind, crds)
    meta = subject.get("metadata") if isinstance(subject.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    old_meta = (old or {}).get("metadata") if old else None
    old_labels = old_meta.get("labels") if isinstance(old_meta, Mapping) and isinstance(old_meta.get("labels"), Mapping) else None
    return Request(group, version, kind, resource, subresource, namespaced,
                   str(meta.get("name") or ""), str(meta.get("namespace") or ""), operation,
                   labels or {}, old_labels if old is not None else None, namespace_labels)


def kinds_of_rules(rules: Sequence[Mapping[str, Any]], crds: Crds | None = None) -> frozenset[str] | None:
    """The plain kinds a set of resourceRules can select (for the engine's prefilter), or None
    when a rule names `*` or a resource this table cannot name."""
    by_resource: dict[str, set[str]] = {}
    for kind, (_, res, _) in BUILTIN.items():
        by_resource.setdefault(res, set()).add(kind)
    if crds is not None:
        for (_, kind), (res, _) in crds.kinds.items():
            by_resource.setdefault(res, set()).add(kind)
    out: set[str] = set()
    for r in rules:
        for res in r.get("resources") or ():
            base = str(res).partition("/")[0]
            if base == "*" or base not in by_resource:
                return None
            out |= by_resource[base]
    return frozenset(out)
