"""JUnit XML: one case per resource and rule, outcomes CI dashboards understand."""

from __future__ import annotations

import dataclasses
import io
import pathlib
import re
from xml.etree import ElementTree as ET

import pytest

from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, junit

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "golden"
GOLDEN_JUNIT = sorted(d.name for d in GOLDEN.iterdir() if (d / "args").is_file() and "junit" in (d / "args").read_text())

# Jenkins' strict xunit schema (xunit-plugin, junit-10.xsd) is not among ../shared/schemas, so the
# check is written against its documented element and attribute set:
# element -> (required attributes, optional attributes, allowed children).
_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")
_OUTCOME = (frozenset(), frozenset({"type", "message"}), frozenset())
STRICT_XUNIT: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "testsuites": (frozenset(), frozenset({"name", "time", "tests", "failures", "errors"}), frozenset({"testsuite"})),
    "testsuite": (
        frozenset({"name", "tests", "failures", "errors"}),
        frozenset({"group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"}),
        frozenset({"testsuite", "properties", "testcase", "system-out", "system-err"}),
    ),
    "testcase": (
        frozenset({"name"}),
        frozenset({"time", "classname", "group"}),
        frozenset({"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError",
                   "system-out", "system-err"}),
    ),
    "failure": _OUTCOME,
    "error": _OUTCOME,
    "skipped": _OUTCOME,
    "properties": (frozenset(), frozenset(), frozenset({"property"})),
    "property": (frozenset({"name", "value"}), frozenset(), frozenset()),
    "system-out": (frozenset(), frozenset(), frozenset()),
    "system-err": (frozenset(), frozenset(), frozenset()),
}


def strict_xunit_errors(element: ET.Element, where: str = "") -> list[str]:
    """What Jenkins' strict schema would reject in `element` and below."""
    here = f"{where}/{element.tag}"
    if element.tag not in STRICT_XUNIT:
        return [f"{here}: element not in the schema"]
    required, optional, children = STRICT_XUNIT[element.tag]
    errors = [f"{here}: lacks @{a}" for a in sorted(required - set(element.attrib))]
    errors += [f"{here}: @{a} not in the schema" for a in sorted(set(element.attrib) - required - optional)]
    if "time" in element.attrib and element.tag != "testcase" and not _TIME.fullmatch(element.attrib["time"]):
        errors.append(f"{here}: @time {element.attrib['time']!r} is not a SUREFIRE_TIME")
    for child in element:
        if child.tag not in children:
            errors.append(f"{here}: <{child.tag}> not allowed here")
        else:
            errors += strict_xunit_errors(child, here)
    return errors


def parse_strict(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "testsuites"
    errors = strict_xunit_errors(root)
    assert not errors, "\n".join(errors)
    return root


def render(report: ScanReport, **options: str) -> ET.Element:
    out = io.StringIO()
    junit.write(report, out, ReportOptions(**options))  # type: ignore[arg-type]
    return parse_strict(out.getvalue())


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
        "tests": "7", "failures": "3", "errors": "2", "skipped": None  # per suite only (strict schema)
    }
    assert sum(int(s.get("skipped", "0")) for s in root.iter("testsuite")) == 2
    deploy = next(s for s in root.iter("testsuite") if s.get("name") == "apps/deploy.yaml")
    assert (deploy.get("tests"), deploy.get("failures"), deploy.get("errors")) == ("4", "3", "1")


def test_clean_scan_is_one_passing_case(empty_report: ScanReport) -> None:
    root = render(empty_report)
    (case,) = root.iter("testcase")
    assert list(case) and case[0].tag == "system-out"
    assert root.get("tests") == "1" and root.get("failures") == "0"


@pytest.mark.parametrize("case", GOLDEN_JUNIT)
def test_golden_junit_is_valid_against_the_strict_schema(case: str) -> None:
    root = parse_strict((GOLDEN / case / "stdout").read_text())
    assert next(root.iter("failure"), None) is not None, "the golden case has failures to check"


def test_the_strict_check_rejects_what_jenkins_rejects() -> None:
    """The two attributes the strict schema refused before (testcase@file, testsuites@skipped)."""
    bad = ET.fromstring('<testsuites skipped="1"><testsuite name="a" tests="1" failures="0" errors="0">'
                        '<testcase name="x" file="a.yaml"/></testsuite></testsuites>')
    assert strict_xunit_errors(bad) == ["/testsuites: @skipped not in the schema",
                                        "/testsuites/testsuite/testcase: @file not in the schema"]


def test_suites_name_their_file(report: ScanReport) -> None:
    suites = {s.get("name"): s.get("file") for s in render(report).iter("testsuite")}
    assert suites["apps/deploy.yaml"] == "apps/deploy.yaml" and suites["broken.yaml"] == "broken.yaml"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("\x1b[31mred\x07", "\\x1b[31mred\\x07"), ("nul\x00", "nul\\x00"), ("bad\udcff.yaml", "bad\\udcff.yaml"),
     ("tab\tok", "tab\tok"), ("\ufffe", "\\ufffe")],
)
def test_characters_xml_forbids_are_escaped_visibly(report: ScanReport, raw: str, shown: str) -> None:
    f = report.findings[0]
    hostile = dataclasses.replace(f, message=raw, resource=dataclasses.replace(f.resource, name=raw))
    root = render(dataclasses.replace(report, findings=(hostile,)))
    (failure,) = root.iter("failure")
    assert failure.get("message") == shown
    assert any(shown in (c.get("name") or "") for c in root.iter("testcase"))
