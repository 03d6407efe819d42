"""Parity with checkov (`make bench PEER=1`): both judge the same Terraform plans and we print,
for every built-in Terraform rule that has checkov counterparts, how often the two agree.

Plans: every plan in ../shared/terraform/, the example plans, the plans of each rule's
NAME.test.yaml and a 300-change plan from bench_terraform. checkov (from PyPI, in its own venv
at bench/.peer-venv, as bench_scan's peer mode) runs once over a folder of them all with
`--framework terraform_plan`; we judge the same files through the real mapping and engine.

One row per (rule, plan, resource) that checkov judged with at least one mapped check:
checkov fails it when any mapped check fails. Ours: fail, pass, skip (the rule does not apply)
or unknown (a value known only after apply). Then the time and peak memory of both on the
20,000-change plan of bench_terraform. Every disagreement is listed under its reason from
EXPLAINED (checkov's semantics differ, it cannot see what we see, or it is wrong), or as
UNEXPLAINED: a bug to fix here or a reason to add.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import yaml

from guardrails.engine import Engine
from guardrails.model import Status
from guardrails.policy.load import load_rules
from guardrails.sources.terraform import plan as terraform

REPO = pathlib.Path(__file__).resolve().parents[1]
VENV = pathlib.Path(__file__).parent / ".peer-venv"
GUARDRAILS = pathlib.Path(sys.executable).parent / "guardrails"

# Our rule -> the checkov checks that judge the same thing (on some of the same types).
COUNTERPARTS: dict[str, tuple[str, ...]] = {
    "terraform-encryption-at-rest": ("CKV_AWS_3", "CKV_AWS_8", "CKV_AWS_16", "CKV_AWS_29", "CKV_AWS_42", "CKV_AWS_44", "CKV_AWS_64", "CKV_AWS_74", "CKV_AWS_96"),
    "terraform-s3-no-public-acl": ("CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_43"),
    "terraform-s3-block-public-access": ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    "terraform-no-public-ssh": ("CKV_AWS_24",),
    "terraform-no-public-rdp": ("CKV_AWS_25",),
    "terraform-no-public-ingress": ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277", "CKV_GCP_2", "CKV_GCP_3", "CKV_GCP_106", "CKV_AZURE_9", "CKV_AZURE_10", "CKV_AZURE_160"),
    "terraform-imdsv2": ("CKV_AWS_79",),
    "terraform-cloudtrail-multi-region": ("CKV_AWS_67",),
    "terraform-cloudtrail-log-validation": ("CKV_AWS_36",),
    "terraform-kms-key-rotation": ("CKV_AWS_7", "CKV_GCP_43"),
    "terraform-db-not-public": ("CKV_AWS_17", "CKV_AWS_87", "CKV_AZURE_113", "CKV_AZURE_53"),
    "terraform-encryption-in-transit": ("CKV_AWS_30", "CKV_AWS_2", "CKV_AWS_103", "CKV_GCP_6", "CKV_AZURE_3", "CKV_AZURE_44"),
    "terraform-bucket-no-public-access": ("CKV_GCP_29", "CKV_GCP_114", "CKV_AZURE_190", "CKV_AZURE_34"),
    "terraform-snapshot-not-public": ("CKV_AWS_205",),
    "terraform-iam-no-admin-wildcard": ("CKV_AWS_62",),
    "terraform-k8s-private-endpoint": ("CKV_AWS_39", "CKV_AZURE_115"),
    "terraform-k8s-secrets-encryption": ("CKV_AWS_58",),
    "terraform-k8s-logging": ("CKV_AWS_37", "CKV_GCP_1"),
    "terraform-registry-scan-on-push": ("CKV_AWS_163",),
    "terraform-registry-immutable-tags": ("CKV_AWS_51",),
    "terraform-db-backups": ("CKV_AWS_133",),
    "terraform-deletion-protection": ("CKV_AWS_293", "CKV_AWS_139", "CKV_AWS_150"),
    "terraform-vpc-flow-logs": ("CKV2_AWS_11", "CKV_GCP_26"),
    "terraform-s3-access-logging": ("CKV_AWS_18", "CKV_GCP_62"),
}


# Why the two disagree, where they do: (rule, plan, resource, ours/checkov) -> the reason (globs;
# "*" any). Every disagreement is matched here or printed as UNEXPLAINED: each one is a bug to
# fix on our side or a difference named here, with "checkov is wrong" where it is.
_CKV_GRAPH = "checkov finds it only through a reference in the plan's configuration"
EXPLAINED: tuple[tuple[str, str, str, str, str], ...] = (
    ("*", "shared__parser__plan_tags__tfplan.json", "*", "fail/not judged",
     "the plan's planned_values lists 1 of its resources: checkov reads resources from planned_values only, we read "
     "resource_changes"),
    ("terraform-encryption-at-rest", "*", "aws_instance.*", "pass/fail",
     "hand-written plan with no root_block_device in after or after_unknown; terraform show -json marks it computed "
     "(runner__plan's instances), we then take the provider default (unencrypted) and both fail"),
    ("terraform-encryption-at-rest", "example__plan.json", "module.storage.aws_ebs_volume.scratch", "unknown/fail",
     "encrypted comes from a module input known only after apply: checkov reads it as absent and fails, we report "
     "unknown (--fail-on-unknown makes it a failure)"),
    ("terraform-s3-no-public-acl", "ruletest__*", "aws_s3_bucket_acl.*", "fail/pass",
     f"the grant to AllUsers is in access_control_policy: {_CKV_GRAPH} (from the aws_s3_bucket), and this plan names "
     "the bucket by string"),
    ("*", "*", "aws_vpc_security_group_ingress_rule.all", "fail/pass",
     "ip_protocol -1 (all traffic) has no ports, and checkov judges this type only when from_port or to_port is "
     "written: every port open to 0.0.0.0/0 passes (checkov is wrong)"),
    ("*", "shared__runner__plan__tfplan.json", "aws_security_group.default", "unknown/pass",
     "the group's ingress is known only after apply: we report unknown, checkov sees no ingress and passes"),
    ("*", "example__plan.json", "aws_security_group_rule.rdp", "fail/pass",
     "the plan writes prefix_list_ids = null (unset): checkov takes any value but [] for a prefix-list source and "
     "passes 3389 open to 0.0.0.0/0 (checkov is wrong, as with host_port: null)"),
    ("terraform-no-public-ingress", "*", "*", "fail/pass",
     "open to 0.0.0.0/0 or ::/0 on a port checkov has no check for: it judges 22, 80, 3389 and all traffic one by one, "
     "we judge every port"),
    ("terraform-encryption-in-transit", "*", "aws_lb_listener.*", "pass/fail",
     "CKV_AWS_103 also asks for a TLS 1.2 ssl_policy; we judge HTTPS (or a redirect to it) and leave the policy out"),
    ("terraform-encryption-in-transit", "*", "google_sql_database_instance.*", "pass/fail",
     "CKV_GCP_6 passes PostgreSQL and MySQL only with TRUSTED_CLIENT_CERTIFICATE_REQUIRED (client certificates); "
     "ENCRYPTED_ONLY already refuses unencrypted connections, what CIS GCP 6.4 asks"),
    ("terraform-snapshot-not-public", "*", "*", "pass/fail",
     "CKV_AWS_205 fails every aws_ami_launch_permission whoever it shares with; we fail group = all (every account)"),
    ("terraform-k8s-private-endpoint", "*", "google_container_cluster.*", "fail/not judged",
     "no checkov check judges enable_private_endpoint (CKV_GCP_25 asks for any private_cluster_config, CKV_GCP_18 "
     "for authorised networks other than 0.0.0.0/0)"),
    ("terraform-k8s-secrets-encryption", "*", "google_container_cluster.*", "fail/not judged",
     "checkov has no check for GKE database_encryption"),
    ("terraform-k8s-logging", "*", "aws_eks_cluster.empty", "fail/not judged",
     "enabled_cluster_log_types = [] makes CKV_AWS_37 fail with an IndexError, which checkov drops: a cluster that "
     "logs nothing is not judged (checkov is wrong)"),
    ("terraform-k8s-logging", "*", "aws_eks_cluster.*", "pass/fail",
     "CKV_AWS_37 asks for all five log types; we ask for api, audit and authenticator (controllerManager and "
     "scheduler are operational logs)"),
    ("terraform-db-backups", "*", "aws_db_instance.replica", "pass/fail",
     "a read replica (replicate_source_db) keeps no automated backups of its own: we do not judge it"),
    ("terraform-db-backups", "*", "*", "fail/pass",
     "CKV_AWS_133 asks for any retention above 0; we ask for 7 days, and one left out is RDS's default, 1 day"),
    ("terraform-deletion-protection", "*", "*", "fail/not judged",
     "checkov has no deletion-protection check for DynamoDB tables or Cloud SQL instances"),
    ("terraform-vpc-flow-logs", "ruletest__*", "aws_vpc.logged", "pass/fail",
     f"the flow log's vpc_id is the VPC's known id and the plan has no configuration: {_CKV_GRAPH}, we match the id"),
    ("terraform-s3-access-logging", "ruletest__*", "aws_s3_bucket.separate", "pass/fail",
     f"the aws_s3_bucket_logging names the bucket and the plan has no configuration: {_CKV_GRAPH}, we match the name"),
    ("terraform-s3-access-logging", "*", "aws_s3_bucket.*", "fail/pass",
     "the provider writes logging = [] for a bucket without a logging block, and checkov's `exists` counts the empty "
     "list (checkov is wrong)"),
)


def explain(r: Row) -> str | None:
    """The reason for a disagreement, or None: an unexplained one."""
    import fnmatch

    for rule, plan, address, verdicts, reason in EXPLAINED:
        if (fnmatch.fnmatchcase(r.rule, rule) and fnmatch.fnmatchcase(r.file, plan) and fnmatch.fnmatchcase(r.address, address)
                and verdicts == f"{r.ours}/{r.checkov}"):
            return reason
    return None


def _checkov() -> pathlib.Path:
    checkov = VENV / "bin" / "checkov"
    if not checkov.exists():
        print("installing checkov into bench/.peer-venv (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "checkov"], check=True, stderr=subprocess.DEVNULL)
    return checkov


def _shared_plans() -> list[pathlib.Path]:
    for base in REPO.parents:
        if (base / "shared" / "DESIGN.md").is_file():
            return sorted((base / "shared" / "terraform").glob("*.json"))
    print("  ../shared/terraform not found: comparing the local plans only")
    return []


def _write_plans(folder: pathlib.Path) -> None:
    for p in _shared_plans():
        raw = p.read_bytes()
        data = terraform.read_plan(raw, p.name)  # UTF-16 plans: checkov reads UTF-8 only
        (folder / f"shared__{p.name}").write_text(json.dumps(data))
    for name in ("plan.json", "compliant-plan.json"):
        shutil.copy(REPO / "examples" / "terraform" / name, folder / f"example__{name}")
    for test in sorted((REPO / "rules" / "terraform").glob("*.test.yaml")):
        doc = yaml.safe_load(test.read_text())
        for i, res in enumerate(doc["spec"]["resources"]):
            plan = _whole(res)
            (folder / f"ruletest__{test.name.removesuffix('.test.yaml')}_{i}.json").write_text(json.dumps(plan))
    from bench.bench_terraform import make_plan

    (folder / "generated.json").write_text(json.dumps(_whole(make_plan(300))))


def _whole(trimmed: dict[str, Any]) -> dict[str, Any]:
    """A rule test's trimmed plan as Terraform writes it whole (checkov needs `before` and
    `planned_values`): the same resources, so both tools judge the same values."""
    changes = []
    planned = []
    for rc in trimmed.get("resource_changes", ()):
        change = {"before": None, "after_unknown": {}, "before_sensitive": False, "after_sensitive": {}, **rc["change"]}
        changes.append({**rc, "change": change})
        if "delete" in change.get("actions", ()) and "create" not in change.get("actions", ()):
            continue  # not in planned_values: gone after apply
        planned.append({k: rc[k] for k in ("address", "mode", "type", "name") if k in rc} | {
            "provider_name": rc.get("provider_name", "registry.terraform.io/hashicorp/aws"),
            "schema_version": 0,
            "values": change.get("after") or {},
            "sensitive_values": {},
        })
    return {"terraform_version": "1.6.6", **trimmed, "resource_changes": changes,
            "planned_values": {"root_module": {"resources": planned}}}


def _checkov_results(checkov: pathlib.Path, folder: pathlib.Path) -> dict[tuple[str, str, str], str]:
    """(check id, file name, resource address) -> passed | failed."""
    ids = sorted({c for cs in COUNTERPARTS.values() for c in cs if "?" not in c})
    proc = subprocess.run(
        [str(checkov), "-d", str(folder), "--framework", "terraform_plan", "-o", "json", "--compact", "--check", ",".join(ids)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"checkov failed ({proc.returncode}): {proc.stderr[-2000:]}")
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    out: dict[tuple[str, str, str], str] = {}
    for report in reports:
        results = report.get("results", {})
        for state in ("passed_checks", "failed_checks"):
            for r in results.get(state, ()):
                out[(r["check_id"], pathlib.Path(r["file_path"]).name, r["resource"])] = state.removesuffix("_checks")
    return out


def _ours(folder: pathlib.Path) -> dict[tuple[str, str, str], Status]:
    """(rule, file name, resource address) -> our status."""
    rules = [r for r in load_rules(builtin=True, profiles=("terraform",)).rules if r.name in COUNTERPARTS]
    engine = Engine(rules)
    out: dict[tuple[str, str, str], Status] = {}
    for f in sorted(folder.glob("*.json")):
        data = terraform.read_plan(f.read_bytes(), f.name)
        for res in terraform.resources(data, f.name, problems=[]):
            for result in engine.results(res):
                out[(result.rule, f.name, res.origin.address or "")] = result.status
    return out


Row = collections.namedtuple("Row", "rule file address ours checkov checks")


def _agrees(r: Row) -> bool:
    """Both judged and both fail, or neither fails (our skip: the rule does not apply, which
    checkov reports as a pass)."""
    if r.ours in ("unknown", "not judged") or r.checkov == "not judged":
        return False
    return (r.ours == "fail") == (r.checkov == "fail")


def compare(ours: dict[tuple[str, str, str], Status], theirs: dict[tuple[str, str, str], str]) -> list[Row]:
    by_resource: dict[tuple[str, str], dict[str, str]] = collections.defaultdict(dict)
    for (check, file, address), state in theirs.items():
        by_resource[(file, address)][check] = state
    rows = []
    for rule, checks in COUNTERPARTS.items():
        for (file, address), states in sorted(by_resource.items()):
            judged = {c: s for c, s in states.items() if c in checks}
            if not judged:
                continue
            verdict = "fail" if "failed" in judged.values() else "pass"
            status = ours.get((rule, file, address))
            mine = status.value if status is not None else "not judged"
            rows.append(Row(rule, file, address, mine, verdict, ",".join(sorted(c for c, s in judged.items() if s == "failed")) or "-"))
        # ours failing where checkov judged none of the mapped checks
        for (r, file, address), status in sorted(ours.items()):
            if r == rule and status is Status.FAIL and not any(c in checks for c in by_resource.get((file, address), {})):
                rows.append(Row(rule, file, address, "fail", "not judged", "-"))
    return rows


def _table(rows: list[Row]) -> None:
    print(f"  {'rule':38} {'checkov checks':28} {'rows':>5} {'agree':>6} {'ours only':>9} {'ckv only':>8} {'unknown':>7} {'ours n/a':>8} {'ckv n/a':>7}")
    for rule, checks in COUNTERPARTS.items():
        mine = [r for r in rows if r.rule == rule]
        agree = sum(1 for r in mine if _agrees(r))
        ours_only = sum(1 for r in mine if r.ours == "fail" and r.checkov == "pass")
        ckv_only = sum(1 for r in mine if r.checkov == "fail" and r.ours in ("pass", "skip"))
        unknown = sum(1 for r in mine if r.ours == "unknown")
        ours_na = sum(1 for r in mine if r.ours == "not judged")
        ckv_na = sum(1 for r in mine if r.checkov == "not judged")
        named = ",".join(c.removeprefix("CKV_") for c in checks)
        print(f"  {rule:38} {named[:28]:28} {len(mine):5} {agree:6} {ours_only:9} {ckv_only:8} {unknown:7} {ours_na:8} {ckv_na:7}")
    # the generated plan repeats the example's resources: its rows count, its disagreements are the example's
    shown = [r for r in rows if not _agrees(r) and "generated" not in r.file]
    by_reason: dict[str, list[Row]] = collections.defaultdict(list)
    for r in shown:
        by_reason[explain(r) or "UNEXPLAINED"].append(r)
    print(f"  disagreements, by reason ({len(shown)}; {len(by_reason.get('UNEXPLAINED', ()))} unexplained):")
    for reason, members in sorted(by_reason.items(), key=lambda kv: kv[0] != "UNEXPLAINED"):
        print(f"    {reason}:")
        for r in members:
            print(f"      {r.rule} {r.file} {r.address}: {r.ours} / {r.checkov} [{r.checks}]")


def _timed(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one child process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - start, max(after, before) * 1024


def _speed(checkov: pathlib.Path, tmp: pathlib.Path) -> None:
    from bench.bench_terraform import make_plan

    big = tmp / "big" / "plan.json"
    big.parent.mkdir()
    big.write_text(json.dumps(make_plan(20000)))
    ours, ours_mem = _timed([str(GUARDRAILS), "scan", str(big), "--profile", "terraform", "--format", "json"])
    theirs, theirs_mem = _timed([str(checkov), "-f", str(big), "--framework", "terraform_plan", "-o", "json", "--compact", "--quiet"])
    size = big.stat().st_size
    print(
        f"  20,000-change plan ({size / 1e6:.1f} MB): guardrails scan {ours:.1f}s, peak RSS {ours_mem / 1e6:.0f} MB; "
        f"checkov {theirs:.1f}s, peak RSS {theirs_mem / 1e6:.0f} MB (RSS is the largest child so far); "
        f"checkov / guardrails: time {theirs / ours:.1f}x"
    )


def run(options: argparse.Namespace | None = None) -> dict[str, float]:
    if options is None or not getattr(options, "peer", False):
        print("  (peer tools: run with PEER=1 / --peer)")
        return {}
    checkov = _checkov()
    with tempfile.TemporaryDirectory(prefix="guardrails-parity-") as d:
        tmp = pathlib.Path(d)
        folder = tmp / "plans"
        folder.mkdir()
        _write_plans(folder)
        rows = compare(_ours(folder), _checkov_results(checkov, folder))
        _table(rows)
        _speed(checkov, tmp)
    agree = sum(1 for r in rows if _agrees(r))
    unexplained = sum(1 for r in rows if not _agrees(r) and "generated" not in r.file and explain(r) is None)
    return {"agreement": agree / max(len(rows), 1), "unexplained": float(unexplained)}


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    run(argparse.Namespace(peer=True))
