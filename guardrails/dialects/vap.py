"""Kubernetes ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding
(`admissionregistration.k8s.io/v1`, v1beta1 and v1alpha1 accepted), with the API server's
semantics, evaluated by the one CEL runtime (guardrails.lang.cel).

A policy applies where its `matchConstraints` select the request (resources by the name the
API server uses: `deployments`, `pods/status`) and one of its bindings' `matchResources` does;
each binding is one rule (`<policy>/<binding>`) with the binding's `validationActions` as its
action (Deny > Warn > Audit). A policy no binding names is evaluated on its own as if bound with
Deny (as `kyverno test` does), and a load warning says so. Params (`paramKind`, the binding's
`paramRef` by name or selector) are looked up among the objects in the rule files (and a test's
paramResources); none found follows `parameterNotFoundAction` (Deny: an error that denies;
Allow: skip). CRDs in the rule files teach the resource names of custom kinds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails.dialects.context import SHAPE_ERRORS, LoadContext, shape_error
from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.kube import resources as kres
from guardrails.kube import selectors
from guardrails.lang import cel, cel_policy
from guardrails.model import Action, FieldPath, Location, Resource, Status, Violation
from guardrails.rule import CompiledRule

__all__ = ["Binding", "Policy", "compile_document", "finalize", "outcomes"]

GROUP = "admissionregistration.k8s.io"
_VERSIONS = ("v1", "v1beta1", "v1alpha1")
_ALL_OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})
_ACTIONS = {"Deny": Action.DENY, "Warn": Action.WARN, "Audit": Action.AUDIT}

Locate = Callable[[FieldPath], Location]


@dataclasses.dataclass(frozen=True)
class Policy:
    name: str
    selects: Callable[[kres.Request], bool]
    body: cel_policy.CelPolicy
    param_kind: tuple[str, str] | None  # (apiVersion, kind)
    kinds: frozenset[str] | None
    source: Location | None = None


@dataclasses.dataclass(frozen=True)
class Binding:
    name: str
    policy: str
    actions: tuple[Action, ...]
    selects: Callable[[kres.Request], bool]
    param_name: str | None = None
    param_namespace: str | None = None
    param_selector: Callable[[Mapping[str, Any]], bool] | None = None
    param_required: bool = False  # a paramRef was given
    params_not_found_denies: bool = True
    source: Location | None = None
    note: RuleFileError | None = None  # a load warning about this binding

    @property
    def action(self) -> Action:
        for a in (Action.DENY, Action.WARN, Action.AUDIT):
            if a in self.actions:
                return a
        return Action.AUDIT


def _problem(kind: str, name: str, message: str, path: FieldPath, locate: Locate) -> RuleFileError:
    field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    return RuleFileError(f"{kind} {name!r}: {field or '(document)'}: {message}", location=locate(path))


def _name(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    return str(meta.get("name") or "")


def compile_policy(doc: Mapping[str, Any], locate: Locate, crds: kres.Crds | None = None) -> Policy:
    name = _name(doc)
    kind = "ValidatingAdmissionPolicy"
    if not name:
        raise _problem(kind, name, "needs metadata.name", ("metadata",), locate)
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        raise _problem(kind, name, "needs a spec", ("spec",), locate)
    constraints = spec.get("matchConstraints")
    if not isinstance(constraints, Mapping) or not constraints.get("resourceRules"):
        raise _problem(kind, name, "matchConstraints.resourceRules is required", ("spec", "matchConstraints"), locate)
    try:
        body = cel_policy.compile_policy_body(spec, cel_policy.BASE_NAMES)
    except cel.CelError as e:
        raise _problem(kind, name, e.message, e.path, locate) from None
    pk = spec.get("paramKind")
    param_kind = (str(pk.get("apiVersion", "")), str(pk.get("kind", ""))) if isinstance(pk, Mapping) else None
    rules = [r for r in constraints.get("resourceRules") or () if isinstance(r, Mapping)]
    return Policy(name, kres.compile_match_resources(constraints, require_rules=True), body, param_kind,
                  kres.kinds_of_rules(rules, crds), locate(()))


def compile_binding(doc: Mapping[str, Any], locate: Locate) -> Binding:
    name = _name(doc)
    kind = "ValidatingAdmissionPolicyBinding"
    spec = doc.get("spec")
    if not name or not isinstance(spec, Mapping) or not isinstance(spec.get("policyName"), str):
        raise _problem(kind, name, "needs metadata.name and spec.policyName", ("spec",), locate)
    raw_actions = spec.get("validationActions")
    note = None
    if raw_actions is None:
        # The API server requires it; `kyverno test` reads a binding without it as Deny.
        raw_actions = ["Deny"]
        note = _problem(kind, name, "validationActions is required by the API server; read as [Deny]",
                        ("spec",), locate)
    if not isinstance(raw_actions, list) or not raw_actions:
        raise _problem(kind, name, "validationActions must be a non-empty list of Deny, Warn, Audit",
                       ("spec", "validationActions"), locate)
    bad = [a for a in raw_actions if a not in _ACTIONS]
    if bad:
        raise _problem(kind, name, f"unknown validationAction {bad[0]!r}: use Deny, Warn or Audit",
                       ("spec", "validationActions"), locate)
    if "Deny" in raw_actions and "Warn" in raw_actions:
        raise _problem(kind, name, "validationActions may not hold both Deny and Warn", ("spec", "validationActions"), locate)
    ref = spec.get("paramRef")
    pname = pns = None
    psel = None
    not_found_denies = True
    if isinstance(ref, Mapping):
        pname = str(ref["name"]) if ref.get("name") else None
        pns = str(ref["namespace"]) if ref.get("namespace") else None
        if isinstance(ref.get("selector"), Mapping):
            psel = selectors.compile_label_selector(ref["selector"])
        if pname is None and psel is None:
            raise _problem(kind, name, "paramRef needs a name or a selector", ("spec", "paramRef"), locate)
        action = str(ref.get("parameterNotFoundAction") or "Deny")
        if action not in ("Allow", "Deny"):
            raise _problem(kind, name, "parameterNotFoundAction must be Allow or Deny",
                           ("spec", "paramRef", "parameterNotFoundAction"), locate)
        not_found_denies = action == "Deny"
    return Binding(name, spec["policyName"], tuple(_ACTIONS[a] for a in raw_actions),
                   kres.compile_match_resources(spec.get("matchResources"), require_rules=False),
                   pname, pns, psel, isinstance(ref, Mapping), not_found_denies, locate(()), note)


# --- evaluation ----------------------------------------------------------------------------


def _params(policy: Policy, binding: Binding | None, pool: Sequence[Mapping[str, Any]],
            namespace: str) -> list[Any] | str | None:
    """The params objects to evaluate with; a text when none were found and that denies; None
    when none were found and that allows (skip)."""
    if policy.param_kind is None:
        return [None]
    if binding is None or not binding.param_required:
        return "the policy has paramKind but no binding gives a paramRef"
    api, kind = policy.param_kind
    found = []
    for obj in pool:
        if obj.get("kind") != kind or (api and obj.get("apiVersion") != api):
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        assert isinstance(meta, Mapping)
        ns = str(meta.get("namespace") or "")
        want_ns = binding.param_namespace if binding.param_namespace is not None else namespace
        if ns and want_ns and ns != want_ns:
            continue
        if binding.param_name is not None and meta.get("name") != binding.param_name:
            continue
        labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
        if binding.param_selector is not None and not binding.param_selector(labels or {}):
            continue
        found.append(obj)
    if found:
        return found
    if binding.params_not_found_denies:
        return f"no params found for policy binding {binding.name!r} with Deny parameterNotFoundAction"
    return None


def request_for(resource: Resource, crds: kres.Crds | None = None) -> kres.Request:
    op = resource.operation
    obj = None if op == "DELETE" else resource.obj
    old = resource.old_obj if resource.old_obj is not None else (resource.obj if op in ("UPDATE", "DELETE") else None)
    sub = str((resource.request or {}).get("subResource") or "")
    return kres.request_of(obj or {}, old, op, subresource=sub, namespace_labels=resource.namespace_labels, crds=crds)


def outcomes(policy: Policy, binding: Binding | None, resource: Resource, pool: Sequence[Mapping[str, Any]],
             req: kres.Request | None = None) -> list[cel_policy.Outcome] | None:
    """Every outcome of one policy (through one binding, or unbound) on one request; None when
    the policy's matchConstraints do not select it."""
    req = req or request_for(resource)
    if not policy.selects(req):
        return None
    if binding is not None and not binding.selects(req):
        return [cel_policy.Outcome("skip", (f"binding {binding.name!r} does not select the request",))]
    unjudged = policy.body.no_requester(resource.request)
    if unjudged is not None:
        return [unjudged]
    params = _params(policy, binding, pool, req.namespace)
    if params is None:
        return [cel_policy.Outcome("skip", ("no params found; parameterNotFoundAction is Allow",))]
    if isinstance(params, str):
        return [cel_policy.Outcome("error", (params,))]
    op = req.operation
    obj = None if op == "DELETE" else dict(resource.obj)
    old = resource.old_obj if resource.old_obj is not None else (resource.obj if op in ("UPDATE", "DELETE") else None)
    out = []
    for p in params:
        data = cel_policy.admission_data(obj, old, operation=op, group=req.group, version=req.version, kind=req.kind,
                                         resource=req.resource, subresource=req.subresource,
                                         request=resource.request, params=p, namespace_labels=resource.namespace_labels)
        out.append(policy.body.evaluate(data))
    return out


def _violations(found: list[cel_policy.Outcome] | None) -> list[Violation]:
    out: list[Violation] = []
    for o in found or ():
        if o.status == "fail":
            out.extend(Violation(m, ()) for m in o.messages)
        elif o.status == "error":
            out.extend(Violation(m, (), Status.ERROR) for m in o.messages)
        elif o.status == "skip":
            out.extend(Violation(m, (), Status.SKIP, unjudged=o.unjudged) for m in o.messages)
    return out


def to_rule(policy: Policy, binding: Binding | None, pool: Sequence[Mapping[str, Any]],
            crds: kres.Crds | None) -> CompiledRule:
    def selects(resource: Resource) -> bool:
        return policy.selects(request_for(resource, crds))

    def check(resource: Resource) -> list[Violation]:
        return _violations(outcomes(policy, binding, resource, pool, request_for(resource, crds)))

    return CompiledRule(
        name=policy.name if binding is None else f"{policy.name}/{binding.name}",
        check=check,
        match=selects,
        action=Action.DENY if binding is None else binding.action,
        title=policy.name,
        source=binding.source if binding is not None and binding.source is not None else policy.source,
        operations=_ALL_OPERATIONS,
        on_delete=True,
        dialect="vap",
        policy=policy.name,
        unsupported=policy.body.unsupported,
        check_key="validations",
        kinds=policy.kinds,
    )


# --- loading -------------------------------------------------------------------------------


@dataclasses.dataclass
class _State:
    policies: list[tuple[Mapping[str, Any], Locate]] = dataclasses.field(default_factory=list)
    bindings: list[tuple[Mapping[str, Any], Locate]] = dataclasses.field(default_factory=list)


def _state(context: LoadContext) -> _State:
    state = context.state.get(__name__)
    if state is None:
        state = context.state[__name__] = _State()
    assert isinstance(state, _State)
    return state


def compile_document(doc: Mapping[str, Any], *, source: Location, locate: Locate,
                     context: LoadContext) -> list[CompiledRule]:
    api = str(doc.get("apiVersion", ""))
    if api.rpartition("/")[2] not in _VERSIONS:
        raise RuleFileError(f"{api} is not a known version of {GROUP} (use v1; v1beta1 is accepted)", location=source)
    kind = doc.get("kind")
    state = _state(context)
    if kind == "ValidatingAdmissionPolicy":
        state.policies.append((doc, locate))
    elif kind == "ValidatingAdmissionPolicyBinding":
        state.bindings.append((doc, locate))
    else:
        context.warnings.append(RuleFileError(
            f"{api} {kind} {_name(doc)!r} is not a validating policy and was not loaded", location=source))
    return []


def crds_of(objects: Sequence[Any]) -> kres.Crds:
    crds = kres.Crds()
    for o in objects:
        if isinstance(o, Mapping) and o.get("kind") == "CustomResourceDefinition":
            crds.add(o)
    return crds


def build(policies: Sequence[tuple[Mapping[str, Any], Locate]], bindings: Sequence[tuple[Mapping[str, Any], Locate]],
          objects: Sequence[Any]) -> tuple[list[tuple[Policy, list[Binding]]], list[GuardrailsError], list[GuardrailsError]]:
    """Policies with their bindings; (pairs, errors, warnings)."""
    crds = crds_of(objects)
    errors: list[GuardrailsError] = []
    warnings: list[GuardrailsError] = []
    compiled: dict[str, Policy] = {}
    for doc, locate in policies:
        try:
            p = compile_policy(doc, locate, crds)
        except GuardrailsError as e:
            errors.append(e)
            continue
        except SHAPE_ERRORS as e:
            errors.append(shape_error(doc, e, locate(())))
            continue
        compiled[p.name] = p
    by_policy: dict[str, list[Binding]] = {name: [] for name in compiled}
    for doc, locate in bindings:
        try:
            b = compile_binding(doc, locate)
        except GuardrailsError as e:
            errors.append(e)
            continue
        except SHAPE_ERRORS as e:
            errors.append(shape_error(doc, e, locate(())))
            continue
        if b.note is not None:
            warnings.append(b.note)
        if b.policy not in compiled:
            warnings.append(RuleFileError(
                f"ValidatingAdmissionPolicyBinding {b.name!r} names policy {b.policy!r}, which is not loaded: "
                "it binds nothing", location=b.source))
            continue
        by_policy[b.policy].append(b)
    return [(compiled[n], by_policy[n]) for n in compiled], errors, warnings


def finalize(context: LoadContext) -> list[CompiledRule]:
    state = _state(context)
    pairs, errors, warnings = build(state.policies, state.bindings, context.objects)
    state.policies.clear()
    state.bindings.clear()
    context.warnings.extend(warnings)
    context.refuse(len(errors), *errors)
    crds = crds_of(context.objects)
    pool = [o for o in context.objects if isinstance(o, Mapping)]
    rules: list[CompiledRule] = []
    for policy, bound in pairs:
        if not bound:
            context.warnings.append(RuleFileError(
                f"ValidatingAdmissionPolicy {policy.name!r} has no binding among the rule files: evaluated on its "
                "own, as if bound with validationActions [Deny]", location=policy.source))
            rules.append(to_rule(policy, None, pool, crds))
        for b in bound:
            rules.append(to_rule(policy, b, pool, crds))
    return rules
