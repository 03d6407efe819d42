"""Rule test files (`guardrails test`): one module per format, one result model for all.

Formats, by the test document's apiVersion group and kind:
  guardrails.dev/RuleTest          our own            guardrails.ruletest.native
  cli.kyverno.io/Test              kyverno-test.yaml  guardrails.ruletest.kyverno
  test.gatekeeper.sh/Suite         gator suite.yaml   guardrails.ruletest.gator
Each module has `run_file(path, doc, *, strict) -> FileResult`.
"""

from __future__ import annotations

import dataclasses

from guardrails.errors import GuardrailsError

__all__ = ["FORMATS", "CaseResult", "FileResult"]

# (apiVersion group, kind) -> module
FORMATS: dict[tuple[str, str], str] = {
    ("guardrails.dev", "RuleTest"): "guardrails.ruletest.native",
    ("test.gatekeeper.sh", "Suite"): "guardrails.ruletest.gator",
    ("cli.kyverno.io", "Test"): "guardrails.ruletest.kyverno",
}


@dataclasses.dataclass(frozen=True, slots=True)
class CaseResult:
    """One checked expectation: e.g. policy/rule on one resource, or one gator assertion."""

    name: str
    expected: str
    actual: str
    ok: bool
    detail: str = ""
    # Passed only because the rule did not apply to the resource (Kyverno's runner counts
    # such rows as passed); shown as such, and `--strict` turns them into failures.
    lenient: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    cases: tuple[CaseResult, ...] = ()
    errors: tuple[GuardrailsError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and all(c.ok for c in self.cases)
