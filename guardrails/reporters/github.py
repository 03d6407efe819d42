"""`--format github`: GitHub Actions workflow commands, so findings show as annotations on the
pull request's lines.

Findings at or above `--fail-on` are `::error`, the rest `::warning`; waived and
not-yet-known outcomes are `::notice`. Values are escaped as the runner expects: `%`, CR and LF
in messages, and also `:` and `,` in properties.
"""

from __future__ import annotations

from typing import IO

from guardrails.model import Finding, Status
from guardrails.report import FAILING, ScanReport
from guardrails.reporters import ReportOptions, common

__all__ = ["escape_data", "escape_property", "write"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _level(f: Finding, options: ReportOptions) -> str:
    if f.status not in FAILING:
        return "notice"
    return "error" if f.severity >= options.fail_on else "warning"


def _command(report: ScanReport, f: Finding, options: ReportOptions) -> str:
    cmd = _level(f, options)
    loc = common.position(report, f)
    props = [f"file={escape_property(loc.path)}"]
    if loc.line > 0:
        props.append(f"line={loc.line}")
        if loc.column > 0:
            props.append(f"col={loc.column}")
    rule = report.rule(f.rule)
    title = f"{f.rule} ({f.severity})"
    if f.status is not Status.FAIL:
        title += f" {str(f.status).upper()}"
    props.append(f"title={escape_property(title)}")
    lines = [f"{f.resource}: {f.message}"]
    field = common.field(f)
    if field:
        lines.append(f"field: {field}")
    if f.status is Status.WAIVED:
        lines.append(f"waived: {f.waiver}")
    elif rule and rule.remediation:
        lines.append(f"remediation: {rule.remediation}")
    return f"::{cmd} {','.join(props)}::{escape_data(chr(10).join(lines))}"


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    for f in common.sorted_findings(report):
        stream.write(_command(report, f, options) + "\n")
    for skip in report.skipped_rules:  # one warning per rule, not one per resource
        stream.write(f"::warning title=guardrails skipped a rule::{escape_data(skip.text())}\n")
    for p in report.problems:
        props = ""
        if p.location is not None:
            parts = [f"file={escape_property(common.artifact_path(report, p.location.path))}"]
            if p.location.line > 0:
                parts.append(f"line={p.location.line}")
            props = " " + ",".join([*parts, "title=guardrails could not read this input"])
        stream.write(f"::error{props}::{escape_data(p.message)}\n")
    for w in report.expired_waivers:
        when = w.expires.isoformat() if w.expires else "?"
        stream.write(f"::warning title=expired exception::{escape_data(f'exception {w.name!r} expired on {when}')}\n")
    failing = len(report.failing(options.fail_on))
    stream.write(
        f"guardrails: {failing} failing findings (--fail-on {options.fail_on}), "
        f"{len(report.findings)} findings in {report.resources} resources from {report.files} files"
        + (f", {report.baselined} baselined" if report.baselined else "")
        + (f", {len(report.skipped_rules)} rules skipped" if report.skipped_rules else "")
        + "\n"
    )
