"""GitHub Actions workflow commands: one annotation per finding, escaped as the runner expects."""

from __future__ import annotations

import io
import pathlib

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


def test_annotations_most_severe_first(report: ScanReport) -> None:
    lines = render(report, Severity.HIGH)
    # an unreadable input first, then errors by severity, then warnings, then notices
    assert lines[0] == (
        "::error file=broken.yaml,line=3,title=guardrails could not read this input::"
        "could not parse YAML: mapping values are not allowed here"
    )
    assert lines[1] == (
        "::error file=apps/deploy.yaml,line=13,col=18,title=allowed-registries (critical)::"
        "Deployment/prod/web: image \"</script><img src=x onerror=alert(1)>\" 100%25, a::b%0Anext line"
        "%0Afield: spec.template.spec.containers[1].image%0Aremediation: Use an image from registry.example.com."
    )
    assert lines[2] == (
        "::error file=apps/deploy.yaml,line=3,col=3,title=require-labels (high)::"
        "Deployment/prod/web: label 'team' is missing%0Afield: metadata.labels%0Aremediation: Add the labels team and service."
    )
    # below --fail-on: a warning, not an error
    assert lines[3].startswith("::warning file=apps/deploy.yaml,line=11,col=18,title=no-latest-tag (medium)::")
    assert lines[4].startswith("::warning file=apps/deploy.yaml,line=10,col=11,title=resource-limits (low) ERROR::")
    assert lines[5].startswith("::notice file=pod.json,line=4,col=3,title=require-labels (high) WAIVED::")
    assert "waived: inline annotation guardrails.dev/ignore: debugging pod" in lines[5]
    assert lines[6].startswith("::notice file=plan.json,title=s3-tags (info) UNKNOWN::aws_s3_bucket/logs: ")
    assert lines[-1] == "guardrails: 2 failing findings (--fail-on high), 6 findings in 3 resources from 4 files"


def test_every_command_is_one_line(report: ScanReport) -> None:
    assert all(line.startswith("::") for line in render(report)[:-1])
    assert len(render(report)) == len(report.findings) + len(report.problems) + 1


def test_baselined_count_in_summary(report: ScanReport) -> None:
    import dataclasses

    assert render(dataclasses.replace(report, baselined=3))[-1].endswith(", 3 baselined")


def _many(report: ScanReport, n: int) -> ScanReport:
    """`n` copies of each finding, on resources of their own."""
    import dataclasses

    out = []
    for i in range(n):
        for f in report.findings:
            out.append(dataclasses.replace(f, resource=dataclasses.replace(f.resource, name=f"{f.resource.name}-{i}")))
    return dataclasses.replace(report, findings=tuple(out))


def test_annotations_are_capped_as_github_caps_them_and_the_rest_said(report: ScanReport) -> None:
    big = _many(report, 8)  # 16 critical+high errors, 16 warnings, 16 notices
    lines = render(big, Severity.HIGH)
    commands = [line for line in lines if line.startswith("::")]
    kinds = [c.split(" ", 1)[0] for c in commands]
    assert kinds.count("::error") == github.CAP and kinds.count("::warning") == github.CAP
    assert kinds.count("::notice") == github.CAP  # 9 findings + the one that says how many more
    errors = [c for c in commands if c.startswith("::error")]
    assert "could not read this input" in errors[0]
    assert all("(critical)" in c for c in errors[1:9]) and "(high)" in errors[9]  # most severe first
    (more,) = [c for c in commands if "more not annotated" in c]
    annotated = len(commands) - 1
    total = len(big.findings) + len(big.problems)
    assert f"{total - annotated} more (7 errors, 6 warnings, 7 notices)" in more
    plain = [line for line in lines if not line.startswith("::")]
    assert len(plain) == total - annotated + 1  # each one left over is still in the log, then the summary
    assert all(line.startswith("guardrails: ") for line in plain)


def test_no_cap_notice_when_everything_fits(report: ScanReport) -> None:
    assert not [line for line in render(report) if "more not annotated" in line]


HOSTILE_NAMES = ["x\n::error file=a.yaml::forged", "\x1b]8;;http://evil\x07click\x1b]8;;\x07", "a\r::warning::b", "%0A::error::x"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_attacker_names_cannot_forge_commands_or_escapes(report: ScanReport, name: str) -> None:
    import dataclasses

    f = report.findings[0]
    hostile = dataclasses.replace(f, message=name, resource=dataclasses.replace(f.resource, name=name))
    big = _many(dataclasses.replace(report, findings=(hostile,), problems=()), 25)  # past the cap too
    lines = render(big)
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == github.CAP + 1  # the findings' errors and the one notice: nothing forged
    assert all("\x1b" not in line and "\r" not in line for line in lines)
    assert all(line.startswith(("::error file=", "::notice title=", "guardrails: ")) for line in lines)


def test_step_summary_is_appended_as_markdown(report: ScanReport, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    render(report, Severity.HIGH)
    text = summary.read_text()
    assert text.startswith("earlier step\n## guardrails scan\n")
    assert "**2 failing findings** at `--fail-on high` or above · 4 failing in all" in text
    assert "Not counted above: 1 unknown, 1 waived, 1 input malformed." in text
    assert "| critical | 1 |" in text and "| info | 0 |" in text
    assert "| [allowed\\-registries](https://example.com/docs/registries) | critical | 1 |" in text
    worst = text.split("### Worst findings (4 of 4)")[1].splitlines()
    assert worst[4].startswith("| critical | allowed\\-registries |") and worst[5].startswith("| high | require\\-labels |")
    # hostile text: no raw HTML, no line break, no table cell break
    assert "<img" not in text and "&lt;img" in text and "a::b\\\\x0anext line |" in text


def test_no_step_summary_outside_actions(report: ScanReport, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    render(report)
    assert list(work.iterdir()) == []
