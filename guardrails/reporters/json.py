"""Every finding, problem and the summary as one JSON document, for programs.

Its shape is the JSON Schema shipped beside this module (`schema/report.json`, also
`docs/report.schema.json`): `version` is the report format's version (1; fields are only ever
added within a version), `tool` names the guardrails version that wrote it, and each finding
carries its baseline fingerprint (rule, file, resource, field: stable across line moves) and its
rule's remediation.
"""

from __future__ import annotations

from typing import IO, Any

from guardrails import baseline
from guardrails.kube.paths import display as show_path
from guardrails.model import Finding
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, common, jsonstream
from guardrails.version import __version__

__all__ = ["VERSION", "finding_dict", "write"]

VERSION = 1


def finding_dict(f: Finding, fingerprint: str = "", remediation: str | None = None) -> dict[str, Any]:
    loc = f.location
    return {
        "rule": f.rule,
        "status": str(f.status),
        "severity": str(f.severity),
        "action": str(f.action),
        "message": f.message,
        "resource": {
            "apiVersion": f.resource.api_version,
            "kind": f.resource.kind,
            "namespace": f.resource.namespace,
            "name": f.resource.name,
        },
        "file": loc.path if loc else f.origin.path,  # a plan finding: its .tf file, when located
        "line": loc.line if loc else f.origin.line,
        "column": loc.column if loc else 0,
        "path": show_path(f.path),
        "field": f.field or show_path(f.path),  # as the source writes it: HCL for Terraform plans
        "address": f.origin.address,
        "module": f.origin.module,
        "moduleSource": f.origin.module_source,
        "waiver": f.waiver,
        "fingerprint": fingerprint,
        "remediation": remediation,
    }


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    remediation = {r.id: r.remediation or None for r in report.rules}
    findings = (
        finding_dict(f, baseline.fingerprint(f, common.position(report, f).path), remediation.get(f.rule))
        for f in report.findings
    )
    doc = {
        "version": VERSION,
        "tool": {"name": "guardrails", "version": __version__},
        "summary": {
            "files": report.files,
            "resources": report.resources,
            "rules": len(report.rules),
            "findings": {str(s): n for s, n in report.counts_by_severity().items()},
            "statuses": {str(s): n for s, n in report.counts_by_status().items()},
            "skippedDocuments": report.skipped_documents,
            **({"skippedTemplates": report.skipped_templates} if report.skipped_templates else {}),
            **({"skippedPatches": report.skipped_patches} if report.skipped_patches else {}),
            "skippedRules": [{"rule": s.rule, "resources": s.resources, "reason": s.reason} for s in report.skipped_rules],
            "baselined": report.baselined,
            "seconds": round(report.seconds, 3),
        },
        "findings": [],  # streamed below, one finding at a time
        "problems": [
            {
                "file": p.location.path if p.location else None,
                "line": p.location.line if p.location else 0,
                "column": p.location.column if p.location else 0,
                "message": p.message,
            }
            for p in report.problems
        ],
        "notices": list(report.notices),
        "expiredExceptions": [
            {"name": w.name, "expires": str(w.expires), "source": str(w.source)} for w in report.expired_waivers
        ],
    }
    jsonstream.write(stream, doc, ("findings",), findings)
