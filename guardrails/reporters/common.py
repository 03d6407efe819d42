"""What several reporters share: where a finding points, relative to the report root, and a
stable order. Reporters are an edge: resolving paths against the working directory is fine here.
"""

from __future__ import annotations

import os
import pathlib
import re
from collections.abc import Iterable

from guardrails.kube import paths
from guardrails.model import Finding, Location, RuleInfo, Status, is_link
from guardrails.report import ScanReport
from guardrails.version import RULE_DOCS

__all__ = [
    "artifact_path",
    "counted",
    "field",
    "line_safe",
    "position",
    "rule_docs",
    "sorted_findings",
    "status_label",
    "terminal_safe",
]

# What a terminal or a CI log would act on rather than show: C0 controls but tab (newlines start
# lines an attacker chooses, ESC starts terminal sequences), DEL, C1 controls, the Unicode line
# and paragraph separators and the bidirectional overrides (text shown in another order than
# it reads), and lone surrogates from undecodable file names.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Lines a CI runner reads as commands (GitHub's `::`, Azure's `##vso[`, the old `##[`), after
# leading blanks, which the runner trims.
_COMMAND_START = re.compile(r"^(\s*)(::|##)")


def counted(count: int, one: str, many: str = "") -> str:
    """`1 file`, `2 files`: a count in the summaries' words."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` (an attacker may have chosen it: file, resource and rule names, messages) with the
    characters a terminal or log would act on written as visible `\\xNN` / `\\uNNNN` escapes: it
    stays on its line and moves no cursor."""
    return _CONTROL.sub(_visible, text)


def line_safe(text: str) -> str:
    """`terminal_safe`, and a value that starts a line of output never starts with a CI
    runner's command marker (its first `:` or `#` is escaped)."""
    return _COMMAND_START.sub(lambda m: f"{m.group(1)}\\x{ord(m.group(2)[0]):02x}{m.group(2)[1:]}", terminal_safe(text))

# Paths that name no file on disk: kept as they are.
_PSEUDO = ("-", "<admission>", "<stdin>")


def artifact_path(report: ScanReport, path: str) -> str:
    """`path` relative to `report.root`, with forward slashes, or unchanged when it is no file
    or lies outside the root."""
    if not path or path in _PSEUDO or path.startswith("<"):
        return path
    root = os.path.abspath(report.root)
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive on Windows
        return pathlib.PurePath(path).as_posix()
    if rel.startswith(".."):
        return pathlib.PurePath(path).as_posix()
    return pathlib.PurePath(rel).as_posix()


def position(report: ScanReport, finding: Finding) -> Location:
    """The finding's file position, relative to the root; line 0 when unknown (plan files)."""
    loc = finding.location
    if loc is None:
        return Location(artifact_path(report, finding.origin.path), 0, 0)
    return Location(artifact_path(report, loc.path), loc.line, loc.column)


def field(finding: Finding) -> str:
    """The field path as users write it (HCL for a Terraform plan's resources, with the address)."""
    shown = finding.field or paths.display(finding.path)
    if finding.origin.address:
        return f"{finding.origin.address}: {shown}" if shown else finding.origin.address
    return shown


def sorted_findings(report: ScanReport, findings: Iterable[Finding] | None = None) -> list[Finding]:
    """File, line, column, rule: the order every reporter shows findings in."""

    def key(f: Finding) -> tuple[str, int, int, str, str, str]:
        loc = position(report, f)
        return (loc.path, loc.line, loc.column, f.rule, str(f.resource), f.message)

    return sorted(report.findings if findings is None else findings, key=key)


_LABELS = {
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.WAIVED: "WAIVED",
    Status.UNKNOWN: "UNKNOWN",
    Status.SKIP: "SKIP",
    Status.PASS: "PASS",
}


def status_label(status: Status) -> str:
    return _LABELS[status]


def rule_docs(rule: RuleInfo | None) -> str | None:
    """Where a person reads about the rule: a built-in rule's section of docs/rules.md (its
    heading is the rule's name, so GitHub's anchor is the name), else the rule's own first
    link; None when the rule names none."""
    if rule is None:
        return None
    if rule.source is not None and rule.source.path.startswith("builtin:"):
        return f"{RULE_DOCS}#{rule.name}"
    return next((ref for ref in rule.references if is_link(ref)), None)
