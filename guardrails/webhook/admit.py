"""One admission request -> findings -> verdict. No I/O: the ASGI route around it does that.

Decides which rules look at the request (operation, sub-resource, excluded namespaces) and
judges the object with the same compiled rules and engine as `guardrails scan`, so pod
controllers' templates are checked exactly as a scan checks them.

Inline waiver annotations on the object never waive a `deny` rule here: the object's author
could otherwise lift any guardrail by annotating their own workload. Only `Exception`
documents loaded with the rules (written by the platform team) waive at admission.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from guardrails import Action, Engine, Finding, Resource, Severity, Status
from guardrails.budget import Budget
from guardrails.model import Enforcement, ResourceRef
from guardrails.reporters.admission import Verdict, judge
from guardrails.sources.admission import ORIGIN, AdmissionRequest
from guardrails.webhook.rules import RuleBook

__all__ = ["Outcome", "decide", "out_of_time", "outage"]

# A namespace's labels by name, or None when they cannot be known (see webhook.namespaces).
LabelSource = Callable[[str], Mapping[str, str] | None]


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict | None  # None: no rule looked at the request, plain allow
    findings: tuple[Finding, ...] = ()
    skipped: str = ""  # why no rule looked at it: excluded-namespace, no-rules, no-object


def outage(request: AdmissionRequest, message: str) -> Finding:
    """A decision the webhook could not make for reasons outside the object: the fail mode decides."""
    return Finding(
        rule="guardrails", status=Status.ERROR, severity=Severity.CRITICAL, action=Action.DENY, message=message,
        resource=ResourceRef("", request.kind, request.namespace, request.name), origin=ORIGIN,
    )


def decide(
    book: RuleBook,
    request: AdmissionRequest,
    *,
    excluded: frozenset[str],
    fail_open: bool,
    namespaces: LabelSource | None = None,
    budget: Budget | None = None,
    enforcement: Enforcement = Enforcement.ENFORCE,
) -> Outcome:
    """`budget`: the time the rules may take; running out is an outage naming the rule (the
    fail mode decides), while the deny rules that failed before it still deny (under
    `enforcement` enforce; warn and audit allow them, never the outage)."""
    if request.namespace and request.namespace in excluded:
        return Outcome(None, skipped="excluded-namespace")
    engine = book.engine(request.operation, request.sub_resource)
    if engine is None:
        return Outcome(None, skipped="no-rules")
    resource = request.resource()
    if resource is None:
        return Outcome(None, skipped="no-object")
    outages: list[Finding] = []
    if request.kind == "Namespace":
        # A Namespace's selector reads its own labels (the request carries them).
        resource = dataclasses.replace(resource, namespace_labels=resource.labels)
    elif namespaces is not None and request.namespace and (
        any(r.namespace_labels for r in engine.rules) or any(w.namespace_labels for w in engine.waivers)
    ):
        labels = namespaces(request.namespace)
        if labels is None:
            outages.append(outage(request, f"the labels of namespace {request.namespace!r} could not be resolved"))
        else:
            resource = dataclasses.replace(resource, namespace_labels=labels)
    findings = engine.evaluate(resource, budget)
    if budget is not None and budget.ran_out is not None:
        findings = _after_running_out(engine, resource, budget, findings)
        deadline = budget.deadline or budget.seconds
        outages.append(outage(request, out_of_time(deadline, budget.ran_out, len(budget.unjudged))))
    verdict = judge(request, findings, fail_open=fail_open, outages=outages, enforcement=enforcement)
    return Outcome(verdict, tuple(findings))


def _after_running_out(engine: Engine, resource: Resource, budget: Budget, findings: list[Finding]) -> list[Finding]:
    """The findings of the rules that had their time, plus those of the rules after the one that
    ran out, judged in the grace time left: a deny among them still denies, whatever the fail
    mode. What stays unjudged is in `budget.unjudged` (the caller's outage)."""
    spent = budget.ran_out
    unjudged = budget.unjudged
    kept = [f for f in findings if not (f.rule in unjudged and f.status is Status.ERROR)]
    rest = [r for r in engine.rules if r.id in unjudged and r.id != spent]
    if not rest or budget.grace <= 0:
        return kept
    second = Budget(budget.grace)
    later = Engine(rest, engine.waivers, context=engine.context, inline_waivers=engine.inline_waivers)
    more = later.evaluate(resource, second)
    if second.ran_out is None:
        budget.unjudged = frozenset({spent}) if spent else frozenset()
        return kept + more
    budget.unjudged = frozenset({*(x for x in [spent] if x), *second.unjudged})
    return kept + [f for f in more if not (f.rule in second.unjudged and f.status is Status.ERROR)]


def out_of_time(seconds: float, rule: str | None, unjudged: int = 1) -> str:
    """The outage message of a decision past its deadline."""
    where = f"rule {rule} was still running" if rule else "no evaluator was free"
    rest = f", {unjudged - 1} more not evaluated" if unjudged > 1 else ""
    return f"no decision within the {seconds:g} s deadline ({where}{rest})"
