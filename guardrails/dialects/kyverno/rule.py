"""One Kyverno rule, ready to judge resources: its match/exclude filters, its validator, its
failure action and the JSON context it reads (`request.object`, `request.operation`,
`request.userInfo`, `serviceAccountName`, context `variable` entries, test values).

`KyvernoRule.respond(resource)` answers like Kyverno's engine: None when the rule does not
select the resource or gives no answer, else a `Response`. For an Enforce rule on an UPDATE,
a failure the old object already had is a skip (Kyverno allows existing violations).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from guardrails.dialects.kyverno import images, match
from guardrails.dialects.kyverno.validate import FOREACH_VALUES, Context, Response, Validator, set_path
from guardrails.kube.match import View, view_of
from guardrails.lang import jmespath as query
from guardrails.lang import jmespath_functions
from guardrails.lang import templates as variables
from guardrails.lang.cel_policy import NO_REQUESTER, READS_REQUESTER
from guardrails.model import Resource, Status

__all__ = ["HOOKS", "RULE_VALUES", "KyvernoRule", "context_data", "reads_requester", "target_of"]


def admission_of(resource: Resource) -> match.Admission | None:
    req = resource.request
    info = req.get("userInfo") if req else None
    if not isinstance(info, Mapping):
        return None
    return match.Admission(
        username=str(info.get("username", "")),
        groups=tuple(str(g) for g in info.get("groups") or ()),
        roles=tuple(str(r) for r in (req or {}).get("roles") or ()),
        cluster_roles=tuple(str(r) for r in (req or {}).get("clusterRoles") or ()),
    )


# The key under which a rule test passes the values file's per-rule values ({rule: {key: value}}).
RULE_VALUES = "__rule_values"


def _rule_values(values: Mapping[str, Any] | None, rule: str, key: str = RULE_VALUES) -> Mapping[str, Any]:
    by_rule = (values or {}).get(key)
    found = by_rule.get(rule) if isinstance(by_rule, Mapping) else None
    return found if isinstance(found, Mapping) else {}


# Where a rule test's offline answers ride in the values (set by the Kyverno test runner).
HOOKS = "__cel_hooks"


# Kyverno's variables about the requester, inside {{ }}: only an admission request defines them.
_REQUESTER_VARIABLE = re.compile(
    r"\{\{[^}]*\b(serviceAccountName|serviceAccountNamespace|request\.(userInfo|roles|clusterRoles))\b")


def reads_requester(rule: Mapping[str, Any]) -> bool:
    """The rule reads who sent the request: a {{ }} variable about the requester, or a CEL
    expression (validate.cel, celPreconditions) reading request.userInfo."""
    text = json.dumps(rule, default=str)
    return bool(_REQUESTER_VARIABLE.search(text) or READS_REQUESTER.search(text))


def _clock_skip(resp: Response | None) -> Response | None:
    """A rule that read the clock (time_since, time_now) with no evaluation time is not judged."""
    if resp is not None and resp.status is Status.ERROR and jmespath_functions.NO_CLOCK in resp.message:
        return Response(Status.SKIP, "a JMESPath time function of the rule " + jmespath_functions.NO_CLOCK
                        + ": not judged", unjudged=True)
    return resp


def _global_entries(values: Mapping[str, Any]) -> Mapping[str, Any]:
    hooks = values.get(HOOKS)
    found = hooks.get("globalContext") if isinstance(hooks, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _load_global(entry: Mapping[str, Any], data: dict[str, Any]) -> str | None:
    """A `globalReference` entry as Kyverno loads it: `name` is `entry` or `entry.projection`
    ({{ }} variables substituted), its data searched with `jmesPath` when given."""
    from guardrails.lang.cel_kyverno import global_value  # only rules that read global context

    ref = entry.get("globalReference")
    ref = ref if isinstance(ref, Mapping) else {}
    try:
        name = str(variables.substitute(ref.get("name", ""), data))
        path = variables.substitute(ref.get("jmesPath"), data) if ref.get("jmesPath") else ""
        parts = name.split(".")
        value = global_value(_global_entries(data), parts[0], parts[1] if len(parts) > 1 else "")
        if path:
            value = query.search(str(path), value)
    except (variables.SubstitutionError, query.NotFound, query.QueryError, ValueError) as e:
        return f"failed to load context entry {entry.get('name')!r}: {e}"
    data[str(entry.get("name", ""))] = value
    return None


def context_data(resource: Resource, values: Mapping[str, Any] | None = None, *,
                 with_images: bool = True) -> dict[str, Any]:
    """The JSON context Kyverno builds for an admission request (or a CLI run) on `resource`.
    `with_images=False` leaves out `images` for rules that never read it."""
    op = resource.operation
    req: dict[str, Any] = dict(resource.request) if resource.request else {}
    if op == "DELETE":
        req["object"] = None
        req["oldObject"] = resource.old_obj if resource.old_obj is not None else resource.obj
    else:
        req["object"] = resource.obj
        if op == "UPDATE":
            req["oldObject"] = resource.old_obj if resource.old_obj is not None else resource.obj
    req["operation"] = op
    req["namespace"] = resource.namespace
    data: dict[str, Any] = {"request": req}
    subject = req.get("object") or req.get("oldObject")
    found = images.images_of(subject) if with_images and isinstance(subject, Mapping) else {}
    if found:
        data["images"] = found
    info = req.get("userInfo")
    if isinstance(info, Mapping):
        req.setdefault("roles", [])
        req.setdefault("clusterRoles", [])
        user = str(info.get("username", ""))
        sa = user[len("system:serviceaccount:"):] if len(user) > len("system:serviceaccount:") else ""
        parts = sa.split(":")
        data["serviceAccountName"] = parts[1] if len(parts) >= 2 else ""
        data["serviceAccountNamespace"] = parts[0] if len(parts) >= 2 else ""
    for key, value in (values or {}).items():
        if key not in (RULE_VALUES, FOREACH_VALUES):
            set_path(data, str(key), value)
    return data


def target_of(resource: Resource, *, operation: str | None = None) -> match.Target:
    """Kyverno's variant of the resource's one matching view: the shared view plus the
    requester (user info, roles). Built once per resource, kept with its view."""
    view = view_of(resource)
    if operation is not None and operation != view.operation:
        return _target(view, resource, operation)
    target = view.variants.get("kyverno")
    if target is None:
        target = view.variants["kyverno"] = _target(view, resource, view.operation)
    assert isinstance(target, match.Target)
    return target


def _target(view: View, resource: Resource, operation: str) -> match.Target:
    return match.Target(
        group=view.group,
        version=view.version,
        kind=view.kind,
        name=view.name,
        namespace=view.namespace,
        labels=view.labels,
        annotations=view.annotations,
        operation=operation,
        namespace_labels=view.namespace_labels,
        admission=admission_of(resource),
    )


@dataclasses.dataclass(slots=True)
class KyvernoRule:
    policy: str
    name: str
    selects: match.Predicate
    validator: Validator
    enforce: bool
    allow_existing: bool = True
    context: tuple[Mapping[str, Any], ...] = ()
    unsupported: str | None = None
    kinds: frozenset[str] | None = None  # a quick first test on the kind, when the match allows it
    reads_images: bool = True  # the rule mentions the `images` variable somewhere
    fast: bool = False  # the validator needs no JSON context (set from Validator.static)
    namespace_labels: bool = False  # match or exclude has a namespaceSelector
    # With `unsupported` set by cluster context alone: the entries' names, which a rule test's
    # values (Kyverno's values file) may supply; the rule then runs on them.
    cluster_context: tuple[str, ...] = ()
    # The rule reads the requester (serviceAccountName, request.userInfo, roles): with no request
    # (a scan) it is a visible skip, never an error or a verdict about nobody.
    reads_requester: bool = False

    def skip_reason(self, values: Mapping[str, Any] | None) -> str | None:
        """Why the rule is a SKIP here (None: it runs)."""
        if self.unsupported is None:
            return None
        if self.cluster_context and values:
            supplied = {str(k).split(".", 1)[0] for k in values}
            supplied.update(str(k).split(".", 1)[0] for k in _rule_values(values, self.name))
            if _global_entries(values):  # a test's globalContextEntries answer globalReference
                supplied.update(str(e.get("name", "")) for e in self.context if "globalReference" in e)
            if all(n in supplied for n in self.cluster_context):
                return None
        return self.unsupported

    def applies(self, resource: Resource, *, operation: str | None = None) -> bool:
        if self.kinds is not None:
            obj = resource.obj or resource.old_obj or {}
            if obj.get("kind") not in self.kinds:
                return False
        return self.selects(target_of(resource, operation=operation))

    def _load_context(self, data: dict[str, Any]) -> str | None:
        """Context `variable` entries (the only kind that needs no cluster; the others were
        supplied by the test's values, as Kyverno's CLI has them). An error text or None."""
        for entry in self.context:
            if "globalReference" in entry and str(entry.get("name", "")) not in data:
                problem = _load_global(entry, data)
                if problem is not None:
                    return problem
                continue
            if "variable" not in entry:
                continue
            var = entry.get("variable") or {}
            name = str(entry.get("name", ""))
            try:
                value = variables.substitute(var.get("value"), data) if "value" in var else None
                expr = var.get("jmesPath")
                if expr:
                    expr = variables.substitute(expr, data)
                    value = query.search(str(expr), value if "value" in var else data, missing=query.ERROR)
            except (variables.SubstitutionError, query.NotFound, query.QueryError) as e:
                if "default" not in var:
                    return f"failed to load context: {e}"
                value = None
            if value is None and "default" in var:
                value = var["default"]
            data[name] = value
        return None

    def run(self, resource: Resource, values: Mapping[str, Any] | None = None) -> Response | None:
        """The validator's answer on a resource the rule selects (no match check here)."""
        if self.fast:
            op = str((values or {}).get("request.operation") or resource.operation)
            return self.validator.run(Context({}, None if op == "DELETE" else resource.obj))
        data = context_data(resource, values, with_images=self.reads_images)
        for key, value in _rule_values(values, self.name).items():  # before the entries, as Kyverno's CLI
            set_path(data, str(key), value)
        each = _rule_values(values, self.name, FOREACH_VALUES)
        if each:  # the values file's foreachValues: one value per foreach element, by its index
            data[FOREACH_VALUES] = each
        hooks = data.get(HOOKS)
        now = hooks.get("now") if isinstance(hooks, Mapping) else None
        token = jmespath_functions.EVALUATION_TIME.set(now if isinstance(now, datetime.datetime) else None)
        try:
            problem = self._load_context(data)
            if problem is not None:
                return _clock_skip(Response(Status.ERROR, problem))
            target = data["request"].get("object")
            return _clock_skip(self.validator.run(Context(data, target)))
        finally:
            jmespath_functions.EVALUATION_TIME.reset(token)

    def respond(self, resource: Resource, values: Mapping[str, Any] | None = None, *,
                matched: bool = False) -> Response | None:
        """`matched`: the caller has already checked that the rule selects the resource."""
        if not matched and not self.applies(resource):
            return None
        reason = self.skip_reason(values)
        if reason is not None:
            return Response(Status.SKIP, reason)
        if self.reads_requester and resource.request is None:
            return Response(Status.SKIP, NO_REQUESTER, unjudged=True)
        resp = self.run(resource, values)
        op = str((values or {}).get("request.operation") or resource.operation)
        if self.enforce and self.allow_existing and op == "UPDATE" and resp is not None and resp.status is Status.FAIL:
            old = resource.old_obj if resource.old_obj is not None else resource.obj
            before = dataclasses.replace(resource, obj=old, old_obj=None,
                                         request={**(resource.request or {}), "operation": "CREATE"})
            old_values = {**(values or {}), "request.operation": "CREATE"}
            if self.applies(before, operation="CREATE"):
                prior = self.run(before, old_values)
                if prior is not None and prior.status is Status.FAIL:
                    return Response(Status.SKIP, "skipping the rule evaluation as pre-existing violations are allowed")
        return resp
