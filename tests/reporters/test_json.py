"""The JSON report: valid against the JSON Schema the package ships (and docs/ shows), with the
report and tool versions, fingerprints and remediation."""

from __future__ import annotations

import functools
import importlib.resources
import io
import json
import pathlib
from typing import Any

import jsonschema
import pytest

from guardrails import baseline
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions, common
from guardrails.reporters import json as json_reporter
from guardrails.version import __version__

REPO = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
GOLDEN_JSON = sorted(
    d.name for d in GOLDEN.iterdir() if (d / "args").is_file() and (d / "stdout").read_text().startswith("{\n  \"version\"")
)


@functools.cache
def schema() -> dict[str, Any]:
    text = (importlib.resources.files("guardrails") / "reporters" / "schema" / "report.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def validate(doc: Any) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def render(report: ScanReport) -> dict[str, Any]:
    out = io.StringIO()
    json_reporter.write(report, out, ReportOptions())
    doc: dict[str, Any] = json.loads(out.getvalue())
    validate(doc)
    return doc


def test_the_schema_is_a_valid_schema_and_docs_show_the_shipped_one() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert (REPO / "docs" / "report.schema.json").read_text() == json.dumps(schema(), indent=2) + "\n"


def test_golden_cases_exist() -> None:
    assert len(GOLDEN_JSON) >= 2  # the parametrised check below must not run on nothing


@pytest.mark.parametrize("case", GOLDEN_JSON)
def test_every_golden_json_output_is_valid(case: str) -> None:
    doc = json.loads((GOLDEN / case / "stdout").read_text())
    validate(doc)
    assert doc["findings"], "the golden case has findings to check"


def test_versions_fingerprints_and_remediation(report: ScanReport, empty_report: ScanReport) -> None:
    doc = render(report)
    assert doc["version"] == json_reporter.VERSION and doc["tool"] == {"name": "guardrails", "version": __version__}
    by_rule = {f["rule"]: f for f in doc["findings"] if f["status"] == "fail"}
    assert by_rule["require-labels"]["remediation"] == "Add the labels team and service."
    assert [f["remediation"] for f in doc["findings"] if f["rule"] == "s3-tags"] == [None]  # the rule has none
    for f, out in zip(report.findings, doc["findings"], strict=True):
        assert out["fingerprint"] == baseline.fingerprint(f, common.position(report, f).path)
    render(empty_report)


@pytest.mark.parametrize(
    ("path", "value"),
    [(("version",), 2), (("tool", "version"), 1), (("findings", 0, "fingerprint"), "xyz"), (("findings", 0, "severity"), "urgent")],
)
def test_the_schema_rejects_what_a_program_could_not_read(report: ScanReport, path: tuple[Any, ...], value: Any) -> None:
    doc = render(report)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(AssertionError):
        validate(doc)
