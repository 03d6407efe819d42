"""ScanReport: the one thing reporters see. Exit codes are computed here, from results.

Reporters see rules only as RuleInfo (id and metadata), never the compiled rules.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable

from guardrails.errors import GuardrailsError, UnreadableError
from guardrails.model import Finding, RuleInfo, Severity, Status
from guardrails.waivers import Waiver

__all__ = ["RuleSkip", "ScanReport", "split_skips"]

# Outcomes that make a scan fail when their severity reaches --fail-on.
FAILING = frozenset({Status.FAIL, Status.ERROR})


@dataclasses.dataclass(frozen=True, slots=True)
class RuleSkip:
    """A rule that could not be evaluated where it matched (a kind or rule type we cannot
    evaluate): shown once per rule by every reporter, never a pass; `--fail-on-skip` fails on it."""

    rule: str  # the rule's id
    resources: int  # how many resources it matched and did not judge
    reason: str

    def text(self) -> str:
        n = self.resources
        return f"rule {self.rule} was not evaluated on {n} matching resource{'s' if n != 1 else ''}: {self.reason}"


def split_skips(findings: Iterable[Finding]) -> tuple[tuple[Finding, ...], tuple[RuleSkip, ...]]:
    """The findings that judged something, and the SKIPs counted once per rule (by rule id)."""
    judged: list[Finding] = []
    counts: collections.Counter[str] = collections.Counter()
    reasons: dict[str, str] = {}
    for f in findings:
        if f.status is Status.SKIP:
            counts[f.rule] += 1
            reasons.setdefault(f.rule, f.message)
        else:
            judged.append(f)
    return tuple(judged), tuple(RuleSkip(r, n, reasons[r]) for r, n in sorted(counts.items()))


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
    # Those findings themselves, for the formats that carry them marked as known (SARIF's
    # baselineState "unchanged"), and the baseline file's path ("" when no baseline was used).
    baselined_findings: tuple[Finding, ...] = ()
    baseline: str = ""
    notices: tuple[str, ...] = ()  # inputs not read, with why ("x/fifo: a named pipe: skipped")
    skipped_templates: int = 0  # Helm template files not scanned (charts not rendered)
    skipped_patches: int = 0  # files a kustomization names as patches or configurations (not rendered)
    # Rules that matched and could not be evaluated: never among `findings` (see split_skips).
    skipped_rules: tuple[RuleSkip, ...] = ()
    # Rules each resource satisfied, one PASS finding per rule and resource; only when the scan
    # was asked to record them (PolicyReports), never among `findings`.
    passed: tuple[Finding, ...] = ()
    rule_sets: tuple[str, ...] = ()  # where the rules came from: "built-in default, baseline", rules paths

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

    def exit_code(self, fail_on: Severity = Severity.INFO, *, fail_on_skip: bool = False) -> int:
        """0 nothing at or above `fail_on`; 1 findings (or inputs that could not be parsed, or
        with `fail_on_skip` a rule that could not be evaluated); 2 an input could not be read at
        all (the README's exit-code table)."""
        if any(isinstance(p, UnreadableError) for p in self.problems):
            return 2
        if self.problems or self.failing(fail_on) or (fail_on_skip and self.skipped_rules):
            return 1
        return 0
