"""SARIF: valid against the official 2.1.0 schema, and shaped the way GitHub code scanning reads it."""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import pathlib
from typing import Any

import jsonschema
import pytest

from guardrails.model import RuleInfo
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, sarif
from tests import shared

from .conftest import build


@functools.cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(shared.require("schemas", "sarif-schema-2.1.0.json").read_text())
    return schema


def render(report: ScanReport, **options: Any) -> dict[str, Any]:
    out = io.StringIO()
    sarif.write(report, out, ReportOptions(**options))
    doc: dict[str, Any] = json.loads(out.getvalue())
    validator = jsonschema.validators.validator_for(_schema())(_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return doc


def results_by_rule(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in doc["runs"][0]["results"]:
        out.setdefault(r["ruleId"], []).append(r)
    return out


def test_valid_for_full_and_empty_reports(report: ScanReport, empty_report: ScanReport) -> None:
    assert len(render(report)["runs"][0]["results"]) == len(report.findings)
    assert render(empty_report)["runs"][0]["results"] == []


def test_one_descriptor_per_rule_with_help_and_severity(report: ScanReport) -> None:
    rules = {r["id"]: r for r in render(report)["runs"][0]["tool"]["driver"]["rules"]}
    assert list(rules) == [r.name for r in report.rules]
    labels = rules["require-labels"]
    assert labels["help"]["text"] == "Add the labels team and service."
    assert labels["shortDescription"]["text"] == "Workloads carry ownership labels"
    assert labels["fullDescription"]["text"] == "Every workload names its team."
    assert labels["properties"]["security-severity"] == "8.0"
    assert labels["defaultConfiguration"]["level"] == "error"
    assert rules["allowed-registries"]["properties"]["security-severity"] == "9.5"
    assert rules["allowed-registries"]["helpUri"] == "https://example.com/docs/registries"
    assert rules["no-latest-tag"]["defaultConfiguration"]["level"] == "warning"
    assert rules["resource-limits"]["defaultConfiguration"]["level"] == "note"


@pytest.mark.parametrize(
    ("rule", "uri", "region", "level", "kind"),
    [
        ("require-labels", "apps/deploy.yaml", {"startLine": 3, "startColumn": 3}, "error", "fail"),
        ("no-latest-tag", "apps/deploy.yaml", {"startLine": 11, "startColumn": 18}, "warning", "fail"),
        ("resource-limits", "apps/deploy.yaml", {"startLine": 10, "startColumn": 11}, "error", "fail"),
        ("s3-tags", "plan.json", None, "none", "review"),
    ],
)
def test_results_point_at_relative_files(
    report: ScanReport, rule: str, uri: str, region: dict[str, int] | None, level: str, kind: str
) -> None:
    (result,) = [r for r in results_by_rule(render(report))[rule] if "suppressions" not in r]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == uri
    assert physical.get("region") == region
    assert (result["level"], result["kind"]) == (level, kind)


def test_waived_findings_are_suppressed_not_dropped(report: ScanReport) -> None:
    (waived,) = [r for r in render(report)["runs"][0]["results"] if "suppressions" in r]
    assert waived["ruleId"] == "require-labels"
    assert waived["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "inline annotation guardrails.dev/ignore: debugging pod"}
    ]


def test_terraform_resources_are_logical_locations(report: ScanReport) -> None:
    (result,) = results_by_rule(render(report))["s3-tags"]
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_s3_bucket.logs"


def test_fingerprints_survive_lines_moving(tmp_path: pathlib.Path) -> None:
    def prints(shift: int) -> list[str]:
        doc = render(build(tmp_path / f"r{shift}", shift=shift))
        return [r["partialFingerprints"]["guardrails/v1"] for r in doc["runs"][0]["results"]]

    before, after = prints(0), prints(7)
    assert before == after
    assert len(set(before)) == len(before)


@pytest.mark.parametrize(("category", "expected"), [("", "guardrails/"), ("guardrails/shard-2-of-4", "guardrails/shard-2-of-4/")])
def test_run_category(report: ScanReport, category: str, expected: str) -> None:
    assert render(report, category=category)["runs"][0]["automationDetails"]["id"] == expected


def test_unreadable_inputs_are_notifications(report: ScanReport) -> None:
    (note,) = render(report)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.yaml"
    assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 7}


def test_counts_in_run_properties(report: ScanReport) -> None:
    from .conftest import replace

    props = render(replace(report, baselined=4))["runs"][0]["properties"]
    assert props == {"files": 4, "resources": 3, "skippedDocuments": 0, "baselinedFindings": 4}


GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "golden"
GOLDEN_SARIF = sorted(d.name for d in GOLDEN.iterdir() if (d / "args").is_file() and "sarif" in (d / "args").read_text())


@pytest.mark.parametrize("case", GOLDEN_SARIF)
def test_golden_sarif_is_valid(case: str) -> None:
    doc = json.loads((GOLDEN / case / "stdout").read_text())
    validator = jsonschema.validators.validator_for(_schema())(_schema())
    assert not list(validator.iter_errors(doc))
    assert doc["runs"][0]["results"], "the golden case has findings to check"


def test_two_kyverno_policies_reusing_a_rule_name_are_two_sarif_rules(tmp_path: pathlib.Path) -> None:
    """The drift bug: both rules were `check-label`, one SARIF rule with the first policy's title."""
    from guardrails.policy.load import load_rules
    from guardrails.scan import scan
    from tests.twin_policies import twin_repo

    root = twin_repo(tmp_path)
    report = scan([str(root / "app")], rules=load_rules([root / "policies"]), root=root)
    doc = render(report)
    descriptors = doc["runs"][0]["tool"]["driver"]["rules"]
    assert len({d["id"] for d in descriptors}) == len(descriptors)  # autogen rules have ids of their own too
    titles = {d["id"]: d["shortDescription"]["text"] for d in descriptors}
    by_rule = results_by_rule(doc)
    assert {i: titles[i] for i in by_rule} == {"require-team/check-label": "Team label", "require-owner/check-label": "Owner label"}
    assert "team label" in by_rule["require-team/check-label"][0]["message"]["text"]
    prints = {r["partialFingerprints"]["guardrails/v1"] for rs in by_rule.values() for r in rs}
    assert len(prints) == 2


def test_driver_names_where_the_tool_lives(report: ScanReport) -> None:
    driver = render(report)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    assert driver["version"] == driver["semanticVersion"]


def test_builtin_rules_link_to_their_own_section_of_the_rule_reference(tmp_path: pathlib.Path) -> None:
    """helpUri is the rule's own docs (docs/rules.md at this version's tag), never a general
    page from its references; every anchor is a heading that the reference has."""
    from guardrails.policy.load import load_rules
    from guardrails.scan import scan
    from tests.conftest import REPO

    report = scan([str(REPO / "examples" / "bad")], rules=load_rules([], builtin=True, profiles=["restricted", "best-practices"]), root=REPO)
    assert report.findings
    headings = {line[4:].strip() for line in (REPO / "docs" / "rules.md").read_text().splitlines() if line.startswith("### ")}
    doc = render(report)
    descriptors = doc["runs"][0]["tool"]["driver"]["rules"]
    assert descriptors
    for d in descriptors:
        base, _, anchor = d["helpUri"].partition("#")
        assert base.endswith("/docs/rules.md") and f"/blob/v{sarif.__version__}/" in base, d["helpUri"]
        assert anchor == d["id"] and anchor in headings, d["id"]


def test_baselined_findings_are_carried_unchanged_and_the_rest_are_new(report: ScanReport) -> None:
    from guardrails import baseline

    known = [f for f in report.findings if f.rule == "no-latest-tag"]
    rest = [f for f in report.findings if f.rule != "no-latest-tag"]
    doc = render(baseline.hide(report, rest, known, str(pathlib.Path(report.root) / "base.json")))
    results = doc["runs"][0]["results"]
    assert len(results) == len(report.findings)  # none dropped: GitHub would mark those alerts fixed
    states = {(r["ruleId"], r["baselineState"]) for r in results}
    assert ("no-latest-tag", "unchanged") in states
    assert {s for rule, s in states if rule != "no-latest-tag"} == {"new"}
    (known_result,) = [r for r in results if r["baselineState"] == "unchanged"]
    assert known_result["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "recorded in the baseline base.json"}
    ]
    assert doc["runs"][0]["properties"]["baselinedFindings"] == 1


def test_without_a_baseline_results_have_no_baseline_state(report: ScanReport) -> None:
    assert all("baselineState" not in r for r in render(report)["runs"][0]["results"])


def test_hcl_remediation_is_code_and_cis_ids_are_plain_text(report: ScanReport) -> None:
    """A fenced HCL block stays code in the markdown help and plain in the text help; a CIS
    benchmark id is listed but never a link, and helpUri is the first reference that is one."""
    fix = RuleInfo(
        id="tf-fix",
        name="tf-fix",
        remediation='Set `encrypted = true`.\n```hcl\nresource "aws_ebs_volume" "x" {\n  encrypted = true\n}\n```',
        references=("CIS AWS Foundations v3.0.0 2.2.1", "https://example.com/ebs"),
    )
    rules = {r["id"]: r for r in render(dataclasses.replace(report, rules=(*report.rules, fix)))["runs"][0]["tool"]["driver"]["rules"]}
    help_ = rules["tf-fix"]["help"]
    assert help_["text"] == 'Set `encrypted = true`.\n\nresource "aws_ebs_volume" "x" {\n  encrypted = true\n}'
    assert help_["markdown"] == (
        '**Remediation.** Set `encrypted = true`.\n\n```hcl\nresource "aws_ebs_volume" "x" {\n  encrypted = true\n}\n```'
        "\n\n- CIS AWS Foundations v3.0.0 2.2.1\n- <https://example.com/ebs>"
    )
    assert rules["tf-fix"]["helpUri"] == "https://example.com/ebs"
