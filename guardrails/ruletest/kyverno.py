"""Kyverno CLI test files (`kyverno-test.yaml`, cli.kyverno.io/v1alpha1 `Test`), run unchanged.

Every resource is judged by every policy as an admission request (CREATE, or what the values
file says), with the test's user info and namespace labels. Each name in a result row is
looked up among the resources (by name, or namespace/name; any kind, as Kyverno does), and
each answer of the named rule (or its `autogen-` / `autogen-cronjob-` copies) must equal the
row's result. When the rule gave no answer for the resource, Kyverno's runner counts the row
as passed ("excluded"); so do we, marked `lenient`, and `--strict` makes it a failure.

A row that evaluated nothing is never a pass: a row naming a policy the test does not load, a
rule the policy does not have or a resource the test does not list is an error at the row's
line (Kyverno's runner: "Not found"); a row about a policy or rule we cannot evaluate (a
MutatingPolicy, a `mutate` rule) fails with the reason; a row about a mutation's result
(`patchedResources`, `generatedResource`, `cloneSourceResource`) is a visible skip.

Policies load through `policy.load`, as `guardrails scan` loads them, and every answer comes
from the Engine: this module only parses the test file and scores the engine's outcomes.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.context import Context
from guardrails.dialects import vap
from guardrails.dialects.kyverno import vpol
from guardrails.dialects.kyverno.rule import RULE_VALUES
from guardrails.dialects.kyverno.validate import FOREACH_VALUES, Response
from guardrails.engine import Engine
from guardrails.errors import GuardrailsError, RuleFileError, SourceError
from guardrails.lang import cel_policy
from guardrails.lang import jmespath as query
from guardrails.lang.cel import CelError
from guardrails.model import FieldPath, Location, Origin, Resource, Status
from guardrails.policy.load import load_rules
from guardrails.rule import CompiledRule
from guardrails.ruletest import CaseResult, FileResult, Locator, locator
from guardrails.sources import documents as yamldocs

__all__ = ["Policy", "Response", "RowError", "Suite", "load_suite", "responses", "run_file", "score"]

_SCORED = "policies.kyverno.io/scored"

# The engine's SKIP for a Kyverno rule that matched but had nothing to validate: Kyverno's
# runner sees no answer from it at all.
_NO_ANSWER = "gave no result"


@dataclasses.dataclass(frozen=True, slots=True)
class PolicyRule:
    rule: CompiledRule


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    """A Kyverno policy of the test, as its loaded rules (the autogen ones included)."""

    name: str
    rules: tuple[PolicyRule, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Suite:
    path: str
    policies: tuple[Policy, ...]
    resources: tuple[Mapping[str, Any], ...]
    values: Mapping[str, Any]
    user_info: Mapping[str, Any] | None
    results: tuple[Mapping[str, Any], ...]
    # ValidatingAdmissionPolicies with their bindings, and the objects their params come from.
    vaps: tuple[tuple[vap.Policy, tuple[vap.Binding, ...]], ...] = ()
    params: tuple[Mapping[str, Any], ...] = ()
    # The resources as written (CEL sees integers; Kyverno's JMESPath sees float64).
    raw: tuple[Mapping[str, Any], ...] = ()
    vpols: tuple[vpol.ValidatingPolicy, ...] = ()
    # Offline answers for Kyverno's CEL libraries (context file, clusterResources, ...).
    hooks: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # Policies of the test that load as kinds we cannot evaluate: name -> why.
    unsupported: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Policies annotated `policies.kyverno.io/scored: "false"`: Kyverno reports their fail as warn.
    unscored: frozenset[str] = frozenset()
    # The test's CEL PolicyExceptions (`exceptions:` files), for its ValidatingPolicies.
    exceptions: tuple[vpol.CelException, ...] = ()
    # Non-Kubernetes input for payload-mode ValidatingPolicies: (mode, file as the test names it, data).
    payloads: tuple[tuple[str, str, Any], ...] = ()

    def policy_names(self) -> list[str]:
        return sorted({p.name for p in self.policies} | {p.name for p, _ in self.vaps}
                      | {v.name for v in self.vpols} | set(self.unsupported))


def _docs(path: pathlib.Path) -> list[Any]:
    try:
        text = yamldocs.decode(path.read_bytes(), str(path))
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}", location=Location(str(path))) from None
    out = []
    for d in yamldocs.documents(text, str(path)):
        if isinstance(d, GuardrailsError):
            raise d
        if d.data is not None:
            out.append(d.data)
    return out


# Built-in kinds that live outside namespaces; Kyverno's CLI puts every other object without a
# namespace (custom resources included) in "default".
_CLUSTER_SCOPED = frozenset({
    "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "ClusterTrustBundle",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "DeviceClass", "FlowSchema",
    "IngressClass", "IPAddress", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
    "PriorityClass", "PriorityLevelConfiguration", "ResourceSlice", "RuntimeClass", "SelfSubjectAccessReview",
    "SelfSubjectRulesReview", "ServiceCIDR", "StorageClass", "SubjectAccessReview", "TokenReview",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
    "VolumeAttachment", "ClusterPolicy", "ClusterPolicyReport",
})


def _floats(value: Any) -> Any:
    """Kyverno's CLI turns every number of a test resource into a float64."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _as_cli_resource(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _floats(obj)
    meta = out.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        out["metadata"] = meta
    if not meta.get("namespace") and str(out.get("kind")) not in _CLUSTER_SCOPED:
        meta["namespace"] = "default"
    return out


def _list(doc: Mapping[str, Any], key: str) -> list[str]:
    v = doc.get(key) or []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def load_suite(path: str, doc: Mapping[str, Any], now: datetime.datetime | None = None) -> Suite:
    base = pathlib.Path(path).parent
    # The policies load as every command loads rules; only Kyverno's own count for its rows.
    by_policy: dict[str, list[PolicyRule]] = {}
    unsupported: dict[str, str] = {}
    for p in _list(doc, "policies"):
        for rule in load_rules([base / p]).rules:
            if rule.check_key == "unsupported":  # a whole kind we cannot evaluate (MutatingPolicy...)
                unsupported[rule.name] = rule.unsupported or "not evaluated"
            # ValidatingPolicies answer below, policy by policy, as Kyverno's CLI scores them.
            elif rule.dialect == "kyverno" and rule.check_key != "validations":
                by_policy.setdefault(rule.policy, []).append(PolicyRule(rule))
    policies = [Policy(name, tuple(rules)) for name, rules in by_policy.items()]
    vpols: list[vpol.ValidatingPolicy] = []
    vap_docs: list[tuple[Mapping[str, Any], vap.Locate]] = []
    binding_docs: list[tuple[Mapping[str, Any], vap.Locate]] = []
    unscored: set[str] = set()
    for p in _list(doc, "policies"):
        for d in _docs(base / p):
            where = Location(str(base / p))
            meta = d.get("metadata") if isinstance(d, Mapping) else None
            notes = meta.get("annotations") if isinstance(meta, Mapping) else None
            if isinstance(notes, Mapping) and str(notes.get(_SCORED)).lower() == "false":
                unscored.add(str(meta.get("name")))  # type: ignore[union-attr]
            if isinstance(d, Mapping) and d.get("kind") == "ValidatingAdmissionPolicy":
                vap_docs.append((d, _fixed(where)))
            elif isinstance(d, Mapping) and d.get("kind") == "ValidatingAdmissionPolicyBinding":
                binding_docs.append((d, _fixed(where)))
            if isinstance(d, Mapping) and d.get("kind") in ("ValidatingPolicy", "NamespacedValidatingPolicy"):
                try:
                    vpols.append(vpol.compile_validating_policy(d))
                except CelError as e:
                    raise RuleFileError(f"{d.get('kind')} {(d.get('metadata') or {}).get('name')!r}: "
                                        f"{e.message}", location=where) from None
    seen: set[tuple[str, str, str]] = set()
    resources: list[Mapping[str, Any]] = []
    raw: list[Mapping[str, Any]] = []
    for r in _list(doc, "resources"):
        for d in _docs(base / r):
            if not yamldocs.is_kubernetes_object(d):
                continue
            cli = _as_cli_resource(d)
            meta = cli.get("metadata") or {}
            key = (str(cli.get("kind")), str(meta.get("namespace", "")), str(meta.get("name", "")))
            if key not in seen:  # Kyverno drops duplicates
                seen.add(key)
                resources.append(cli)
                raw.append(_namespaced(d, str(meta.get("namespace") or "")))
    params = [d for p in _list(doc, "paramResources") for d in _docs(base / p) if isinstance(d, Mapping)]
    pairs, errors, _ = vap.build(vap_docs, binding_docs, params)
    if errors:
        raise errors[0]
    values: Mapping[str, Any] = {}
    vfile = doc.get("variables") or doc.get("values")
    if isinstance(vfile, str):
        found = _docs(base / vfile)
        values = found[0] if found and isinstance(found[0], Mapping) else {}
    elif isinstance(vfile, Mapping):
        values = vfile
    user: Mapping[str, Any] | None = None
    if isinstance(doc.get("userinfo"), str):
        found = _docs(base / str(doc["userinfo"]))
        user = found[0] if found and isinstance(found[0], Mapping) else None
    results = tuple(r for r in doc.get("results") or () if isinstance(r, Mapping))
    return Suite(path, tuple(policies), tuple(resources), values, user, results,
                 tuple((p, tuple(b)) for p, b in pairs), tuple(params), tuple(raw), tuple(vpols),
                 _hooks(base, doc, now), unsupported, frozenset(unscored), tuple(_exceptions(base, doc)),
                 tuple(_payloads(base, doc)))


# Test fields naming payload files -> the evaluation.mode whose policies judge them.
_PAYLOADS = (("jsonPayloads", "JSON"), ("jsonPayload", "JSON"), ("httpPayloads", "HTTP"), ("envoyPayloads", "Envoy"))


def _payloads(base: pathlib.Path, doc: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """Each payload file as one document (a JSON object), for the policies of its mode."""
    out = []
    for key, mode in _PAYLOADS:
        for p in _list(doc, key):
            found = _docs(base / p)
            if len(found) != 1 or not isinstance(found[0], Mapping):
                raise SourceError(f"{key}: {p} must hold one JSON object", location=Location(str(base / p)))
            out.append((mode, p, found[0]))
    return out


def _hooks(base: pathlib.Path, doc: Mapping[str, Any], now: datetime.datetime | None = None) -> dict[str, Any]:
    """What the test supplies for Kyverno's CEL libraries: the context file's objects and image
    data, clusterResources, globalContextEntries and apiCallResponses."""
    objects: list[Any] = []
    images: list[Any] = []
    if isinstance(doc.get("context"), str):
        for d in _docs(base / str(doc["context"])):
            spec = d.get("spec") if isinstance(d, Mapping) else None
            if isinstance(spec, Mapping):
                objects.extend(o for o in spec.get("resources") or () if isinstance(o, Mapping))
                images.extend(i for i in spec.get("images") or () if isinstance(i, Mapping))
    for f in _list(doc, "clusterResources"):
        objects.extend(d for d in _docs(base / f) if isinstance(d, Mapping))
    gctx: dict[str, Any] = {}
    for entry in doc.get("globalContextEntries") or ():
        if isinstance(entry, Mapping) and entry.get("name"):
            gctx[str(entry["name"])] = _global_entry(base, entry)
    http = [r for r in doc.get("apiCallResponses") or () if isinstance(r, Mapping)]
    return vpol.hooks_for(objects, images, gctx, http, now)


def _exceptions(base: pathlib.Path, doc: Mapping[str, Any]) -> list[vpol.CelException]:
    out = []
    for p in _list(doc, "exceptions"):
        for d in _docs(base / p):
            if isinstance(d, Mapping) and d.get("kind") == "PolicyException" and str(
                    d.get("apiVersion", "")).startswith("policies.kyverno.io/"):
                try:
                    out.append(vpol.compile_exception(d))
                except CelError as e:
                    raise RuleFileError(f"PolicyException: {e.message}", location=Location(str(base / p))) from None
    return out


def _global_entry(base: pathlib.Path, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One mocked GlobalContextEntry as Kyverno's CLI builds it: `data`, or the list of
    `resources` and the objects of `resourceFiles`; then `fieldPath` and `projections` (JMESPath),
    the projections making an object of their names. A failing path makes the entry an error
    that every read of it reports."""
    root: Any
    if entry.get("resources") is not None or entry.get("resourceFiles"):
        root = [r for r in entry.get("resources") or () if isinstance(r, Mapping)]
        for f in entry.get("resourceFiles") or ():
            root.extend(d for d in _docs(base / str(f)) if isinstance(d, Mapping))
    else:
        root = entry.get("data")
        if root is None:
            return {"value": None}
    try:
        if entry.get("fieldPath"):
            root = query.search(str(entry["fieldPath"]), root)
        projections = [p for p in entry.get("projections") or () if isinstance(p, Mapping)]
        if projections:
            root = {str(p.get("name")): query.search(str(p.get("path")), root) for p in projections}
    except (query.QueryError, query.NotFound) as e:
        return {"error": str(e)}
    return {"value": root}


def _fixed(where: Location) -> vap.Locate:
    def locate(_path: Any) -> Location:
        return where

    return locate


def _namespaced(obj: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    if namespace and not meta.get("namespace"):
        meta["namespace"] = namespace
    out["metadata"] = meta
    return out


def _resource_values(values: Mapping[str, Any], policy: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    """The values file's globalValues and the policy's values for this resource, and (under
    RULE_VALUES and FOREACH_VALUES, for the rule that reads them) its per-rule values and
    foreachValues."""
    out: dict[str, Any] = dict(values.get("globalValues") or {})
    name = (resource.get("metadata") or {}).get("name")
    by_rule: dict[str, Any] = {}
    each: dict[str, Any] = {}
    for p in values.get("policies") or ():
        if not isinstance(p, Mapping) or p.get("name") != policy:
            continue
        for r in p.get("resources") or ():
            if isinstance(r, Mapping) and r.get("name") == name:
                out.update(r.get("values") or {})
        for rule in p.get("rules") or ():
            if isinstance(rule, Mapping) and isinstance(rule.get("values"), Mapping):
                by_rule.setdefault(str(rule.get("name")), {}).update(rule["values"])
            if isinstance(rule, Mapping) and isinstance(rule.get("foreachValues"), Mapping):
                each.setdefault(str(rule.get("name")), {}).update(rule["foreachValues"])
    if by_rule:
        out[RULE_VALUES] = by_rule
    if each:
        out[FOREACH_VALUES] = each
    return out


def _namespace_labels(values: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    for ns in values.get("namespaceSelector") or ():
        if ns.get("name") == namespace:
            return dict(ns.get("labels") or {})
    return {}


def _resource(suite: Suite, obj: Mapping[str, Any], vals: Mapping[str, Any], operation: str | None = None) -> Resource:
    op = str(operation or vals.get("request.operation") or "CREATE").upper()
    request: dict[str, Any] = {"operation": op}
    if suite.user_info is not None:
        info = suite.user_info.get("userInfo") or suite.user_info.get("requestInfo", {}).get("userInfo") or {}
        request.update({"userInfo": info, "roles": list(suite.user_info.get("roles") or ()),
                        "clusterRoles": list(suite.user_info.get("clusterRoles") or ())})
    ns = str((obj.get("metadata") or {}).get("namespace") or "")
    return Resource(obj=obj, origin=Origin(suite.path), old_obj=obj if op in ("UPDATE", "DELETE") else None,
                    request=request, namespace_labels=_namespace_labels(suite.values, ns))


def _key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(meta.get("namespace") or ""),
            str(meta.get("name") or ""))


def responses(suite: Suite, operation: str | None = None) -> dict[tuple[str, str, str, str], dict[str, dict[str, Response]]]:
    """resource key -> policy -> rule -> response, for every rule that answered; `operation`
    overrides the values file's (a result row's `operation:`)."""
    out: dict[tuple[str, str, str, str], dict[str, dict[str, Response]]] = {}
    for obj in suite.resources:
        per_policy: dict[str, dict[str, Response]] = {}
        for pol in suite.policies:
            vals = _resource_values(suite.values, pol.name, obj)
            # validate.cel reads the test's offline data and Namespaces (not JMESPath variables).
            vals["__cel_hooks"] = suite.hooks
            ns_obj = _namespace_object(suite.values, str((obj.get("metadata") or {}).get("namespace") or ""))
            if ns_obj is not None:
                vals["__namespace_object"] = ns_obj
            res = _resource(suite, obj, vals, operation)
            engine = Engine([r.rule for r in pol.rules], context=Context(variables=vals))
            answers: dict[str, Response] = {}
            for result in engine.results(res):
                first = result.violations[0] if result.violations else None
                if result.status is Status.SKIP and first is not None and _NO_ANSWER in first.message:
                    continue
                answers[result.rule] = Response(result.status, first.message if first else "", first.path if first else ())
            per_policy[pol.name] = answers
        out[_key(obj)] = per_policy
    for obj in suite.raw:
        per_policy = out.setdefault(_key(obj), {})
        for policy, bindings in suite.vaps:
            vals = _resource_values(suite.values, policy.name, obj)
            res = _resource(suite, obj, vals, operation)
            vap_answers: dict[str, Response] = {}
            for b in bindings or (None,):
                for i, o in enumerate(vap.outcomes(policy, b, res, suite.params) or ()):
                    name = f"{b.name if b else policy.name}#{i}"
                    vap_answers[name] = Response(Status(o.status), "; ".join(o.messages))
            per_policy[policy.name] = vap_answers
        for vp in suite.vpols:
            vals = _resource_values(suite.values, vp.name, obj)
            res = _resource(suite, obj, vals, operation)
            ns_obj = _namespace_object(suite.values, res.namespace)
            found = vp.outcome(res, suite.hooks, ns_obj)
            exempt = next((e for e in suite.exceptions if e.names(vp) and e.covers(res, ns_obj)), None)
            if found is not None and exempt is not None:  # Kyverno: a skip, naming the exception
                found = cel_policy.Outcome("skip", (f"excepted by PolicyException {exempt.name}",))
            per_policy[vp.name] = {} if found is None else {
                vp.name: Response(Status(found.status), "; ".join(found.messages))}
    for mode, name, payload in suite.payloads:  # Kyverno keys a payload's answers by its file
        per_payload = out.setdefault(("", "", "", name), {})
        for vp in suite.vpols:
            if vp.mode != mode:
                continue
            found = vp.judge_payload(payload, suite.hooks)
            as_object = Resource(obj=payload, origin=Origin(name))
            # A JSON policy's exceptions read the payload as `object`; the authorization
            # modes take none (Kyverno's authz processor applies no exception).
            exempt = next((e for e in suite.exceptions if mode == "JSON" and e.names(vp) and e.covers(as_object)), None)
            if exempt is not None:
                found = cel_policy.Outcome("skip", (f"excepted by PolicyException {exempt.name}",))
            per_payload[vp.name] = {vp.name: Response(Status(found.status), "; ".join(found.messages))}
    return out


def _namespace_object(values: Mapping[str, Any], namespace: str) -> Mapping[str, Any] | None:
    for ns in values.get("namespaces") or ():
        if isinstance(ns, Mapping) and (ns.get("metadata") or {}).get("name") == namespace:
            return ns
    return None


def _selected(name: str, keys: Sequence[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    ns, _, short = name.rpartition("/")
    return [k for k in keys if k[3] == short and (not ns or k[2] == ns)]


Answers = Mapping[tuple[str, str, str, str], Mapping[str, Mapping[str, Response]]]

# Row fields about a mutation's or a generation's result: guardrails never changes objects.
_MUTATION_FIELDS = ("patchedResource", "patchedResources", "generatedResource", "cloneSourceResource")


class RowError(GuardrailsError):
    """A result row that names something the test does not have."""


def _near(word: str, choices: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"{what}: {', '.join(choices)}" if choices else f"the test has no {what}"


def _rule_names(suite: Suite, policy: str) -> list[str] | None:
    """The rule names a row may give for `policy` (None: any, for CEL kinds scored per policy)."""
    for pol in suite.policies:
        if pol.name == policy:
            return sorted({r.rule.name for r in pol.rules})
    return None


def _unsupported_reason(suite: Suite, policy: str, rule: str, resp: Response) -> str | None:
    """The reason when the rule's answer is its "cannot evaluate" SKIP (a rule whose cluster
    context the values supplied runs, and answers for itself)."""
    if resp.status is not Status.SKIP:
        return None
    for pol in suite.policies:
        if pol.name == policy:
            for r in pol.rules:
                if r.rule.name == rule and r.rule.unsupported and resp.message == r.rule.unsupported:
                    return r.rule.unsupported
    return None


def _has_rule(names: Sequence[str], rule: str) -> bool:
    return any(n in names for n in (rule, f"autogen-{rule}", f"autogen-cronjob-{rule}")) or (
        rule.startswith("autogen-") and any(n.startswith("autogen") and n.endswith(rule.rpartition("autogen-")[2])
                                            for n in names))


def _row_problem(suite: Suite, row: Mapping[str, Any], policy: str, rule: str) -> tuple[str, str, str] | None:
    """(message, field, hint) when the row names a policy or rule the test does not have."""
    names = suite.policy_names()
    if policy not in names:
        return (f"no policy {policy!r} among the test's policies", "policy", _near(policy, names, "policies"))
    rules = _rule_names(suite, policy)
    if rule and rules is not None and not _has_rule(rules, rule):
        return (f"policy {policy!r} has no rule {rule!r}", "rule", _near(rule, rules, "rules"))
    return None


def score(suite: Suite, answers: Answers, *, strict: bool,
          by_operation: Mapping[str, Answers] | None = None,
          locate: Locator | None = None) -> tuple[list[CaseResult], list[GuardrailsError]]:
    """The cases of the test's rows, and the errors of rows that name what the test lacks."""
    at = locate or (lambda _p: Location(suite.path))
    cases: list[CaseResult] = []
    errors: list[GuardrailsError] = []
    default = answers
    for index, row in enumerate(suite.results):
        op = str(row.get("operation") or "").upper()
        answers = (by_operation or {}).get(op, default) if op else default
        keys = list(answers)
        policy = str(row.get("policy", "")).rpartition("/")[2]
        # Kyverno's runner checks every result of a ValidatingAdmissionPolicy or ValidatingPolicy.
        cel_kind = row.get("isValidatingAdmissionPolicy") or row.get("isValidatingPolicy")
        rule = "" if cel_kind else str(row.get("rule", ""))
        expected = str(row.get("result") or row.get("status") or "")  # `status`: the old field name
        names = [str(n) for n in row.get("resources") or ()]
        field = "resources"
        if not names and row.get("resource"):  # the old single `resource` field
            names, field = [str(row["resource"])], "resource"
        problem = _row_problem(suite, row, policy, rule)
        if problem is not None:
            message, where, hint = problem
            errors.append(RowError(f"result row {index + 1}: {message}", location=at(("results", index, where)),
                                   hint=hint))
            continue
        mutation = next((f for f in _MUTATION_FIELDS if row.get(f)), None)
        if mutation is not None:
            for name in names or [""]:
                cases.append(CaseResult(f"{policy}/{rule} {name}".rstrip(), expected, "skip", False,
                                        f"{mutation}: the row checks a mutated or generated object, and guardrails "
                                        "never changes objects", skipped=True))
            continue
        if policy in suite.unsupported:
            for name in names or [""]:
                cases.append(CaseResult(f"{policy}/{rule} {name}".rstrip(), expected, "not evaluated", False,
                                        f"the policy cannot be evaluated: {suite.unsupported[policy]}"))
            continue
        for j, name in enumerate(names or [""]):
            matched = _selected(name, keys) if name else keys
            if not matched:
                spot: FieldPath = ("results", index, field, j) if field == "resources" else ("results", index, field)
                errors.append(RowError(f"result row {index + 1}: no resource {name!r} among the test's resources",
                                       location=at(spot), hint=_near(name, sorted({k[3] for k in keys}), "resources")))
                continue
            for key in matched:
                label = (f"{policy}/{rule} {key[1]}/{key[2] + '/' if key[2] else ''}{key[3]}" if key[1]
                         else f"{policy}/{rule} payload {key[3]}")  # a payload file (no kind)
                got = {n: r for n, r in answers[key].get(policy, {}).items()
                       if not rule or n in (rule, f"autogen-{rule}", f"autogen-cronjob-{rule}")}
                if not got:
                    cases.append(CaseResult(label, expected, "excluded", not strict,
                                            "the rule gave no result for this resource", lenient=True))
                for rname, resp in got.items():
                    named = label.replace(f"/{rule} ", f"/{rname} ", 1) if rule else label
                    reason = _unsupported_reason(suite, policy, rname, resp)
                    if reason is not None:  # its SKIP says nothing about the resource
                        cases.append(CaseResult(named, expected, "not evaluated", False,
                                                f"the rule cannot be evaluated: {reason}"))
                        continue
                    actual = str(resp.status)
                    if actual == "fail" and policy in suite.unscored:
                        actual = "warn"  # Kyverno's report: a policy that is not scored only warns
                    cases.append(CaseResult(named, expected, actual, actual == expected, resp.message))
    return cases, errors


def run_file(path: str | pathlib.Path, doc: Mapping[str, Any], *, strict: bool, locate: Locator | None = None,
             now: datetime.datetime | None = None) -> FileResult:
    """Run one Kyverno test document; `locate` places its fields (default: parse the file again
    when a row needs its line); `now` is the evaluation time of policies that read the clock."""
    path = str(path)
    try:
        suite = load_suite(path, doc, now)
    except GuardrailsError as e:
        return FileResult(path, (), (e,))
    ops = {str(r.get("operation")).upper() for r in suite.results if r.get("operation")}
    by_op = {op: responses(suite, op) for op in ops}
    cases, errors = score(suite, responses(suite), strict=strict, by_operation=by_op,
                          locate=locate or locator(pathlib.Path(path), path, doc))
    return FileResult(path, tuple(cases), tuple(errors))
