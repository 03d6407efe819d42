"""Findings grouped by file, coloured on a terminal, then one summary line.

Every name and message is escaped (common.terminal_safe): a file, resource or message an
attacker chose cannot move the cursor, colour the terminal, or start a line a CI runner reads as
a workflow command (`::error ...`), since lines it begins are common.line_safe too.
"""

from __future__ import annotations

from typing import IO

from guardrails.errors import UnreadableError
from guardrails.kube.paths import display as show_path
from guardrails.model import Finding, Severity, Status, remediation_parts
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions
from guardrails.reporters.common import counted, line_safe, terminal_safe

__all__ = ["summary_line", "write"]

_SEV_COLOR = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_DIM, _BOLD, _RESET = "\033[2m", "\033[1m", "\033[0m"


def _c(text: str, code: str, on: bool) -> str:
    return f"{code}{text}{_RESET}" if on else text


def _where(f: Finding) -> str:
    if f.origin.address:
        return line_safe(f.origin.address)
    if f.location and f.location.line:
        return f"{f.location.line}:{f.location.column}"
    return f"{f.origin.line}:1"


def _label(f: Finding) -> str:
    if f.status is Status.FAIL:
        return str(f.severity)
    return str(f.status)


def summary_line(report: ScanReport) -> str:
    failing = [f for f in report.findings if f.status in (Status.FAIL, Status.ERROR)]
    counts = report.counts_by_severity()
    by_sev = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    files_hit = len({f.origin.path for f in failing})
    parts = [
        counted(len(failing), "finding") + (f" ({by_sev})" if by_sev else ""),
        f"in {files_hit} of {counted(report.files, 'file')}",
    ]
    line = " ".join(parts)
    sets = f" ({'; '.join(report.rule_sets)})" if report.rule_sets else ""
    extra = [counted(report.resources, "resource"), counted(len(report.rules), "rule") + sets]
    others = report.counts_by_status()
    for status in (Status.WAIVED, Status.UNKNOWN):
        if others.get(status):
            extra.append(f"{others[status]} {status}")
    if report.baselined:
        extra.append(f"{report.baselined} baselined")
    skipped = report.skipped_rules
    if skipped:
        extra.append(counted(len(skipped), "rule") + " skipped")
    if report.skipped_documents:
        extra.append(counted(report.skipped_documents, "non-Kubernetes document") + " skipped")
    if report.skipped_templates:
        extra.append(counted(report.skipped_templates, "Helm template") + " skipped (not rendered)")
    if report.skipped_patches:
        extra.append(counted(report.skipped_patches, "kustomize patch", "kustomize patches") + " skipped (not rendered)")
    # The exit codes tell the two apart (README): unreadable fails the run, malformed is exit 1.
    unreadable = sum(isinstance(p, UnreadableError) for p in report.problems)
    if unreadable:
        extra.append(f"{unreadable} unreadable")
    if len(report.problems) > unreadable:
        extra.append(f"{len(report.problems) - unreadable} malformed")
    extra.append(f"{report.seconds:.2f}s")
    return line + " · " + " · ".join(extra)


def _group(report: ScanReport) -> dict[str, tuple[list[Finding], list[str]]]:
    groups: dict[str, tuple[list[Finding], list[str]]] = {}
    for f in report.findings:
        groups.setdefault(f.origin.path, ([], []))[0].append(f)
    for p in report.problems:
        path = p.location.path if p.location else "-"
        groups.setdefault(path, ([], []))[1].append(terminal_safe(p.render().removeprefix(f"{path}:")))
    return groups


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    color = options.color
    for path, (findings, problems) in _group(report).items():
        stream.write(_c(line_safe(path), _BOLD, color) + "\n")
        for msg in problems:
            stream.write(f"  {_c('error', _SEV_COLOR[Severity.HIGH], color)}  {msg.strip()}\n")
        for f in findings:
            _write_finding(f, report, stream, color)
        stream.write("\n")
    if options.quiet:
        return  # --quiet: findings and errors only; the exit code still tells the rest
    for skip in report.skipped_rules:
        count = skip.resources
        plural = "s" if count != 1 else ""
        reason = terminal_safe(skip.reason)
        stream.write(f"{_c('skipped', _DIM, color)}  {terminal_safe(skip.rule)} on {count} resource{plural}: {reason}\n")
    for n in report.notices:
        stream.write(f"notice: {terminal_safe(n)}\n")
    for w in report.expired_waivers:
        name, source = terminal_safe(repr(w.name)), terminal_safe(str(w.source))
        stream.write(f"expired exception {name} ({source}) expired on {w.expires}: it no longer applies\n")
    stream.write(summary_line(report) + "\n")


def _write_finding(f: Finding, report: ScanReport, stream: IO[str], color: bool) -> None:
    label = _label(f)
    code = _SEV_COLOR.get(f.severity, "") if f.status is Status.FAIL else _DIM
    rule_id, resource = terminal_safe(f.rule), terminal_safe(str(f.resource))
    head = f"  {_where(f):<8} {_c(f'{label:<8}', code, color)} {_c(rule_id, _BOLD, color)}  {resource}"
    stream.write(head + "\n")
    stream.write(f"           {line_safe(f.message)}")
    if f.field or f.path:
        stream.write(_c(f"  ({terminal_safe(f.field or show_path(f.path))})", _DIM, color))
    stream.write("\n")
    if f.origin.module_source:
        module = f"{terminal_safe(f.origin.module or '')} from {terminal_safe(f.origin.module_source)}"
        stream.write(_c(f"           module: {module}", _DIM, color) + "\n")
    if f.waiver:
        stream.write(_c(f"           waived: {terminal_safe(f.waiver)}", _DIM, color) + "\n")
    rule = report.rule(f.rule)
    if rule is not None and rule.remediation and f.status is Status.FAIL:
        # the rule author's prose, folded onto the one line; the HCL to write is in `rules show`
        stream.write(_c(f"           fix: {terminal_safe(remediation_parts(rule.remediation)[0])}", _DIM, color) + "\n")


