"""`guardrails audit`: judge what already runs in a cluster with the rules a scan would use, report
in any format, and with --apply write the PolicyReports back. Exit codes as scan: 0/1/2.

Every kind the loaded rules match is listed page by page; each page goes through the same reader
and Engine as a scanned file (as a `v1/List`). A kind that cannot be listed (RBAC, not a built-in
kind, a subresource) is a problem in the report, so the run exits 2 rather than passing quietly.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from typing import Any

from guardrails import reporters
from guardrails.commands import scan as scan_cmd
from guardrails.context import Context
from guardrails.engine import Engine
from guardrails.errors import GuardrailsError, SourceError, UnreadableError, UsageError
from guardrails.model import Finding, Location
from guardrails.policy import profiles
from guardrails.report import ScanReport, split_skips
from guardrails.scan import RESOURCE_BUDGET, scan_text

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  guardrails audit                                     the current kubeconfig context, text report
  guardrails audit --context prod --rules policies/ --format json
  guardrails audit --format policyreport --output reports.json   then: kubectl apply -f reports.json
  guardrails audit --in-cluster --apply               in a pod: write the PolicyReports back
"""


def add_parser(sub: Any) -> None:
    fmts = ", ".join(reporters.FORMATS)
    p = sub.add_parser(
        "audit",
        help="judge the objects running in a cluster",
        description="List the live objects of every kind the rules match and judge them as scan judges files.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")
    p.add_argument("--in-cluster", action="store_true", help="use the pod's service account instead of a kubeconfig")
    p.add_argument("--page-size", type=int, default=500, metavar="N", help="objects per list request (limit; default 500)")
    p.add_argument("--apply", action="store_true", help="write the PolicyReports to the cluster (create or update)")
    p.add_argument("--rules", "-r", action="append", default=[], metavar="PATH", help="rule file or folder (repeatable); default: the built-in rules")
    p.add_argument("--builtin", action="store_true", help="also use the built-in rules when --rules is given")
    p.add_argument("--profile", action="append", default=[], metavar="NAME", help=profiles.flag_help())
    p.add_argument("--format", "-f", action=scan_cmd._FormatAction, dest="reports", metavar="FORMAT", help=f"output format (repeatable): {fmts}")
    p.add_argument("--output", "-o", action=scan_cmd._OutputAction, dest="reports", metavar="FILE", help="write the --format just before it to FILE (repeatable)")
    p.add_argument("--fail-on", metavar="SEVERITY", help="exit 1 when a finding is at least this severe (default low)")
    p.add_argument("--fail-on-skip", action="store_true", default=None, help="exit 1 when a rule could not be evaluated where it matched")
    p.add_argument("--only", action="append", default=[], metavar="RULE", help="run only these rules (names or globs; repeatable or comma-separated)")
    p.add_argument("--skip", action="append", default=[], metavar="RULE", help="do not run these rules (names or globs; repeatable or comma-separated)")
    p.add_argument("--quiet", "-q", action="store_true", help="text output: findings and errors only")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour the text output")
    p.add_argument("--config", metavar="FILE", help="settings file (default: nearest .guardrails.yaml upwards)")


def run(args: argparse.Namespace, io: Any) -> int:
    from guardrails.sources import cluster  # the kubernetes client: only when auditing

    outputs = scan_cmd._outputs(args)
    if args.page_size < 1:
        raise UsageError("--page-size must be at least 1")
    args.exclude, args.fail_on_unknown = [], False
    merged = scan_cmd.settings(args)
    ruleset = merged.rules()
    api = cluster.connect(args.kubeconfig, args.context, args.in_cluster)
    report, namespaces = audit(api, ruleset, page_size=args.page_size)
    for fmt, out in outputs:
        writer = reporters.get(fmt)
        if out is None:
            options = reporters.ReportOptions(fail_on=merged.fail_on, color=scan_cmd._color(args.color, io.stdout), quiet=args.quiet)
            writer(report, io.stdout, options)
        else:
            with scan_cmd._open_output(out) as fh:
                writer(report, fh, reporters.ReportOptions(fail_on=merged.fail_on))
    code = report.exit_code(merged.fail_on, fail_on_skip=merged.fail_on_skip)
    if args.apply:
        from guardrails.reporters import policyreport

        failed = False
        for doc in policyreport.reports(report, namespaces):
            meta = doc["metadata"]
            name = f"{doc['kind']} {meta['namespace'] + '/' if 'namespace' in meta else ''}{meta['name']}"
            try:
                io.stderr.write(f"guardrails: {name}: {api.apply(doc)}\n")
            except GuardrailsError as e:
                io.stderr.write(f"guardrails: {e}\n")
                failed = True
        if failed:
            return 2
    return code


def audit(api: Any, ruleset: Any, *, page_size: int = 500, today: datetime.date | None = None) -> tuple[ScanReport, list[str]]:
    """The report of every listed object, and the namespaces they live in (each gets a report)."""
    from guardrails.sources import cluster

    started = time.perf_counter()
    names: set[str] = set()
    notices: list[str] = []
    for rule in ruleset.rules:
        if rule.kinds is None:
            notices.append(f"rule {rule.id} matches any kind: audit lists only the kinds the rules name")
        else:
            names.update(rule.kinds)
    kinds, refused, terraform = cluster.kinds_of(names)
    if terraform:
        notices.append(f"{len(terraform)} Terraform resource type(s) the rules match are not objects of a cluster: not audited")
    problems: list[GuardrailsError] = [SourceError(f"kind not audited: {why}", location=Location("<cluster>")) for why in refused]
    engine = Engine(ruleset.rules, ruleset.waivers, context=Context(today=today or datetime.date.today()),
                    inline_waivers="scan", time_budget=RESOURCE_BUDGET)
    findings: list[Finding] = []
    namespaces: set[str] = set()
    resources = 0
    for kind in kinds:
        kept: list[Finding] = []
        count = 0
        try:
            for page in api.list(kind, limit=page_size):
                if not page:  # the list starts again (expired continue token): forget this kind's pages
                    kept, count = [], 0
                    continue
                result = scan_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": page}), kind.display, engine)
                kept.extend(result.findings)
                problems.extend(result.problems)
                count += result.resources
                if kind.namespaced:
                    namespaces.update(str((o.get("metadata") or {}).get("namespace") or "default") for o in page)
        except GuardrailsError as e:
            problems.append(UnreadableError(str(e.message), location=Location(kind.display)))  # exit 2, as an unreadable file
            continue
        findings.extend(kept)
        resources += count
    if api.restarts:
        notices.append(f"{api.restarts} list(s) started again after an expired continue token (410 Gone)")
    judged, skipped = split_skips(findings)
    report = ScanReport(
        findings=judged, skipped_rules=skipped, rules=tuple(r.info for r in ruleset.rules), rule_sets=ruleset.sets,
        files=len(kinds), resources=resources, problems=tuple(problems), expired_waivers=engine.expired_waivers,
        seconds=time.perf_counter() - started, root=".", notices=tuple(notices),
    )
    if not kinds and not problems:
        raise UsageError("the rules name no kind to audit", hint="check --rules, --only and --skip")
    return report, sorted(namespaces)
