"""PolicyReports: Kyverno's result mapping, one report per namespace, valid against the CRDs."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import jsonschema
import pytest
import yaml

from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, policyreport
from tests import shared

CRDS = {"PolicyReport": "wgpolicyk8s.io_policyreports.yaml", "ClusterPolicyReport": "wgpolicyk8s.io_clusterpolicyreports.yaml"}


def crd_schema(kind: str) -> dict[str, Any]:
    crd = yaml.safe_load(shared.require("schemas", "policyreport", CRDS[kind]).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha2"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def render(report: ScanReport) -> dict[str, Any]:
    out = io.StringIO()
    policyreport.write(report, out, ReportOptions())
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f'{d["kind"]}/{d["metadata"].get("namespace", "")}/{d["metadata"]["name"]}': d for d in doc["items"]}


def test_every_document_is_valid_against_its_crd(report: ScanReport, empty_report: ScanReport) -> None:
    for r in (report, empty_report):
        doc = render(r)
        assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
        for item in doc["items"]:
            jsonschema.validate(item, crd_schema(item["kind"]))


def test_one_report_per_namespace_and_one_cluster_report(report: ScanReport) -> None:
    docs = by_name(render(report))
    # The Deployment names prod; the Pod names none and lands in default (as the API server puts
    # it); the Terraform bucket and the unreadable file are cluster-wide.
    assert sorted(docs) == ["ClusterPolicyReport//guardrails-cluster", "PolicyReport/default/guardrails-default", "PolicyReport/prod/guardrails-prod"]
    assert docs["PolicyReport/prod/guardrails-prod"]["summary"] == {"pass": 0, "fail": 3, "warn": 0, "error": 1, "skip": 0}
    assert docs["PolicyReport/default/guardrails-default"]["summary"] == {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 1}
    assert docs["ClusterPolicyReport//guardrails-cluster"]["summary"] == {"pass": 0, "fail": 0, "warn": 1, "error": 1, "skip": 0}


# status -> Kyverno result, scored; severity and category from the rule.
@pytest.mark.parametrize(
    ("report_name", "rule", "result", "scored", "severity", "category"),
    [
        ("PolicyReport/prod/guardrails-prod", "require-labels", "fail", True, "high", "ownership"),
        ("PolicyReport/prod/guardrails-prod", "allowed-registries", "fail", True, "critical", None),
        ("PolicyReport/prod/guardrails-prod", "resource-limits", "error", True, "low", None),
        ("PolicyReport/default/guardrails-default", "require-labels", "skip", True, "high", "ownership"),
        ("ClusterPolicyReport//guardrails-cluster", "s3-tags", "warn", False, "info", None),
    ],
)
def test_results_map_as_kyverno_maps_them(
    report: ScanReport, report_name: str, rule: str, result: str, scored: bool, severity: str, category: str | None
) -> None:
    (entry,) = [r for r in by_name(render(report))[report_name]["results"] if r["rule"] == rule]
    assert (entry["result"], entry["scored"], entry["severity"], entry.get("category")) == (result, scored, severity, category)
    assert entry["source"] == "guardrails"
    assert entry["timestamp"] == {"seconds": 1700000000, "nanos": 0}


def test_results_name_the_resource_and_where_it_was_read(report: ScanReport) -> None:
    results = by_name(render(report))["PolicyReport/prod/guardrails-prod"]["results"]
    assert [r["rule"] for r in results] == ["allowed-registries", "no-latest-tag", "require-labels", "resource-limits"]
    latest = results[1]
    assert latest["resources"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "prod"}]
    assert latest["properties"] == {"file": "apps/deploy.yaml", "line": "11", "field": "spec.template.spec.containers[0].image"}
    assert latest["message"] == "container 'app' uses the disallowed tag 'latest'"


def test_unreadable_inputs_are_error_results_not_dropped(report: ScanReport) -> None:
    cluster = by_name(render(report))["ClusterPolicyReport//guardrails-cluster"]["results"]
    (problem,) = [r for r in cluster if r["rule"] == "read-input"]
    assert problem["result"] == "error" and "could not parse YAML" in problem["message"]


def test_an_empty_scan_still_writes_the_cluster_report(empty_report: ScanReport) -> None:
    (doc,) = render(empty_report)["items"]
    assert doc["kind"] == "ClusterPolicyReport" and doc["results"] == []


def test_namespaces_without_results_get_an_empty_report(empty_report: ScanReport) -> None:
    docs = policyreport.reports(empty_report, namespaces=["team-a"])
    assert [(d["kind"], d["metadata"].get("namespace"), d["summary"]["fail"]) for d in docs] == [
        ("PolicyReport", "team-a", 0), ("ClusterPolicyReport", None, 0)]


def test_the_golden_output_is_valid_against_the_crds() -> None:
    path = pathlib.Path(__file__).parents[1] / "golden" / "scan-policyreport" / "stdout"
    items = json.loads(path.read_text())["items"]
    assert {i["kind"] for i in items} == {"PolicyReport", "ClusterPolicyReport"}
    for item in items:
        jsonschema.validate(item, crd_schema(item["kind"]))


def test_pass_results_per_rule_and_resource_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--format policyreport` records a pass per rule and resource that was judged and passed,
    as Kyverno writes them: exactly the rules the engine says passed, and nothing else changes."""
    from guardrails.engine import Engine
    from guardrails.model import Status
    from guardrails.policy.load import load_rules
    from guardrails.scan import scan
    from guardrails.sources import documents
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    paths = ["examples/bad/unlabelled-deployment.yaml", "examples/good/shop.yaml"]
    rules = load_rules((), builtin=True)
    with_passes = scan(paths, rules=rules, passes=True)
    without = scan(paths, rules=rules)
    assert with_passes.findings == without.findings and without.passed == ()
    # the engine's own verdicts, rule by rule, are the reference
    engine = Engine(rules.rules, rules.waivers)
    expected = set()
    for path in paths:
        text = (REPO / path).read_text(encoding="utf-8")
        for doc in documents.documents(text, path, drop_nulls=True):
            for resource in documents.resources_of(doc, path)[0]:
                for r in engine.results(resource):
                    if r.status is Status.PASS:
                        expected.add((r.id, resource.kind, resource.namespace or "", resource.name))
    assert len(expected) > 20
    doc = render(with_passes)
    passes = []
    for item in doc["items"]:
        jsonschema.validate(item, crd_schema(item["kind"]))
        got = [r for r in item["results"] if r["result"] == "pass"]
        assert item["summary"]["pass"] == len(got)
        assert item["summary"]["fail"] == sum(1 for r in item["results"] if r["result"] == "fail")
        passes.extend(got)
    assert {(p["rule"], p["resources"][0]["kind"], p["resources"][0].get("namespace", ""), p["resources"][0]["name"]) for p in passes} == expected
    assert len(passes) == len(expected)
    assert all(p["message"] == f"validation rule '{p['rule']}' passed." and p["scored"] for p in passes)
    # a rule that failed on a resource never also passes there
    failed = {(r["rule"], r["resources"][0]["name"]) for i in doc["items"] for r in i["results"] if r["result"] == "fail"}
    assert not failed & {(p["rule"], p["resources"][0]["name"]) for p in passes}
    assert not [r for i in render(without)["items"] for r in i["results"] if r["result"] == "pass"]


def test_the_cli_records_passes_only_for_policyreport(run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    r = run_cli(["scan", "examples/good/shop.yaml", "--format", "policyreport", "--output", str(tmp_path / "r.json"), "--format", "json"])
    assert r.code == 0, r
    doc = json.loads((tmp_path / "r.json").read_text())
    assert sum(i["summary"]["pass"] for i in doc["items"]) > 0
    assert json.loads(r.out)["summary"]["statuses"] == {}  # the other formats never see the passes
