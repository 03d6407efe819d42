"""JUnit XML: one case per resource and rule, outcomes CI dashboards understand."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import pytest

from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, junit


def render(report: ScanReport, **options: str) -> ET.Element:
    out = io.StringIO()
    junit.write(report, out, ReportOptions(**options))  # type: ignore[arg-type]
    text = out.getvalue()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.split("\n", 1)[1])


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(s.get("name", ""), c.get("name", "")): c for s in root.iter("testsuite") for c in s.iter("testcase")}


@pytest.mark.parametrize(
    ("suite", "case", "outcome", "message"),
    [
        ("apps/deploy.yaml", "require-labels Deployment/prod/web", "failure", "label 'team' is missing"),
        ("apps/deploy.yaml", "no-latest-tag Deployment/prod/web", "failure", "container 'app' uses the disallowed tag 'latest'"),
        ("apps/deploy.yaml", "resource-limits Deployment/prod/web", "error", "rule could not be evaluated: ValueError: bad quantity '1x'"),
        ("pod.json", "require-labels Pod/debug", "skipped", "waived: inline annotation guardrails.dev/ignore: debugging pod"),
        ("plan.json", "s3-tags aws_s3_bucket/logs", "skipped", "the outcome is known only after apply"),
        ("broken.yaml", "read input", "error", "broken.yaml:3:7: could not parse YAML: mapping values are not allowed here"),
    ],
)
def test_one_case_per_resource_and_rule(report: ScanReport, suite: str, case: str, outcome: str, message: str) -> None:
    element = cases(render(report))[(suite, case)]
    (result,) = [child for child in element if child.tag in ("failure", "error", "skipped")]
    assert (result.tag, result.get("message")) == (outcome, message)


def test_failures_carry_location_and_remediation(report: ScanReport) -> None:
    failure = cases(render(report))[("apps/deploy.yaml", "require-labels Deployment/prod/web")].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("type") == "high"
    assert "apps/deploy.yaml:3:3: [fail] label 'team' is missing (metadata.labels)" in failure.text
    assert "remediation: Add the labels team and service." in failure.text


def test_hostile_text_survives_xml(report: ScanReport) -> None:
    failure = cases(render(report))[("apps/deploy.yaml", "allowed-registries Deployment/prod/web")].find("failure")
    assert failure is not None
    assert failure.get("message") == 'image "</script><img src=x onerror=alert(1)>" 100%, a::b\nnext line'


def test_totals(report: ScanReport) -> None:
    root = render(report, category="shard-1-of-2")
    assert root.get("name") == "guardrails (shard-1-of-2)"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "7", "failures": "3", "errors": "2", "skipped": "2"
    }
    deploy = next(s for s in root.iter("testsuite") if s.get("name") == "apps/deploy.yaml")
    assert (deploy.get("tests"), deploy.get("failures"), deploy.get("errors")) == ("4", "3", "1")


def test_clean_scan_is_one_passing_case(empty_report: ScanReport) -> None:
    root = render(empty_report)
    (case,) = root.iter("testcase")
    assert list(case) and case[0].tag == "system-out"
    assert root.get("tests") == "1" and root.get("failures") == "0"
