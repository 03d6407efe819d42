"""The Kyverno dialect: `ClusterPolicy` / `Policy` -> CompiledRules, `PolicyException` -> waivers.

Every rule Kyverno would evaluate (the autogen ones included) becomes one CompiledRule whose
check answers as Kyverno does; a rule that cannot be evaluated offline is `unsupported` (a
SKIP with the reason, listed by `guardrails rules lint`). Problems name the file, line and the
field path in words a Kyverno user knows: `spec.rules[0].validate.deny.conditions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.context import Context
from guardrails.dialects.context import LoadContext
from guardrails.dialects.kyverno import match, vpol
from guardrails.dialects.kyverno.policy import (
    CATEGORY,
    DESCRIPTION,
    SEVERITY,
    TITLE,
    CompiledPolicy,
    RuleInfo,
    compile_policy,
)
from guardrails.dialects.kyverno.rule import HOOKS, KyvernoRule, target_of
from guardrails.errors import RuleFileError
from guardrails.kube import selectors
from guardrails.lang import cel
from guardrails.model import Action, FieldPath, Location, Resource, Severity, Status, Violation
from guardrails.rule import CompiledRule
from guardrails.waivers import Waiver

__all__ = ["compile_document", "field_text", "to_compiled"]

_ALL_OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})
_NO_CONTEXT = Context()


def field_text(path: FieldPath) -> str:
    """`spec.rules[0].validate.deny`, the way Kyverno's own errors name fields."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError:
        return Severity.MEDIUM


def _timed(values: Mapping[str, Any] | None, context: Context) -> Mapping[str, Any] | None:
    """The values with the run's evaluation time among the offline answers (time.now(),
    time_now), unless the values already give one (a rule test's own --now)."""
    hooks = (values or {}).get(HOOKS)
    if context.clock is None or (isinstance(hooks, Mapping) and hooks.get("now") is not None):
        return values
    return {**(values or {}), HOOKS: {**(hooks if isinstance(hooks, Mapping) else {}), "now": context.now()}}


def _check(kr: KyvernoRule) -> Callable[[Resource, Context], Iterable[Violation]]:
    """The rule's answer; a rule test's variables (Kyverno's values file) come from the context."""

    def check(resource: Resource, context: Context) -> Iterable[Violation]:
        reason = kr.skip_reason(context.variables or None)
        if reason is not None:
            return (Violation(reason, (), Status.SKIP),)
        resp = kr.respond(resource, _timed(context.variables or None, context), matched=True)
        if resp is None:
            return (Violation(f"rule {kr.name} gave no result (nothing to validate)", (), Status.SKIP),)
        if resp.status is Status.PASS:
            return ()
        return (Violation(resp.message, resp.path, resp.status, unjudged=resp.unjudged),)

    return check


def to_compiled(policy: CompiledPolicy, info: RuleInfo, *, source: Location | None) -> CompiledRule:
    kr = info.rule
    in_context = _check(kr)
    return CompiledRule(
        name=kr.name,
        id=f"{policy.name}/{kr.name}",
        check=lambda resource: in_context(resource, _NO_CONTEXT),
        check_in_context=in_context,
        match=kr.applies,
        severity=_severity(policy.severity),
        action=Action.DENY if info.enforce else Action.AUDIT,
        title=policy.title or policy.name,
        description=policy.description,
        category=policy.category,
        source=source,
        pod_templates=False,
        operations=_ALL_OPERATIONS,
        on_delete=True,
        dialect="kyverno",
        policy=policy.name,
        unsupported=kr.unsupported,
        supplied_by=(lambda ctx: kr.skip_reason(ctx.variables or None) is None) if kr.cluster_context else None,
        check_key=info.check_key,
        kinds=kr.kinds,
        action_for=_action_for(info) if info.overrides else None,
        namespace_labels=kr.namespace_labels or any(o.selector is not None for o in info.overrides),
    )


def _action_for(info: RuleInfo) -> Callable[[Resource], Action]:
    def action(resource: Resource) -> Action:
        return Action.DENY if info.enforce_for(resource.namespace, resource.namespace_labels) else Action.AUDIT

    return action


def _exception(doc: Mapping[str, Any], source: Location) -> Waiver:
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    # Rules by id: the policy's rule, never a rule of the same name in another policy.
    names: set[str] = set()
    for ex in spec.get("exceptions") or ():
        policy = str(ex.get("policyName") or "*").rpartition("/")[2]
        for r in ex.get("ruleNames") or ():
            names.update({f"{policy}/{r}", f"{policy}/autogen-{r}", f"{policy}/autogen-cronjob-{r}"})
    selects = match.compile_filters(spec.get("match"), None, strict=True)
    reason = f"Kyverno PolicyException {meta.get('name', '')}".strip()
    return Waiver(
        name=str(meta.get("name", "")),
        reason=reason,
        rules=selectors.compile_globs(sorted(names)) if names else (lambda _: False),
        match=lambda r: selects(target_of(r)),
        source=source,
        by_id=True,
        namespace_labels="namespaceSelector" in json.dumps(spec.get("match"), default=str),
    )


def _cel_exception(doc: Mapping[str, Any], source: Location, locate: Callable[[FieldPath], Location]) -> Waiver:
    """A CEL PolicyException as a waiver of the ValidatingPolicies it names (their rule id is
    the policy's name), for the objects its matchConditions hold on."""
    name = str((doc.get("metadata") or {}).get("name", ""))
    try:
        ex = vpol.compile_exception(doc)
    except cel.CelError as e:
        raise RuleFileError(f"PolicyException {name!r}: {field_text(e.path)}: {e.message}",
                            location=locate(e.path)) from None
    ids = frozenset(n for n, k in ex.policies if k in ("ValidatingPolicy", "NamespacedValidatingPolicy"))
    return Waiver(name=ex.name, reason=f"Kyverno PolicyException {ex.name}".strip(), rules=ids.__contains__,
                  match=ex.covers, source=source, by_id=True)


def _validating_policy(doc: Mapping[str, Any], source: Location, locate: Callable[[FieldPath], Location],
                       context: LoadContext) -> CompiledRule:
    name = str((doc.get("metadata") or {}).get("name", ""))
    try:
        vp = vpol.compile_validating_policy(doc)
    except cel.CelError as e:
        raise RuleFileError(f"{doc.get('kind')} {name!r}: {field_text(e.path)}: {e.message}",
                            location=locate(e.path)) from None
    if vp.body.unsupported is not None:
        context.warnings.append(RuleFileError(f"{vp.kind} {vp.name!r} is unsupported and will be skipped: "
                                              f"{vp.body.unsupported}", location=source))
    hooks = vpol.hooks_for([o for o in context.objects if isinstance(o, Mapping)])

    def selects(resource: Resource) -> bool:
        req, _, _ = vp.request(resource)
        return bool(req.kind) and vp.selects(req) and (
            vp.kind != "NamespacedValidatingPolicy" or req.namespace == vp.namespace)

    def check(resource: Resource, run: Context) -> list[Violation]:
        o = vp.outcome(resource, hooks if run.clock is None else {**hooks, "now": run.now()})
        if o is None or o.status == "pass":
            return []
        status = {"fail": Status.FAIL, "error": Status.ERROR, "skip": Status.SKIP}[o.status]
        return [Violation(m, (), status, unjudged=o.unjudged) for m in o.messages]

    annotations = vp.annotations
    return CompiledRule(
        name=vp.name, check=lambda resource: check(resource, _NO_CONTEXT), check_in_context=check, match=selects, severity=_severity(str(annotations.get(SEVERITY, "") or "medium")),
        action=vp.action, title=str(annotations.get(TITLE, "") or vp.name),
        description=str(annotations.get(DESCRIPTION, "")), category=str(annotations.get(CATEGORY, "")),
        source=source, operations=_ALL_OPERATIONS, on_delete=True, dialect="kyverno", policy=vp.name,
        unsupported=vp.body.unsupported, check_key="validations", kinds=vp.kinds)


def compile_document(
    doc: Mapping[str, Any],
    *,
    source: Location,
    locate: Callable[[FieldPath], Location],
    context: LoadContext,
) -> list[CompiledRule]:
    kind = doc.get("kind")
    if kind == "PolicyException" and str(doc.get("apiVersion", "")).startswith("policies.kyverno.io/"):
        context.waivers.append(_cel_exception(doc, source, locate))
        return []
    if kind == "PolicyException":
        context.waivers.append(_exception(doc, source))
        return []
    if kind in ("ValidatingPolicy", "NamespacedValidatingPolicy") and str(doc.get("apiVersion", "")).startswith(
            "policies.kyverno.io/"):
        return [_validating_policy(doc, source, locate, context)]
    if kind not in ("ClusterPolicy", "Policy"):
        name = (doc.get("metadata") or {}).get("name", "")
        context.warnings.append(RuleFileError(
            f"{doc.get('apiVersion')} {kind} {name!r} is not supported and was not loaded: "
            "guardrails evaluates Kyverno ClusterPolicy and Policy validate rules", location=source))
        return []
    policy = compile_policy(doc)
    if policy.problems:
        errors = [
            RuleFileError(f"{doc.get('kind')} {policy.name!r}: {field_text(p.path)}: {p.message}", location=locate(p.path))
            for p in policy.problems
        ]
        raise RuleFileError(errors[0].message, location=errors[0].location, more=errors[1:])
    out = []
    for info in policy.rules:
        # A rule we cannot evaluate compiles with `unsupported` set: every match is a SKIP with
        # the reason, listed by `guardrails rules lint` and in every report.
        where = locate(("spec", "rules", info.index))
        out.append(to_compiled(policy, info, source=where))
    return out
