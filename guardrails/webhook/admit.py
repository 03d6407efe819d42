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

from guardrails import Action, Finding, Severity, Status
from guardrails.model import ResourceRef
from guardrails.reporters.admission import Verdict, judge
from guardrails.sources.admission import ORIGIN, AdmissionRequest
from guardrails.webhook.rules import RuleBook

__all__ = ["Outcome", "decide", "outage"]

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
) -> Outcome:
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
    findings = engine.evaluate(resource)
    return Outcome(judge(request, findings, fail_open=fail_open, outages=outages), tuple(findings))
