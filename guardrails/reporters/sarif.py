"""`--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

One reportingDescriptor per rule (title, description, remediation as help, severity as
`security-severity` and level), one result per finding with a relative artifact URI, a region
when the line is known, the resource as a logical location and a fingerprint that survives
lines moving. Waived findings are results with a suppression, never dropped; so are the findings
a `--baseline` file already records, with `baselineState: unchanged` (the others are `new`), so
code scanning keeps their alerts open rather than marking them fixed. Each rule's `helpUri` is
its own documentation (docs/rules.md for built-in rules). Unreadable inputs and expired
exceptions are tool notifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from guardrails import baseline
from guardrails.model import INLINE_WAIVER, Finding, RuleInfo, Severity, Status, is_link, remediation_parts
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, common, jsonstream
from guardrails.version import REPOSITORY, __version__

__all__ = ["write"]

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# GitHub buckets security-severity: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
FINGERPRINT_KEY = "guardrails/v1"


def _descriptor(name: str, rule: RuleInfo | None, severity: Severity) -> dict[str, Any]:
    sev = rule.severity if rule else severity
    title = (rule.title if rule else "") or name
    desc: dict[str, Any] = {
        "id": name,
        "name": name,
        "shortDescription": {"text": title},
        "defaultConfiguration": {"level": _LEVEL[sev]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[sev],
            # unique items (the schema says so): a rule's category may itself be "security"
            "tags": list(dict.fromkeys(["security", *([rule.category] if rule and rule.category else [])])),
            "precision": "very-high",
        },
    }
    if rule and rule.description:
        desc["fullDescription"] = {"text": rule.description}
    docs = common.rule_docs(rule)
    if rule and rule.remediation:
        prose, code = remediation_parts(rule.remediation)
        markdown = f"**Remediation.** {prose}" + "".join(f"\n\n```{lang}\n{c}\n```" for lang, c in code)
        if rule.references:
            markdown += "\n\n" + "\n".join(f"- <{ref}>" if is_link(ref) else f"- {ref}" for ref in rule.references)
        desc["help"] = {"text": "\n\n".join([prose, *(c for _, c in code)]), "markdown": markdown}
    if docs:
        desc["helpUri"] = docs
    if rule:
        desc["properties"]["action"] = str(rule.action)
        if rule.policy:
            desc["properties"]["policy"] = rule.policy
    return desc


def _result(report: ScanReport, f: Finding, index: int, known: bool) -> dict[str, Any]:
    loc = common.position(report, f)
    physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"}}
    if loc.line > 0:
        region: dict[str, Any] = {"startLine": loc.line}
        if loc.column > 0:
            region["startColumn"] = loc.column
        physical["region"] = region
    logical = {"name": str(f.resource), "fullyQualifiedName": f.origin.address or str(f.resource), "kind": "object"}
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "message": {"text": f.message},
        "locations": [{"physicalLocation": physical, "logicalLocations": [logical]}],
        "partialFingerprints": {FINGERPRINT_KEY: baseline.fingerprint(f, loc.path)},
        "properties": {"status": str(f.status), "severity": str(f.severity), "field": common.field(f)},
    }
    if f.status is Status.UNKNOWN:
        # Known only after apply: SARIF requires level "none" for anything but kind "fail".
        result["kind"], result["level"] = "review", "none"
    else:
        result["kind"], result["level"] = "fail", "error" if f.status is Status.ERROR else _LEVEL[f.severity]
    if f.status is Status.WAIVED:
        kind = "inSource" if (f.waiver or "").startswith(INLINE_WAIVER) else "external"
        result["suppressions"] = [{"kind": kind, "status": "accepted", "justification": f.waiver or ""}]
    if report.baseline:
        result["baselineState"] = "unchanged" if known else "new"
        if known:
            why = f"recorded in the baseline {common.artifact_path(report, report.baseline)}"
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": why}]
    return result


def _notifications(report: ScanReport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for problem in report.problems:
        note: dict[str, Any] = {"level": "error", "message": {"text": problem.message}}
        if problem.location is not None:
            physical: dict[str, Any] = {
                "artifactLocation": {"uri": common.artifact_path(report, problem.location.path)}
            }
            if problem.location.line > 0:
                physical["region"] = {"startLine": problem.location.line}
                if problem.location.column > 0:
                    physical["region"]["startColumn"] = problem.location.column
            note["locations"] = [{"physicalLocation": physical}]
        out.append(note)
    for w in report.expired_waivers:
        when = w.expires.isoformat() if w.expires else "?"
        out.append({"level": "warning", "message": {"text": f"exception {w.name!r} expired on {when} and no longer applies"}})
    for skip in report.skipped_rules:  # a rule that judged nothing is no result: a notification
        out.append({"level": "warning", "message": {"text": skip.text()}, "associatedRule": {"id": skip.rule}})
    for notice in report.notices:  # inputs not read, templates not rendered, rules on placeholder values
        out.append({"level": "note", "message": {"text": notice}})
    return out


def document(report: ScanReport, options: ReportOptions) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The SARIF log with its results left empty, and the results to write into it one by one."""
    known_ids = {id(f) for f in report.baselined_findings}
    findings = common.sorted_findings(report, (*report.findings, *report.baselined_findings))
    names = [r.id for r in report.rules]
    known = set(names)
    severities: dict[str, Severity] = {}
    for f in findings:
        if f.rule not in known:  # e.g. findings about the scan itself, such as a bad waiver
            known.add(f.rule)
            names.append(f.rule)
            severities[f.rule] = f.severity
    index = {n: i for i, n in enumerate(names)}
    rules = [_descriptor(n, report.rule(n), severities.get(n, Severity.MEDIUM)) for n in names]
    category = options.category or "guardrails"
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "guardrails",
                "informationUri": REPOSITORY,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"{category.rstrip('/')}/"},
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {"executionSuccessful": True, "toolExecutionNotifications": _notifications(report)}
        ],
        "results": [],
        "properties": {
            "files": report.files,
            "resources": report.resources,
            "skippedDocuments": report.skipped_documents,
            "baselinedFindings": report.baselined,
        },
    }
    results = (_result(report, f, index[f.rule], id(f) in known_ids) for f in findings)
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, results


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    doc, results = document(report, options)
    jsonstream.write(stream, doc, ("runs", 0, "results"), results, ensure_ascii=False)
