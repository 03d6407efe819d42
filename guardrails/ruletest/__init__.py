"""Rule test files (`guardrails test`): one module per format, one result model for all.

Formats, by the test document's apiVersion group and kind:
  guardrails.dev/RuleTest          our own            guardrails.ruletest.native
  cli.kyverno.io/Test              kyverno-test.yaml  guardrails.ruletest.kyverno
  kyverno.io/Test                  (older Kyverno CLI files; also a `kyverno-test.yaml` with
                                   no apiVersion and kind, as Kyverno's CLI reads any file of that name)
  test.gatekeeper.sh/Suite         gator suite.yaml   guardrails.ruletest.gator
Each module has `run_file(path, doc, *, strict, locate, now) -> FileResult` (`now`: the
evaluation time of rules that read the clock, given by `guardrails test --now`).

A case is passed, failed or skipped; a skipped case (a row about something we do not judge,
such as Kyverno's `patchedResources`) is never counted as passed, and `--strict` fails it.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.errors import GuardrailsError
from guardrails.model import FieldPath, Location

__all__ = ["FORMATS", "LEGACY_KYVERNO_NAME", "CaseResult", "FileResult", "Locator", "locator"]

# (apiVersion group, kind) -> module
FORMATS: dict[tuple[str, str], str] = {
    ("guardrails.dev", "RuleTest"): "guardrails.ruletest.native",
    ("test.gatekeeper.sh", "Suite"): "guardrails.ruletest.gator",
    ("cli.kyverno.io", "Test"): "guardrails.ruletest.kyverno",
    ("kyverno.io", "Test"): "guardrails.ruletest.kyverno",
}
# Kyverno's CLI reads every file of this name as a test, whatever its apiVersion (files from
# before cli.kyverno.io/v1alpha1 have none).
LEGACY_KYVERNO_NAME = "kyverno-test.yaml"

Locator = Callable[[FieldPath], Location]


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
    # Not evaluated, with the reason in `detail`: never a pass; `--strict` makes it a failure.
    skipped: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    cases: tuple[CaseResult, ...] = ()
    errors: tuple[GuardrailsError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and all(c.ok for c in self.cases)


def locator(path: pathlib.Path, display: str, doc: Mapping[str, Any]) -> Locator:
    """Positions inside one test document of `path`, found only when an error needs one (the
    file is parsed again then, with node trees)."""

    def at(field: FieldPath) -> Location:
        from guardrails.sources import documents

        for d in documents.read_documents(path, display):
            if isinstance(d, documents.Document) and d.data == doc:
                return d.locate(field, display)
        return Location(display)

    return at
