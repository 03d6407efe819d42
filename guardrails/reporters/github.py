"""`--format github`: GitHub Actions workflow commands, so findings show as annotations on the
pull request's lines, and a Markdown step summary.

Findings at or above `--fail-on` are `::error`, the rest `::warning`; waived and
not-yet-known outcomes are `::notice`. GitHub keeps 10 annotations of each type per step and
drops the rest without a word, so each type is capped at 10 here, the most severe first
(unreadable inputs before findings), and one notice says how many more there are; those are
still printed as plain log lines, and every finding is in the step summary's counts.

Values are escaped as the runner expects: `%`, CR and LF in messages, and also `:` and `,` in
properties; control characters are visible escapes (common.terminal_safe), and plain lines start
with `guardrails:`, so no name or message can forge a command.

When `$GITHUB_STEP_SUMMARY` names a file, a Markdown summary is appended to it: totals by
severity and by rule (linked to the rule's docs), waived and baselined findings apart, and the
worst findings.
"""

from __future__ import annotations

import collections
import dataclasses
import html
import os
import re
from typing import IO

from guardrails.errors import UnreadableError
from guardrails.model import Finding, Status, remediation_parts
from guardrails.report import FAILING, ScanReport
from guardrails.reporters import ReportOptions, common

__all__ = ["CAP", "escape_data", "escape_property", "markdown_summary", "write"]

CAP = 10  # annotations GitHub keeps per type per step
WORST = 20  # findings listed in the step summary
_TYPES = ("error", "warning", "notice")


def escape_data(text: str) -> str:
    return common.terminal_safe(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclasses.dataclass(frozen=True, slots=True)
class _Annotation:
    kind: str  # error, warning, notice
    rank: tuple[int, int]  # lower first: (group, -severity); the report order breaks ties
    command: str
    plain: str  # the same as a log line, for one past the cap


def _level(f: Finding, options: ReportOptions) -> str:
    if f.status not in FAILING:
        return "notice"
    return "error" if f.severity >= options.fail_on else "warning"


def _finding(report: ScanReport, f: Finding, options: ReportOptions) -> _Annotation:
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
        lines.append(f"remediation: {remediation_parts(rule.remediation)[0]}")
    plain = common.terminal_safe(f"guardrails: {cmd} {loc} {title}: {f.resource}: {f.message}")
    return _Annotation(cmd, (1, -int(f.severity)), f"::{cmd} {','.join(props)}::{escape_data(chr(10).join(lines))}", plain)


def _others(report: ScanReport) -> list[_Annotation]:
    out = []
    for p in report.problems:  # an unreadable input outranks every finding
        props = ""
        if p.location is not None:
            parts = [f"file={escape_property(common.artifact_path(report, p.location.path))}"]
            if p.location.line > 0:
                parts.append(f"line={p.location.line}")
            props = " " + ",".join([*parts, "title=guardrails could not read this input"])
        plain = common.terminal_safe(f"guardrails: error {p.render()}")
        out.append(_Annotation("error", (0, 0), f"::error{props}::{escape_data(p.message)}", plain))
    for skip in report.skipped_rules:  # one warning per rule, not one per resource
        text = skip.text()
        cmd = f"::warning title=guardrails skipped a rule::{escape_data(text)}"
        out.append(_Annotation("warning", (0, 0), cmd, common.terminal_safe(f"guardrails: warning {text}")))
    for w in report.expired_waivers:
        when = w.expires.isoformat() if w.expires else "?"
        text = f"exception {w.name!r} expired on {when}"
        cmd = f"::warning title=expired exception::{escape_data(text)}"
        out.append(_Annotation("warning", (0, 0), cmd, common.terminal_safe(f"guardrails: warning {text}")))
    return out


def _select(annotations: list[_Annotation]) -> tuple[list[_Annotation], list[_Annotation]]:
    """(annotated, left over): the first CAP of each type by rank; with anything left over, one
    notice slot is kept for the line that says so."""
    by_kind: dict[str, list[_Annotation]] = {k: [] for k in _TYPES}
    for a in annotations:
        by_kind[a.kind].append(a)
    for items in by_kind.values():
        items.sort(key=lambda a: a.rank)  # stable: the report's order within a rank
    over = any(len(items) > CAP for items in by_kind.values())
    shown: list[_Annotation] = []
    rest: list[_Annotation] = []
    for kind in _TYPES:
        room = CAP - 1 if over and kind == "notice" else CAP
        shown += by_kind[kind][:room]
        rest += by_kind[kind][room:]
    return shown, rest


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    annotations = _others(report) + [_finding(report, f, options) for f in common.sorted_findings(report)]
    shown, rest = _select(annotations)
    for a in shown:
        stream.write(a.command + "\n")
    if rest:
        counts = collections.Counter(a.kind for a in rest)
        detail = ", ".join(f"{counts[k]} {k}{'s' if counts[k] != 1 else ''}" for k in _TYPES if counts[k])
        stream.write(
            f"::notice title={escape_property(f'guardrails: {len(rest)} more not annotated')}::"
            f"{escape_data(f'GitHub shows {CAP} annotations of each type per step; {len(rest)} more ({detail}) are listed in this log and counted in the step summary')}\n"
        )
        for a in rest:
            stream.write(a.plain + "\n")
    failing = len(report.failing(options.fail_on))
    stream.write(
        f"guardrails: {common.counted(failing, 'failing finding')} (--fail-on {options.fail_on}), "
        f"{common.counted(len(report.findings), 'finding')} in {common.counted(report.resources, 'resource')} "
        f"from {common.counted(report.files, 'file')}"
        + (f", {report.baselined} baselined" if report.baselined else "")
        + (f", {common.counted(len(report.skipped_rules), 'rule')} skipped" if report.skipped_rules else "")
        + "\n"
    )
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:  # the runner's file: appended, as steps do
            fh.write(markdown_summary(report, options))


# Markdown and HTML that an attacker's text could use to make links, images or tables.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def _md(text: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", html.escape(common.terminal_safe(str(text)), quote=False))


def markdown_summary(report: ScanReport, options: ReportOptions) -> str:
    """The step summary: what failed, by severity and by rule, and the worst findings."""
    failing = [f for f in report.findings if f.status in FAILING]
    over = report.failing(options.fail_on)
    out = ["## guardrails scan", ""]
    out.append(
        f"**{common.counted(len(over), 'failing finding')}** at `--fail-on {options.fail_on}` or above"
        f" · {len(failing)} failing in all · {common.counted(report.resources, 'resource')} in "
        f"{common.counted(report.files, 'file')} · {common.counted(len(report.rules), 'rule')}"
    )
    apart = collections.Counter(f.status for f in report.findings if f.status not in FAILING)
    extra = [f"{n} {s}" for s, n in sorted(apart.items(), key=lambda kv: str(kv[0]))]
    if report.baselined:
        extra.append(f"{report.baselined} baselined")
    if report.skipped_rules:
        extra.append(f"{common.counted(len(report.skipped_rules), 'rule')} skipped")
    if report.problems:
        unreadable = sum(isinstance(p, UnreadableError) for p in report.problems)
        if unreadable:
            extra.append(f"{common.counted(unreadable, 'input')} unreadable")
        if len(report.problems) > unreadable:
            extra.append(f"{common.counted(len(report.problems) - unreadable, 'input')} malformed")
    if extra:
        out.append("")
        out.append("Not counted above: " + ", ".join(extra) + ".")
    out += ["", "| severity | failing |", "|---|---:|"]
    out += [f"| {s} | {n} |" for s, n in report.counts_by_severity().items()]
    by_rule = collections.Counter(f.rule for f in failing)
    if by_rule:
        out += ["", "### By rule", "", "| rule | severity | failing |", "|---|---|---:|"]
        for rule_id, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            rule = report.rule(rule_id)
            docs = common.rule_docs(rule)
            name = f"[{_md(rule_id)}]({docs})" if docs else _md(rule_id)
            sev = rule.severity if rule else next(f.severity for f in failing if f.rule == rule_id)
            out.append(f"| {name} | {sev} | {n} |")
    if failing:
        worst = sorted(failing, key=lambda f: -int(f.severity))[:WORST]  # stable: report order within a severity
        out += ["", f"### Worst findings ({len(worst)} of {len(failing)})", "",
                "| severity | rule | resource | where | message |", "|---|---|---|---|---|"]
        for f in worst:
            where = common.position(report, f)
            out.append(f"| {f.severity} | {_md(f.rule)} | {_md(f.resource)} | {_md(where)} | {_md(f.message)} |")
    for skip in report.skipped_rules:
        out.append("")
        out.append(f"Skipped: {_md(skip.text())}")
    return "\n".join(out) + "\n\n"
