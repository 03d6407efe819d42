"""wgpolicyk8s.io/v1alpha2 PolicyReports, the format Kyverno writes and Policy Reporter reads.

One PolicyReport per namespace for namespaced resources and one ClusterPolicyReport for the rest,
wrapped in a `v1/List` so `kubectl apply -f` takes the output as it is. Results follow Kyverno's
mapping (pkg/utils/report): source, policy, rule, message, result, scored, category, severity
(only the five values the CRD allows), resources as object references, a seconds timestamp, and
the summary counting results by outcome.

Our outcomes beyond Kyverno's: WAIVED reads `skip` (Kyverno reports a rule a PolicyException
covers as skipped), UNKNOWN (known only after `terraform apply`) reads `warn` and is not scored,
as Kyverno does for a failure of an unscored policy. Inputs that could not be read and rules
skipped on every resource are `error`/`skip` results of the ClusterPolicyReport, never dropped.
A `pass` result per rule and resource that was judged and passed, as Kyverno writes them, from
the passes `guardrails scan --format policyreport` records (a report without them has none).

The timestamp is the current time, or SOURCE_DATE_EPOCH when set (reproducible output).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from typing import IO, Any

from guardrails.kube.resources import BUILTIN
from guardrails.model import Finding, RuleInfo, Status
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, jsonstream
from guardrails.reporters.common import field, position, sorted_findings

__all__ = ["API_VERSION", "reports", "write"]

API_VERSION = "wgpolicyk8s.io/v1alpha2"
SOURCE = "guardrails"
_LABELS = {"app.kubernetes.io/managed-by": "guardrails"}
CLUSTER_REPORT = "guardrails-cluster"
_OUTCOMES = ("pass", "fail", "warn", "error", "skip")
_RESULT = {
    Status.PASS: "pass",
    Status.FAIL: "fail",
    Status.ERROR: "error",
    Status.SKIP: "skip",
    Status.WAIVED: "skip",
    Status.UNKNOWN: "warn",
}


def namespace_of(finding: Finding) -> str | None:
    """The namespace whose report holds the finding; None for cluster-scoped resources.

    A namespaced kind written without a namespace lands in `default`, as the API server (and
    Kyverno's CLI) would put it; a kind we do not know is namespaced when it names a namespace.
    """
    ref = finding.resource
    known = BUILTIN.get(ref.kind)
    if known is not None:
        return (ref.namespace or "default") if known[2] else None
    return ref.namespace or None


def _timestamp() -> dict[str, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else int(time.time())
    return {"seconds": seconds, "nanos": 0}


def _result(report: ScanReport, finding: Finding, rule: RuleInfo | None, stamp: Mapping[str, int]) -> dict[str, Any]:
    ref = finding.resource
    resource: dict[str, str] = {"apiVersion": ref.api_version, "kind": ref.kind, "name": ref.name}
    if ref.namespace:
        resource["namespace"] = ref.namespace
    loc = position(report, finding)
    properties = {"file": loc.path}
    if loc.line:
        properties["line"] = str(loc.line)
    if shown := field(finding):
        properties["field"] = shown
    if finding.waiver:
        properties["waiver"] = finding.waiver
    name = rule.name if rule else (finding.rule_name or finding.rule)
    return {
        "source": SOURCE,
        "policy": (rule.policy if rule and rule.policy else name),
        "rule": name,
        "message": finding.message,
        "result": _RESULT[finding.status],
        "scored": finding.status is not Status.UNKNOWN,
        "severity": str(finding.severity),
        **({"category": rule.category} if rule and rule.category else {}),
        "resources": [resource],
        "properties": properties,
        "timestamp": dict(stamp),
    }


def _document(kind: str, name: str, namespace: str | None, results: list[dict[str, Any]]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(_LABELS)}
    if namespace is not None:
        meta["namespace"] = namespace
    summary = {outcome: 0 for outcome in _OUTCOMES}
    for r in results:
        summary[r["result"]] += 1
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": meta, "summary": summary, "results": results}


def _order(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # Kyverno sorts by policy, rule, then resource; ties keep the findings' file order.
    return sorted(results, key=lambda r: (r["policy"], r["rule"], json.dumps(r.get("resources", []), sort_keys=True)))


def reports(report: ScanReport, namespaces: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The PolicyReports (by namespace name) then the ClusterPolicyReport, always present.

    `namespaces` get a report even without results (an audit replaces what an earlier one wrote)."""
    stamp = _timestamp()
    by_namespace: dict[str, list[dict[str, Any]]] = {ns: [] for ns in namespaces}
    cluster: list[dict[str, Any]] = []
    for f in (*sorted_findings(report), *report.passed):
        result = _result(report, f, report.rule(f.rule), stamp)
        ns = namespace_of(f)
        (cluster if ns is None else by_namespace.setdefault(ns, [])).append(result)
    for skip in report.skipped_rules:
        rule = report.rule(skip.rule)
        name = rule.name if rule else skip.rule
        cluster.append({
            "source": SOURCE, "policy": rule.policy if rule and rule.policy else name, "rule": name,
            "message": f"not judged on {skip.resources} resource(s): {skip.reason}", "result": "skip",
            "scored": True, "timestamp": dict(stamp),
        })
    for problem in report.problems:
        cluster.append({
            "source": SOURCE, "policy": SOURCE, "rule": "read-input", "message": str(problem),
            "result": "error", "scored": True, "timestamp": dict(stamp),
            **({"properties": {"file": problem.location.path}} if problem.location else {}),
        })
    docs = [_document("PolicyReport", f"guardrails-{ns}", ns, _order(rs)) for ns, rs in sorted(by_namespace.items())]
    docs.append(_document("ClusterPolicyReport", CLUSTER_REPORT, None, _order(cluster)))
    return docs


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    jsonstream.write(stream, {"apiVersion": "v1", "kind": "List", "items": []}, ("items",), reports(report))
