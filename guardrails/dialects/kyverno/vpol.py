"""Kyverno's CEL policies: `ValidatingPolicy` and `NamespacedValidatingPolicy`
(policies.kyverno.io v1alpha1, v1beta1, v1), on the one CEL runtime with Kubernetes' and
Kyverno's libraries (guardrails.lang.cel_kyverno).

The body is a ValidatingAdmissionPolicy's (matchConstraints, matchConditions, variables,
validations, auditAnnotations, failurePolicy), with `validationActions` on the policy itself.
Autogen: a policy whose matchConstraints is exactly one resourceRule for core v1 `pods` (no
objectSelector, excludeResourceRules or resourceNames) also judges the pod templates of
Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs and CronJobs (Kyverno rewrites
`object.spec` to the template's; judging the template as a Pod is the same);
`spec.autogen.podControllers.controllers` replaces that set, and an empty list turns it off.
A NamespacedValidatingPolicy applies only in its own namespace. Payload modes (`evaluation.mode`
JSON, Envoy, HTTP) judge non-Kubernetes input (`judge_payload`: a JSON document, an Envoy
CheckRequest, an HTTP CheckRequest, as `object`) and are a visible skip on Kubernetes objects:
JSON validations hold or not as on an object; Envoy and HTTP validations answer the request
(guardrails.lang.cel_authz), the first non-null answer deciding.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.kube import resources as kres
from guardrails.lang import cel, cel_authz, cel_kyverno, cel_policy
from guardrails.model import Action, Resource

__all__ = ["AUTOGEN_CONTROLLERS", "NAMES", "ValidatingPolicy", "compile_validating_policy"]

AUTOGEN_CONTROLLERS = ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob")
_TEMPLATE: dict[str, tuple[str, ...]] = {k: ("spec", "template") for k in AUTOGEN_CONTROLLERS}
_TEMPLATE["CronJob"] = ("spec", "jobTemplate", "spec", "template")
_ACTIONS = {"Deny": Action.DENY, "Warn": Action.WARN, "Audit": Action.AUDIT}


NAMES = (*cel_policy.BASE_NAMES, *cel_kyverno.NAMES)
PAYLOAD_MODES = ("JSON", "Envoy", "HTTP")
_AUTHZ = ("Envoy", "HTTP")


class VpolError(cel.CelError):
    pass


@dataclasses.dataclass(frozen=True)
class ValidatingPolicy:
    name: str
    kind: str
    namespace: str  # a NamespacedValidatingPolicy's own namespace
    selects: Any  # Callable[[kres.Request], bool]
    body: cel_policy.CelPolicy
    actions: tuple[Action, ...]
    controllers: frozenset[str]
    kinds: frozenset[str] | None
    mode: str
    annotations: Mapping[str, Any]

    @property
    def action(self) -> Action:
        for a in (Action.DENY, Action.WARN, Action.AUDIT):
            if a in self.actions:
                return a
        return Action.AUDIT

    def request(self, resource: Resource) -> tuple[kres.Request, Mapping[str, Any] | None, Mapping[str, Any] | None]:
        """(request, object, oldObject) as the policy sees the resource: a controller's pod
        template as a Pod when autogen covers its kind."""
        op = resource.operation
        obj = None if op == "DELETE" else resource.obj
        old = resource.old_obj if resource.old_obj is not None else (resource.obj if op in ("UPDATE", "DELETE") else None)
        kind = (obj or old or {}).get("kind")
        if kind in self.controllers:
            obj, old = _template(obj, str(kind)), _template(old, str(kind))
        sub = str((resource.request or {}).get("subResource") or "")
        req = kres.request_of(obj or {}, old, op, subresource=sub, namespace_labels=resource.namespace_labels)
        if kind in self.controllers and not (obj or old):
            req = dataclasses.replace(req, kind="")
        return req, obj, old

    def outcome(self, resource: Resource, hooks: Mapping[str, Any] | None = None,
                namespace_object: Mapping[str, Any] | None = None) -> cel_policy.Outcome | None:
        """None when the policy does not select the resource."""
        req, obj, old = self.request(resource)
        if not req.kind or not self.selects(req):
            return None
        if self.kind == "NamespacedValidatingPolicy" and req.namespace != self.namespace:
            return None
        if self.mode != "Kubernetes":
            return cel_policy.Outcome("skip", (f"evaluation.mode {self.mode} judges {self.mode} payloads, not "
                                               "Kubernetes objects",))
        unjudged = self.body.no_requester(resource.request)
        if unjudged is not None:
            return unjudged
        data = cel_policy.admission_data(obj, old, operation=req.operation, group=req.group, version=req.version,
                                         kind=req.kind, resource=req.resource, subresource=req.subresource,
                                         request=resource.request, namespace_labels=resource.namespace_labels,
                                         namespace_object=namespace_object)
        for name in cel_kyverno.NAMES:
            data[name] = {}
        return self.body.evaluate(data, hooks=hooks or {})

    def judge_payload(self, payload: Any, hooks: Mapping[str, Any] | None = None) -> cel_policy.Outcome:
        """The policy's answer on one payload of its mode (the caller picks the mode's payloads)."""
        data: dict[str, Any] = {"object": payload, "oldObject": None, "request": None, "params": None,
                                "namespaceObject": None, "authorizer": None}
        for name in (*cel_kyverno.NAMES, *(cel_authz.NAMES if self.mode in _AUTHZ else ())):
            data[name] = {}
        return self.body.evaluate(data, hooks=hooks or {}, answers=self.mode in _AUTHZ)


def _template(obj: Mapping[str, Any] | None, kind: str) -> dict[str, Any] | None:
    if obj is None:
        return None
    cur: Any = obj
    for p in _TEMPLATE[kind]:
        cur = cur.get(p) if isinstance(cur, Mapping) else None
    if not isinstance(cur, Mapping):
        cur = {}
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod"}
    meta = dict(cur["metadata"]) if isinstance(cur.get("metadata"), Mapping) else {}
    ns = (obj.get("metadata") or {}).get("namespace") if isinstance(obj.get("metadata"), Mapping) else None
    if ns and "namespace" not in meta:
        meta["namespace"] = ns
    pod["metadata"] = meta
    if "spec" in cur:
        pod["spec"] = cur["spec"]
    return pod


def _controllers(spec: Mapping[str, Any], constraints: Mapping[str, Any]) -> frozenset[str]:
    auto = spec.get("autogen")
    pcs = auto.get("podControllers") if isinstance(auto, Mapping) else None
    if isinstance(pcs, Mapping) and isinstance(pcs.get("controllers"), list):
        return frozenset(str(c) for c in pcs["controllers"] if str(c) in _TEMPLATE)
    rules = constraints.get("resourceRules") or []
    if len(rules) != 1 or not isinstance(rules[0], Mapping):
        return frozenset()
    r = rules[0]
    if constraints.get("objectSelector") or constraints.get("excludeResourceRules") or r.get("resourceNames"):
        return frozenset()
    if list(r.get("resources") or ()) != ["pods"] or list(r.get("apiGroups") or ()) != [""]:
        return frozenset()
    if not any(v in ("v1", "*") for v in r.get("apiVersions") or ()):
        return frozenset()
    return frozenset(AUTOGEN_CONTROLLERS)


def compile_validating_policy(doc: Mapping[str, Any]) -> ValidatingPolicy:
    """Raises VpolError (or cel.CelError) with the field path of the problem."""
    kind = str(doc.get("kind", ""))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    name = str(meta.get("name") or "")
    if not name:
        raise VpolError("needs metadata.name", ("metadata",))
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        raise VpolError("needs a spec", ("spec",))
    evaluation = spec.get("evaluation") if isinstance(spec.get("evaluation"), Mapping) else {}
    assert isinstance(evaluation, Mapping)
    mode = str(evaluation.get("mode") or "Kubernetes")
    constraints = spec.get("matchConstraints") if isinstance(spec.get("matchConstraints"), Mapping) else {}
    assert isinstance(constraints, Mapping)
    if mode == "Kubernetes" and not constraints.get("resourceRules"):
        raise VpolError("matchConstraints.resourceRules is required", ("spec", "matchConstraints"))
    raw_actions = spec.get("validationActions") or ["Audit"]
    if not isinstance(raw_actions, list) or any(a not in _ACTIONS for a in raw_actions):
        raise VpolError("validationActions must list Deny, Warn or Audit", ("spec", "validationActions"))
    if mode not in ("Kubernetes", *PAYLOAD_MODES):
        raise VpolError(f"evaluation.mode must be Kubernetes, JSON, Envoy or HTTP, not {mode!r}", ("spec", "evaluation", "mode"))
    authz = mode in _AUTHZ
    body = cel_policy.compile_policy_body(spec, (*NAMES, *cel_authz.NAMES) if authz else NAMES,
                                          libraries=("kyverno", "authz") if authz else ("kyverno",))
    controllers = _controllers(spec, constraints)
    rules = [r for r in constraints.get("resourceRules") or () if isinstance(r, Mapping)]
    kinds = kres.kinds_of_rules(rules)
    if kinds is not None and controllers:
        kinds = kinds | controllers
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), Mapping) else {}
    assert isinstance(annotations, Mapping)
    return ValidatingPolicy(
        name=name, kind=kind, namespace=str(meta.get("namespace") or "default"),
        selects=kres.compile_match_resources(constraints, require_rules=True), body=body,
        actions=tuple(_ACTIONS[a] for a in raw_actions), controllers=controllers, kinds=kinds, mode=mode,
        annotations=annotations)


@dataclasses.dataclass(frozen=True, slots=True)
class CelException:
    """A `policies.kyverno.io` PolicyException: it exempts the ValidatingPolicies it names
    (`policyRefs`, by name and kind) from every object on which all its `matchConditions` hold
    (read before the policy's own matchConditions, on object, oldObject, request and
    namespaceObject). An expression that cannot be evaluated exempts nothing."""

    name: str
    policies: frozenset[tuple[str, str]]
    scope: cel.Scope
    conditions: tuple[cel.Program, ...]

    def names(self, policy: ValidatingPolicy) -> bool:
        return (policy.name, policy.kind) in self.policies

    def covers(self, resource: Resource, namespace_object: Mapping[str, Any] | None = None) -> bool:
        op = resource.operation
        obj = None if op == "DELETE" else resource.obj
        old = resource.old_obj if resource.old_obj is not None else (resource.obj if op in ("UPDATE", "DELETE") else None)
        sub = str((resource.request or {}).get("subResource") or "")
        req = kres.request_of(obj or old or {}, old, op, subresource=sub, namespace_labels=resource.namespace_labels)
        data = cel_policy.admission_data(obj, old, operation=req.operation, group=req.group, version=req.version,
                                         kind=req.kind, resource=req.resource, subresource=req.subresource,
                                         request=resource.request, namespace_labels=resource.namespace_labels,
                                         namespace_object=namespace_object)
        for name in cel_kyverno.NAMES:
            data[name] = {}
        try:
            act = self.scope.activation(data)
            return all(p.boolean(act) for p in self.conditions)
        except cel.CelEvalError:
            return False


def compile_exception(doc: Mapping[str, Any]) -> CelException:
    """Raises CelError (with the field's path) for a bad field or expression; a partial exception
    (`images`, `allowedValues`: values the policy's own CEL may allow) is refused, since the
    policy would have to read them."""
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), Mapping) else {}
    assert isinstance(meta, Mapping) and isinstance(spec, Mapping)
    refs = spec.get("policyRefs")
    if not isinstance(refs, list) or not refs:
        raise cel.CelError("policyRefs must list the policies the exception is for", ("spec", "policyRefs"))
    policies: set[tuple[str, str]] = set()
    for i, r in enumerate(refs):
        if not isinstance(r, Mapping) or not r.get("name") or not r.get("kind"):
            raise cel.CelError("a policyRef needs a name and a kind", ("spec", "policyRefs", i))
        policies.add((str(r["name"]), str(r["kind"])))
    for key in ("images", "allowedValues"):
        if spec.get(key):
            raise cel.CelError(f"{key} (values the policy's CEL reads as exceptions.*) is not supported: "
                               "only whole exemptions are applied", ("spec", key))
    raw = spec.get("matchConditions") or []
    if not isinstance(raw, list):
        raise cel.CelError("matchConditions must be a list", ("spec", "matchConditions"))
    scope = cel.Scope(NAMES, [], ("spec", "variables"), libraries=("kyverno",))
    conds = []
    for i, c in enumerate(raw):
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            raise cel.CelError("matchCondition needs a name and an expression", ("spec", "matchConditions", i))
        conds.append(scope.compile(c.get("expression"), ("spec", "matchConditions", i, "expression")))
    return CelException(str(meta.get("name", "")), frozenset(policies), scope, tuple(conds))


def hooks_for(objects: Sequence[Mapping[str, Any]], images: Sequence[Any] = (),
              global_context: Mapping[str, Any] | None = None, http: Sequence[Any] = (),
              now: datetime.datetime | None = None) -> dict[str, Any]:
    """The offline answers of Kyverno's libraries, from what the caller has; `now` is the
    evaluation time time.now() answers (None: policies that read the clock are skipped)."""
    return {"now": now, "resources": list(objects), "images": list(images), "globalContext": dict(global_context or {}),
            "http": list(http)}
