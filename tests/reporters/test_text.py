"""The text report: attacker-chosen names and messages are shown, never acted on."""

from __future__ import annotations

import dataclasses
import io
import pathlib

import pytest

from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, text

from .conftest import build


def render(report: ScanReport) -> list[str]:
    out = io.StringIO()
    text.write(report, out, ReportOptions())
    return out.getvalue().splitlines()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("x\n::error file=a.yaml::forged", "x\\x0a::error file=a.yaml::forged"),
        ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
        ("a\r::warning::b", "a\\x0d::warning::b"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
    ],
)
def test_names_and_messages_are_escaped(tmp_path: pathlib.Path, name: str, shown: str) -> None:
    report = build(tmp_path)
    f = report.findings[0]
    hostile = dataclasses.replace(f, message=name, resource=dataclasses.replace(f.resource, name=name))
    lines = render(dataclasses.replace(report, findings=(hostile,), problems=()))
    assert any(shown in line for line in lines)
    assert all("\x1b" not in line and "\r" not in line and "\u202e" not in line for line in lines)
    assert not any(line.lstrip().startswith("::") for line in lines)


def test_a_file_or_message_starting_a_line_never_starts_a_command(tmp_path: pathlib.Path) -> None:
    report = build(tmp_path)
    f = report.findings[0]
    hostile = dataclasses.replace(
        f, message="::error::forged", origin=dataclasses.replace(f.origin, path="::warning file=x::forged.yaml")
    )
    lines = render(dataclasses.replace(report, findings=(hostile,), problems=()))
    assert not any(line.lstrip().startswith(("::", "##")) for line in lines)
    assert "\\x3a:warning file=x::forged.yaml" in lines and "           \\x3a:error::forged  (metadata.labels)" in lines
