"""ScanReport: the one thing reporters see. Exit codes are computed here, from results.

Reporters see rules only as RuleInfo (id and metadata), never the compiled rules.
"""

from __future__ import annotations

import collections
import dataclasses

from guardrails.errors import GuardrailsError, UnreadableError
from guardrails.model import Finding, RuleInfo, Severity, Status
from guardrails.waivers import Waiver

__all__ = ["ScanReport"]

# Outcomes that make a scan fail when their severity reaches --fail-on.
FAILING = frozenset({Status.FAIL, Status.ERROR})


@dataclasses.dataclass(frozen=True, slots=True)
class ScanReport:
    findings: tuple[Finding, ...]
    rules: tuple[RuleInfo, ...]
    files: int = 0
    resources: int = 0
    skipped_documents: int = 0  # documents that are not Kubernetes objects
    problems: tuple[GuardrailsError, ...] = ()  # malformed inputs: reported, the scan went on
    expired_waivers: tuple[Waiver, ...] = ()
    seconds: float = 0.0
    root: str = "."  # artifact paths are shown relative to this
    baselined: int = 0  # findings left out because a --baseline file already records them
    notices: tuple[str, ...] = ()  # inputs not read, with why ("x/fifo: a named pipe: skipped")
    skipped_templates: int = 0  # Helm template files not scanned (charts not rendered)

    def rule(self, rule_id: str) -> RuleInfo | None:
        """The rule a finding names (Finding.rule is the rule's id)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None

    def counts_by_severity(self) -> dict[Severity, int]:
        c = collections.Counter(f.severity for f in self.findings if f.status in FAILING)
        return {s: c.get(s, 0) for s in sorted(Severity, reverse=True)}

    def counts_by_status(self) -> dict[Status, int]:
        c = collections.Counter(f.status for f in self.findings)
        return dict(c)

    def failing(self, fail_on: Severity) -> list[Finding]:
        return [f for f in self.findings if f.status in FAILING and f.severity >= fail_on]

    def exit_code(self, fail_on: Severity = Severity.INFO) -> int:
        """0 nothing at or above `fail_on`; 1 findings (or inputs that could not be parsed);
        2 an input could not be read at all (the README's exit-code table)."""
        if any(isinstance(p, UnreadableError) for p in self.problems):
            return 2
        if self.problems or self.failing(fail_on):
            return 1
        return 0
