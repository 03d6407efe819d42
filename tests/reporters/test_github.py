"""GitHub Actions workflow commands: one annotation per finding, escaped as the runner expects."""

from __future__ import annotations

import io

import pytest

from guardrails.model import Severity
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, github


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb\r\n", "a%0Ab%0D%0A", "a%0Ab%0D%0A"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert github.escape_data(text) == data
    assert github.escape_property(text) == prop


def render(report: ScanReport, fail_on: Severity = Severity.INFO) -> list[str]:
    out = io.StringIO()
    github.write(report, out, ReportOptions(fail_on=fail_on))
    return out.getvalue().splitlines()


def test_annotations(report: ScanReport) -> None:
    lines = render(report, Severity.HIGH)
    assert lines[0] == (
        "::error file=apps/deploy.yaml,line=3,col=3,title=require-labels (high)::"
        "Deployment/prod/web: label 'team' is missing%0Afield: metadata.labels%0Aremediation: Add the labels team and service."
    )
    # below --fail-on: a warning, not an error
    assert lines[2].startswith("::warning file=apps/deploy.yaml,line=11,col=18,title=no-latest-tag (medium)::")
    assert lines[3] == (
        "::error file=apps/deploy.yaml,line=13,col=18,title=allowed-registries (critical)::"
        "Deployment/prod/web: image \"</script><img src=x onerror=alert(1)>\" 100%25, a::b%0Anext line"
        "%0Afield: spec.template.spec.containers[1].image%0Aremediation: Use an image from registry.example.com."
    )
    assert lines[4].startswith("::notice file=plan.json,title=s3-tags (info) UNKNOWN::aws_s3_bucket/logs: ")
    assert lines[5].startswith("::notice file=pod.json,line=4,col=3,title=require-labels (high) WAIVED::")
    assert "waived: inline annotation guardrails.dev/ignore: debugging pod" in lines[5]
    assert lines[6] == (
        "::error file=broken.yaml,line=3,title=guardrails could not read this input::"
        "could not parse YAML: mapping values are not allowed here"
    )
    assert lines[-1] == "guardrails: 2 failing findings (--fail-on high), 6 findings in 3 resources from 4 files"


def test_every_command_is_one_line(report: ScanReport) -> None:
    assert all(line.startswith("::") for line in render(report)[:-1])
    assert len(render(report)) == len(report.findings) + len(report.problems) + 1


def test_baselined_count_in_summary(report: ScanReport) -> None:
    import dataclasses

    assert render(dataclasses.replace(report, baselined=3))[-1].endswith(", 3 baselined")
