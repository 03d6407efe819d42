"""`--format junit`: JUnit XML as GitLab, Jenkins and Azure Pipelines read it.

One test suite per file, one test case per resource and rule: a FAIL is a <failure>, a rule that
could not be evaluated an <error>, a waived or not-yet-known outcome a <skipped> that says why.
A rule we cannot evaluate (a kind or rule type guardrails does not run) is one <skipped> case of
the suite "rules not evaluated", with the resources it matched and why.
Each failure lists every violation with its location. An unreadable input is an <error> case of
its own file. A clean scan still has one passing case, so dashboards show a green run.

Only the attributes Jenkins' strict xunit schema (junit-10.xsd) allows are written: the file is
the suite's `file` (a test case has none), and the skipped total is on each suite, not on
<testsuites>. Characters XML 1.0 forbids (control characters, lone surrogates from undecodable
file names) are written as visible `\\xNN` / `\\uNNNN` escapes, so the document always parses.
"""

from __future__ import annotations

import collections
import re
import secrets
from collections.abc import Iterator
from typing import IO
from xml.etree import ElementTree as ET

from guardrails.model import Finding, Location, Status, remediation_parts
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, common

__all__ = ["write"]


# Everything outside XML 1.0's Char production (tabs, newlines and CR are allowed).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """`text` with the characters XML cannot carry replaced by their escapes (never dropped
    silently: a control character in a file name is worth seeing)."""
    return _ILLEGAL.sub(_visible, text)


# outcome element -> the suite attribute that counts it
_COUNTER = {"failure": "failures", "error": "errors", "skipped": "skipped"}


def _case_outcome(report: ScanReport, case: ET.Element, findings: list[Finding]) -> str:
    """Fill the case's outcome element; returns 'failure', 'error' or 'skipped'."""
    statuses = {f.status for f in findings}
    lines = []
    for f in findings:
        where = common.position(report, f)
        field = common.field(f)
        lines.append(f"{where}: [{f.status}] {f.message}" + (f" ({field})" if field else ""))
        if f.status is Status.WAIVED:
            lines.append(f"  waived: {f.waiver}")
    rule = report.rule(findings[0].rule)
    if rule and rule.remediation and statuses & {Status.FAIL, Status.ERROR}:
        lines.append(f"remediation: {remediation_parts(rule.remediation)[0]}")
    body = "\n".join(lines)
    first = findings[0]
    if Status.FAIL in statuses:
        fails = [f for f in findings if f.status is Status.FAIL]
        el = ET.SubElement(case, "failure", message=fails[0].message, type=str(first.severity))
        el.text = body
        return "failure"
    if Status.ERROR in statuses:
        errs = [f for f in findings if f.status is Status.ERROR]
        el = ET.SubElement(case, "error", message=errs[0].message, type="error")
        el.text = body
        return "error"
    if Status.WAIVED in statuses:
        ET.SubElement(case, "skipped", message=f"waived: {first.waiver}")
    else:
        ET.SubElement(case, "skipped", message="the outcome is known only after apply")
    ET.SubElement(case, "system-out").text = body
    return "skipped"


def _outcome(findings: list[Finding]) -> str:
    """The outcome element a case of these findings gets (as `_case_outcome` writes it)."""
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses:
        return "failure"
    return "error" if Status.ERROR in statuses else "skipped"


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    """Counted first (the totals lead the document), then written one suite at a time, so the
    element tree of a large report is never held whole."""
    name = "guardrails" + (f" ({options.category})" if options.category else "")
    by_file: dict[str, dict[tuple[str, str], list[Finding]]] = collections.defaultdict(dict)
    for f in common.sorted_findings(report):
        path = common.position(report, f).path
        by_file[path].setdefault((str(f.resource), f.rule), []).append(f)
    problems: dict[str, list[str]] = collections.defaultdict(list)
    for p in report.problems:
        path = common.artifact_path(report, p.location.path) if p.location else "<input>"
        where = Location(path, p.location.line, p.location.column) if p.location else None
        problems[path].append(f"{where}: {p.message}" if where else p.message)
    paths = sorted(set(by_file) | set(problems))
    totals = collections.Counter[str]()
    for path in paths:
        cases = by_file.get(path, {})
        totals["tests"] += len(cases) + len(problems.get(path, []))
        totals["errors"] += len(problems.get(path, []))
        for findings in cases.values():
            totals[_COUNTER[_outcome(findings)]] += 1
    totals["tests"] += len(report.skipped_rules)
    clean = not totals["tests"]

    root = ET.Element("testsuites", name=name)
    for key in ("tests", "failures", "errors"):  # no `skipped` here: the strict schema has none
        root.set(key, str(totals[key] or (1 if clean and key == "tests" else 0)))
    token = f"guardrails-stream-{secrets.token_hex(8)}"
    ET.SubElement(root, token)
    ET.indent(root)
    head, _, tail = ET.tostring(root, encoding="unicode").partition(f"<{token} />")
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    # Illegal characters cannot be part of the markup ElementTree writes: escaping them in the
    # serialised text is the same as escaping every text and attribute value.
    stream.write(xml_safe(head))
    first = True
    for suite in _suites(report, paths, by_file, problems, clean):
        ET.indent(suite, level=1)
        stream.write(("" if first else "\n  ") + xml_safe(ET.tostring(suite, encoding="unicode")))
        first = False
    stream.write(tail)
    stream.write("\n")


def _suites(
    report: ScanReport,
    paths: list[str],
    by_file: dict[str, dict[tuple[str, str], list[Finding]]],
    problems: dict[str, list[str]],
    clean: bool,
) -> Iterator[ET.Element]:
    for path in paths:
        suite = ET.Element("testsuite", name=path, file=path)
        counts = collections.Counter[str]()
        for (ref, rule), findings in by_file.get(path, {}).items():
            case = ET.SubElement(suite, "testcase", name=f"{rule} {ref}", classname=ref)
            counts["tests"] += 1
            outcome = _case_outcome(report, case, findings)
            counts[_COUNTER[outcome]] += 1
        for text in problems.get(path, []):
            case = ET.SubElement(suite, "testcase", name="read input", classname=path)
            ET.SubElement(case, "error", message=text, type="input").text = text
            counts["tests"] += 1
            counts["errors"] += 1
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
        yield suite
    if report.skipped_rules:  # one skipped case per rule that could not be evaluated
        n = len(report.skipped_rules)
        suite = ET.Element("testsuite", name="rules not evaluated", tests=str(n), failures="0", errors="0", skipped=str(n))
        for skip in report.skipped_rules:
            case = ET.SubElement(suite, "testcase", name=skip.rule, classname="guardrails.skipped")
            ET.SubElement(case, "skipped", message=skip.text())
        yield suite
    if clean:
        suite = ET.Element("testsuite", name="guardrails", tests="1", failures="0", errors="0", skipped="0")
        case = ET.SubElement(suite, "testcase", name="scan", classname="guardrails")
        ET.SubElement(case, "system-out").text = (
            f"{report.files} files, {report.resources} resources, {len(report.rules)} rules: no findings"
        )
        yield suite
