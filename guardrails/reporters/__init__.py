"""Reporters: one tiny module per output format behind the FORMATS table.

Every writer has the signature `write(report, stream, options) -> None` and sees only the
ScanReport; the same table feeds `guardrails scan --help`.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import IO

from guardrails.model import Severity
from guardrails.report import ScanReport

__all__ = ["FORMATS", "ReportOptions", "Writer", "get"]


@dataclasses.dataclass(frozen=True, slots=True)
class ReportOptions:
    fail_on: Severity = Severity.INFO
    color: bool = False
    # Run category: SARIF automationDetails.id, JUnit suite name suffix (e.g. "shard-1-of-4").
    category: str = ""
    quiet: bool = False  # text: findings and errors only, no notices or summary (--quiet)


Writer = Callable[[ScanReport, IO[str], ReportOptions], None]

# format name -> (module, one-line description for --help)
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("guardrails.reporters.text", "findings grouped by file, for people (default)"),
    "json": ("guardrails.reporters.json", "every finding and the summary, for programs"),
    "sarif": ("guardrails.reporters.sarif", "SARIF 2.1.0 for GitHub code scanning"),
    "junit": ("guardrails.reporters.junit", "JUnit XML for CI dashboards (GitLab, Jenkins, Azure)"),
    "github": ("guardrails.reporters.github", "GitHub Actions annotations on the pull request's lines"),
    "html": ("guardrails.reporters.html", "one self-contained HTML page, filterable by severity"),
    "policyreport": ("guardrails.reporters.policyreport", "wgpolicyk8s.io PolicyReports (kubectl apply -f), as Kyverno writes them"),
}


def get(name: str) -> Writer:
    module, _ = FORMATS[name]
    writer: Writer = importlib.import_module(module).write
    return writer
