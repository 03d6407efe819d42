"""Baselines: fingerprints of today's findings, so a scan reports only what is new.

A fingerprint is built from what a finding is about, never where it sits or how it is worded:
the rule, the file (relative to the scan root), the resource and the field path. Lines moving,
documents being reordered, files being reformatted and a message reworded leave it unchanged;
fixing one violation of a rule leaves its siblings (other fields, one finding each) known. The
same finding twice in one file (two identical Deployments) is kept as a count, so a third copy
is new. The message is written beside the fingerprint for people reading the file.

Version 1 files (whose fingerprints held the message) are read by recomputing each entry's
fingerprint from its recorded rule, file, resource and field.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from guardrails.errors import SourceError
from guardrails.kube import paths
from guardrails.model import Finding, Location, Status
from guardrails.report import ScanReport
from guardrails.reporters import common

__all__ = ["BASELINED", "Baseline", "apply", "fingerprint", "read", "relative_path", "write"]

VERSION = 2
_READABLE = (1, 2)
# Outcomes a baseline records and later hides; waived findings already carry their reason.
BASELINED = frozenset({Status.FAIL, Status.ERROR, Status.UNKNOWN})
_SPACE = re.compile(r"\s+")


def _key_fields(finding: Finding, path: str) -> tuple[str, str, str, str, str]:
    ref = finding.resource
    resource = finding.origin.address or f"{ref.kind}/{ref.namespace}/{ref.name}"
    return (
        finding.rule,
        path,
        resource,
        paths.display(finding.path),
        _SPACE.sub(" ", finding.message).strip(),
    )


def _digest(rule: str, path: str, resource: str, field: str) -> str:
    raw = "\x1f".join((rule, path, resource, field))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def fingerprint(finding: Finding, path: str) -> str:
    """Stable id of `finding`; `path` is its file relative to the scan root (posix)."""
    return _digest(*_key_fields(finding, path)[:4])


class Baseline:
    """A multiset of fingerprints read from a baseline file."""

    def __init__(self, fingerprints: Iterable[str]) -> None:
        self.counts = collections.Counter(fingerprints)

    def split(self, findings: Sequence[Finding], path_of: Any) -> tuple[list[Finding], list[Finding]]:
        """(findings not in the baseline, those that are). `path_of(finding)` gives its relative
        file path."""
        left = collections.Counter(self.counts)
        new: list[Finding] = []
        known: list[Finding] = []
        for f in findings:
            if f.status in BASELINED:
                fp = fingerprint(f, path_of(f))
                if left[fp] > 0:
                    left[fp] -= 1
                    known.append(f)
                    continue
            new.append(f)
        return new, known


def write(findings: Sequence[Finding], path_of: Any, stream: IO[str]) -> int:
    """Record `findings` (those a baseline hides) as JSON; returns how many were written."""
    entries = []
    for f in findings:
        if f.status not in BASELINED:
            continue
        rel = path_of(f)
        rule, _, resource, field, message = _key_fields(f, rel)
        entries.append(
            {
                "fingerprint": fingerprint(f, rel),
                "rule": rule,
                "file": rel,
                "resource": resource,
                "field": field,
                "message": message,
            }
        )
    entries.sort(key=lambda e: (e["file"], e["rule"], e["resource"], e["field"], e["message"]))
    doc = {"version": VERSION, "tool": "guardrails", "findings": entries}
    stream.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return len(entries)


def read(text: str, *, source: str) -> Baseline:
    """Parse a baseline file; a malformed one is a SourceError naming the file."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(
            f"baseline is not valid JSON: {e.msg}", location=Location(source, e.lineno, e.colno)
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise SourceError(
            "not a guardrails baseline: expected an object with a 'findings' list",
            location=Location(source, 1),
            hint="write one with 'guardrails scan --write-baseline FILE'",
        )
    if doc.get("version") not in _READABLE:
        raise SourceError(
            f"unsupported baseline version {doc.get('version')!r}",
            location=Location(source, 1),
            hint="rewrite it with 'guardrails scan --write-baseline FILE'",
        )
    fps = []
    for i, entry in enumerate(doc["findings"]):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str):
            raise SourceError(f"baseline entry {i} has no 'fingerprint' string", location=Location(source, 1))
        if doc["version"] == 1:
            keys = [entry.get(k) for k in ("rule", "file", "resource", "field")]
            if not all(isinstance(k, str) for k in keys):
                raise SourceError(f"baseline entry {i} lacks the rule, file, resource or field to read it with",
                                  location=Location(source, 1), hint="rewrite it with 'guardrails scan --write-baseline FILE'")
            fp = _digest(*keys)
        fps.append(fp)
    return Baseline(fps)


def relative_path(report: ScanReport, finding: Finding) -> str:
    return common.position(report, finding).path


def apply(report: ScanReport, known: Baseline, source: str = "") -> ScanReport:
    """The report without the findings `known` records, counting them in `baselined` and kept
    apart in `baselined_findings` (`source`: the baseline file, named by the formats that
    carry them)."""
    new, hidden = known.split(report.findings, lambda f: relative_path(report, f))
    return hide(report, new, hidden, source)


def hide(report: ScanReport, new: Sequence[Finding], hidden: Sequence[Finding], source: str) -> ScanReport:
    """`report` with `hidden` moved out of its findings into the baselined ones."""
    return dataclasses.replace(
        report,
        findings=tuple(new),
        baselined=report.baselined + len(hidden),
        baselined_findings=report.baselined_findings + tuple(hidden),
        baseline=source or report.baseline,
    )
