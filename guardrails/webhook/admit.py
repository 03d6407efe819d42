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

from guardrails import Finding
from guardrails.reporters.admission import Verdict, judge
from guardrails.sources.admission import AdmissionRequest
from guardrails.webhook.rules import RuleBook

__all__ = ["Outcome", "decide"]

@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict | None  # None: no rule looked at the request, plain allow
    findings: tuple[Finding, ...] = ()
    skipped: str = ""  # why no rule looked at it: excluded-namespace, no-rules, no-object


def decide(
    book: RuleBook, request: AdmissionRequest, *, excluded: frozenset[str], fail_open: bool
) -> Outcome:
    if request.namespace and request.namespace in excluded:
        return Outcome(None, skipped="excluded-namespace")
    engine = book.engine(request.operation, request.sub_resource)
    if engine is None:
        return Outcome(None, skipped="no-rules")
    resource = request.resource()
    if resource is None:
        return Outcome(None, skipped="no-object")
    findings = engine.evaluate(resource)
    return Outcome(judge(request, findings, fail_open=fail_open), tuple(findings))
