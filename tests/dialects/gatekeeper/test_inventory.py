"""Referential templates in a scan: the inventory is the set of resources scanned together."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from guardrails import scan as scan_
from guardrails.policy.load import load_rules
from tests import shared

LIB = shared.require_module("conformance", "gatekeeper", "general", "uniqueingresshost")
SAMPLE = LIB / "samples" / "unique-ingress-host"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["example_disallowed.yaml"], 0),  # alone: nothing to clash with
        (["example_disallowed.yaml", "example_inventory_disallowed.yaml"], 2),  # each sees the other
        (["example_allowed.yaml", "example_inventory_disallowed.yaml"], 0),
    ],
)
def test_scan_inventory(tmp_path: pathlib.Path, files: list[str], expected: int) -> None:
    for f in files:
        shutil.copy(SAMPLE / f, tmp_path / f)
    rules = load_rules([LIB / "template.yaml", SAMPLE / "constraint.yaml"])
    report = scan_.scan([str(tmp_path)], rules=rules, root=tmp_path)
    assert len(report.findings) == expected, [f.message for f in report.findings]
    assert all(f.message == "ingress host conflicts with an existing ingress <example-host.example.com>"
               for f in report.findings)
