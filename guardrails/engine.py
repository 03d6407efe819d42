"""The engine: compiled rules and waivers in, findings out. Pure: no I/O, no clock.

`Engine.results` gives every outcome (what rule tests look at); `Engine.evaluate` gives the
findings reporters show: FAIL, ERROR, WAIVED and UNKNOWN outcomes, one per violation.
A Terraform resource's provider-computed attributes take the defaults a rule declares
(`CompiledRule.defaults`) before the rule sees it; what stays unknown is reported as each rule's
`unknown` mode says, or as a failure for every rule with `fail_on_unknown`.
Inline waivers (`guardrails.dev/ignore` annotations) are honoured per `inline_waivers`: "scan"
for every rule, "admission" (the default, the safe one) never for a deny rule, "off" never.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from guardrails import reference
from guardrails import waivers as waivers_mod
from guardrails.budget import Budget, OutOfTime, watchdog
from guardrails.context import Context
from guardrails.kube import workloads
from guardrails.model import (
    Action,
    FieldPath,
    Finding,
    Resource,
    RuleResult,
    Severity,
    Status,
    Violation,
)
from guardrails.rule import CompiledRule
from guardrails.waivers import Waiver

__all__ = ["Engine", "with_defaults"]

# A rule that reports several outcomes on one resource gives the most serious one overall.
_RANK = {Status.ERROR: 5, Status.FAIL: 4, Status.UNKNOWN: 3, Status.SKIP: 2, Status.PASS: 1}


def _prefixed(prefix: FieldPath, reads: tuple[FieldPath, ...]) -> tuple[FieldPath, ...]:
    return tuple((*prefix, *r) for r in reads) if prefix else reads


class _Views:
    """The pod-template view of one resource, built once however many Pod rules look at it;
    and the map keys each object judged holds, gathered once for every rule that asks."""

    __slots__ = ("_done", "_keys", "_view")

    def __init__(self) -> None:
        self._view: Resource | None = None
        self._done = False
        self._keys: dict[int, tuple[Any, set[Any]]] = {}

    def get(self, resource: Resource) -> Resource | None:
        if not self._done:
            self._view, self._done = workloads.pod_view(resource), True
        return self._view

    def has_any(self, obj: Any, keys: frozenset[str]) -> bool:
        """Whether `obj` holds one of `keys` as a map key, at any depth."""
        held = self._keys.get(id(obj))
        if held is None or held[0] is not obj:
            held = (obj, _all_keys(obj))
            self._keys[id(obj)] = held
        return not keys.isdisjoint(held[1])


_SCALARS = (str, int, float, bool, type(None))


def _all_keys(obj: Any) -> set[Any]:
    """Every map key anywhere in a decoded object (maps, lists and tuples walked; no recursion,
    so depth costs nothing but time linear in the object)."""
    out: set[Any] = set()
    todo = [obj]
    pop, push = todo.pop, todo.extend
    while todo:
        v = pop()
        t = type(v)
        if t is dict:
            out.update(v)
            push(v.values())
        elif t is list or t is tuple:
            push(v)
        elif t in _SCALARS:
            continue
        elif isinstance(v, Mapping):
            out.update(v.keys())
            push(v.values())
    return out


class Engine:
    def __init__(
        self,
        rules: Sequence[CompiledRule],
        waivers: Sequence[Waiver] = (),
        *,
        context: Context | None = None,
        today: datetime.date | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
        inline_waivers: str = "admission",
        fail_on_unknown: bool = False,
        time_budget: float | None = None,
        record_passes: bool = False,
    ) -> None:
        """`context` is all a rule may read besides the resource; `today` and `clock` alone are
        shorthand for a context of that day and evaluation clock (Context.clock). `time_budget`: seconds one resource's rules may take together in
        `evaluate` (None: unbounded); past it the rule running is interrupted (an ERROR finding
        naming it) and the rules after it are ERRORs saying they were not evaluated.
        `record_passes`: `evaluate` also returns a PASS finding per rule the resource satisfies
        (PolicyReports list them); off by default, so no other caller pays for them."""
        if inline_waivers not in waivers_mod.INLINE_MODES:
            raise ValueError(f"inline_waivers must be one of {waivers_mod.INLINE_MODES}, not {inline_waivers!r}")
        self.inline_waivers = inline_waivers
        self.fail_on_unknown = fail_on_unknown
        self.time_budget = time_budget
        self.record_passes = record_passes
        self.rules = tuple(rules)
        # Skip what cannot apply: a rule on an object without any key it could object to
        # (CompiledRule.requires_keys), a match on a kind the rule does not name; off for the
        # reference evaluators these skips are tested against.
        self._fast = not reference.active()
        self._by_kind: dict[str, tuple[CompiledRule, ...]] = {}
        context = context or Context()
        if today is not None:
            context = context.replace(today=today)
        if clock is not None:
            context = context.replace(clock=clock)
        self.context = context
        self.today = context.today
        self.waivers = tuple(w for w in waivers if not w.expired(self.today))
        self.expired_waivers = tuple(w for w in waivers if w.expired(self.today))

    def _target(self, rule: CompiledRule, resource: Resource, views: _Views) -> Resource | None:
        """The resource as the rule sees it: itself, or its pod template for Pod rules."""
        # A kind the rule does not name never matches it (CompiledRule.kinds): a Pod rule on a
        # Deployment goes straight to the pod template.
        if (not self._fast or rule.kinds is None or resource.kind in rule.kinds) and rule.match(resource):
            return resource
        if rule.pod_templates and resource.kind in workloads.POD_CONTROLLERS:
            view = views.get(resource)
            if view is not None and rule.match(view):
                return view
        return None

    def judge(self, rule: CompiledRule, resource: Resource, views: _Views | None = None) -> RuleResult | None:
        """One rule on one resource; None when the rule does not match it at all."""
        if rule.defaults and resource.computed:
            resource = with_defaults(resource, rule.defaults.get(resource.kind))
        views = views or _Views()
        target = self._target(rule, resource, views)
        if target is None:
            return None
        if rule.unsupported and not (rule.supplied_by is not None and rule.supplied_by(self.context)):
            return RuleResult(rule.name, Status.SKIP, (Violation(rule.unsupported, (), Status.SKIP),), rule.id)
        if (rule.requires_keys is not None and self._fast and rule.check_in_context is None
                and not views.has_any(target.obj, rule.requires_keys)):
            return RuleResult(rule.name, Status.PASS, id=rule.id)  # what the check finds there: nothing
        try:
            if rule.check_in_context is not None:
                raw = list(rule.check_in_context(target, self.context))
            else:
                raw = list(rule.check(target))
        except Exception as e:  # a rule that crashes is an ERROR outcome, never a crash or a pass
            msg = f"rule could not be evaluated: {type(e).__name__}: {e}"
            return RuleResult(rule.name, Status.ERROR, (Violation(msg, target.path_prefix, Status.ERROR),), rule.id)
        except BaseException as e:
            # A native evaluator's panic (pyo3 raises PanicException, a BaseException) is the
            # rule's error too; interrupts, exits and OutOfTime go on up.
            if type(e).__name__ != "PanicException":
                raise
            msg = f"rule could not be evaluated: its native evaluator crashed: {e}"
            return RuleResult(rule.name, Status.ERROR, (Violation(msg, target.path_prefix, Status.ERROR),), rule.id)
        out: list[Violation] = []
        for v in raw:
            path = (*target.path_prefix, *v.path) if target.path_prefix else v.path
            status = v.status
            if status is Status.FAIL and resource.unknown and (
                resource.is_unknown(path) or (v.reads and resource.reads_unknown(_prefixed(target.path_prefix, v.reads)))
            ):
                status = Status.UNKNOWN
            if status is Status.UNKNOWN and (self.fail_on_unknown or rule.unknown == "fail"):
                out.append(Violation(f"{v.message} (known only after apply; an unknown value fails this rule)", path, action=v.action))
                continue
            out.append(Violation(v.message, path, status, action=v.action, unjudged=v.unjudged))
        if not out:
            return RuleResult(rule.name, Status.PASS, id=rule.id)
        status = max((v.status for v in out), key=lambda s: _RANK.get(s, 0))
        return RuleResult(rule.name, status, tuple(out), rule.id)

    def candidates(self, kind: str) -> tuple[CompiledRule, ...]:
        """Rules that can match a resource of this kind (their declared kinds), in rule order.

        A scan sees few distinct kinds, so the filter is computed once per kind; rules that do
        not declare plain kinds (globs, other dialects) are always candidates.
        """
        found = self._by_kind.get(kind)
        if found is None:
            controller = kind in workloads.POD_CONTROLLERS
            found = tuple(
                r
                for r in self.rules
                if r.kinds is None or kind in r.kinds or (r.pod_templates and controller)
            )
            self._by_kind[kind] = found
        return found

    def _in_context(self, resource: Resource) -> Resource:
        """The resource with what the context knows of it and it does not carry itself: its
        namespace's labels (from the Namespace objects judged together), the simulated request."""
        ctx = self.context
        labels = ctx.namespace_labels.get(resource.namespace) if resource.namespace_labels is None and resource.namespace else None
        request = ctx.request if resource.request is None else None
        if labels is None and request is None:
            return resource
        changes: dict[str, Any] = {}
        if labels is not None:
            changes["namespace_labels"] = labels
        if request is not None:
            changes["request"] = request
        return dataclasses.replace(resource, **changes)

    def results(self, resource: Resource) -> list[RuleResult]:
        """Every matching rule's outcome on the resource, PASS and SKIP included."""
        resource = self._in_context(resource)
        out = []
        views = _Views()
        for rule in self.candidates(resource.kind):
            r = self.judge(rule, resource, views)
            if r is not None:
                out.append(r)
        return out

    def evaluate(self, resource: Resource, budget: Budget | None = None) -> list[Finding]:
        """The findings on one resource; within `budget` (or the engine's `time_budget`)."""
        if budget is None and self.time_budget is not None:
            budget = Budget(self.time_budget)
        if budget is None:
            return list(self._findings(resource))
        return self._evaluate_within(resource, budget)

    def _evaluate_within(self, resource: Resource, budget: Budget) -> list[Finding]:
        resource = self._in_context(resource)
        ref = resource.ref()
        views = _Views()
        rules = self.candidates(resource.kind)
        out: list[Finding] = []
        done = 0
        dog = watchdog()
        try:
            dog.arm(budget.seconds)
            try:
                for rule in rules:
                    budget.current = rule.id
                    found = self._rule_findings(rule, resource, ref, views)
                    out.extend(found)
                    done += 1
            finally:
                dog.disarm()
        except OutOfTime:
            dog.disarm()
        budget.current = None
        if done == len(rules):
            return out
        spent = rules[done]
        budget.ran_out = spent.id
        out = [f for f in out if f.rule != spent.id]  # a half-judged rule's findings go
        out.append(self._error(spent, resource, ref, f"ran out of time: the resource's rules may take {budget.seconds:g} s"))
        unjudged = {spent.id}
        for rule in rules[done + 1:]:
            if self._target(rule, resource, views) is not None:
                unjudged.add(rule.id)
                out.append(self._error(
                    rule, resource, ref, f"not evaluated: the resource's time budget ({budget.seconds:g} s) ran out in rule {spent.id}"
                ))
        budget.unjudged = frozenset(unjudged)
        return out

    def _error(self, rule: CompiledRule, resource: Resource, ref: Any, message: str) -> Finding:
        return Finding(
            rule=rule.id, rule_name=rule.name if rule.name != rule.id else "", status=Status.ERROR,
            severity=rule.severity, action=rule.action, message=message, resource=ref, origin=resource.origin,
            dialect=rule.dialect,
        )

    def _findings(self, resource: Resource) -> Iterable[Finding]:
        resource = self._in_context(resource)
        ref = resource.ref()
        views = _Views()
        for rule in self.candidates(resource.kind):
            yield from self._rule_findings(rule, resource, ref, views)

    def _rule_findings(self, rule: CompiledRule, resource: Resource, ref: Any, views: _Views) -> list[Finding]:
        """The findings of one rule on a resource already in context."""
        out: list[Finding] = []
        result = self.judge(rule, resource, views)
        # A rule we cannot evaluate reports its skip (with the reason) on every match; a rule
        # that merely does not apply (preconditions) stays quiet.
        if result is not None and result.status is Status.PASS and self.record_passes:
            out.append(Finding(
                rule=rule.id, rule_name=rule.name if rule.name != rule.id else "", status=Status.PASS,
                severity=rule.severity, action=rule.action, message=f"validation rule '{rule.name}' passed.",
                resource=ref, origin=resource.origin, dialect=rule.dialect,
            ))
            return out
        if result is None or result.status is Status.PASS or (
                result.status is Status.SKIP and not rule.unsupported and not any(v.unjudged for v in result.violations)):
            return out
        waiver = self.waiver_for(rule, resource)
        action = rule.action_for(resource) if rule.action_for is not None else rule.action
        inline, note = waivers_mod.inline_waiver(
            {rule.id, rule.name}, action is Action.DENY, resource.annotations, self.inline_waivers
        )
        # Unknown namespace labels never exclude: the finding stands, and says why.
        unknown_ns = (
            f"labels of namespace {resource.namespace!r} unknown: its namespaceSelector did not exclude"
            if rule.namespace_labels and resource.namespace_labels is None and resource.namespace
            else None
        )
        for v in result.violations:
            if v.status is Status.PASS or (v.status is Status.SKIP and not rule.unsupported and not v.unjudged):
                continue
            status, reason, message = v.status, None, v.message
            severity = rule.severity
            act = v.action or action
            if status is Status.UNKNOWN:
                if rule.unknown == "warn":
                    act = Action.WARN
                else:
                    severity = Severity.INFO
            elif waiver is not None and status is Status.FAIL:
                status, reason = Status.WAIVED, f"{waiver.name}: {waiver.reason}"
            elif inline is not None and status is Status.FAIL:
                status, reason = Status.WAIVED, inline
            elif note is not None and status is Status.FAIL:
                message = f"{message} ({note})"
            if unknown_ns is not None:
                message = f"{message} ({unknown_ns})"
            out.append(Finding(
                rule=rule.id,
                rule_name=rule.name if rule.name != rule.id else "",
                status=status,
                severity=severity,
                action=act,
                message=message,
                resource=ref,
                origin=resource.origin,
                path=v.path,
                waiver=reason,
                dialect=rule.dialect,
            ))
        return out

    def waiver_for(self, rule: CompiledRule, resource: Resource) -> Waiver | None:
        """The first waiver naming the rule, by its id or by its name, for this resource."""
        for w in self.waivers:
            if w.covers(rule.id, rule.name, resource):
                return w
        return None


def with_defaults(resource: Resource, defaults: Mapping[str, Any] | None) -> Resource:
    """The resource with its provider-computed attributes set to the declared defaults.

    Only attributes in `resource.computed` (unknown, and left out of the configuration) are
    filled in; what a configuration writes as an expression stays unknown. Copies only the
    containers along each filled path: other rules keep seeing the plan as it is.
    """
    if not defaults:
        return resource
    filled: list[tuple[tuple[str | int, ...], Any]] = []
    for path in resource.computed:
        found, value = _default_at(defaults, path[1:])
        if found:
            filled.append((path, value))
    if not filled:
        return resource
    obj: Any = resource.obj
    for path, value in sorted(filled, key=lambda pv: len(pv[0])):
        obj = _set(obj, path, copy.deepcopy(value))
    gone = [p for p, _ in filled]
    unknown = frozenset(u for u in resource.unknown if not any(u[: len(p)] == p for p in gone))
    return dataclasses.replace(resource, obj=obj, unknown=unknown, computed=resource.computed & unknown)


def _default_at(tree: Any, steps: tuple[str | int, ...]) -> tuple[bool, Any]:
    node = tree
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or not node:
                return False, None
            node = node[0]  # one item stands for every block
        elif isinstance(node, Mapping) and step in node:
            node = node[step]
        else:
            return False, None
    return True, node


def _set(obj: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of `obj` with `value` at `path` (copying containers along the path only)."""
    if not path:
        return value
    step, rest = path[0], path[1:]
    if isinstance(obj, Mapping) and isinstance(step, str):
        out = dict(obj)
        out[step] = _set(obj.get(step), rest, value)
        return out
    if isinstance(obj, list) and isinstance(step, int) and 0 <= step < len(obj):
        items = list(obj)
        items[step] = _set(obj[step], rest, value)
        return items
    return obj  # the path does not exist in this object: nothing to fill
