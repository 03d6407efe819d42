"""The `validate.podSecurity` suites of ../shared/conformance/kyverno-cel (pod-security/), every
result row, strict, through `guardrails test`'s Kyverno runner on the native Pod Security check.
The rest of that folder (CEL) has its own runner."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from guardrails.ruletest import kyverno
from tests import shared

ROOT = shared.require_module("conformance", "kyverno-cel")
_INDEX = ROOT / "index.json"
SUITES: list[dict[str, Any]] = [
    s for s in (json.loads(_INDEX.read_text())["suites"] if _INDEX.is_file() else [])
    if s["suite"].startswith("pod-security/")
]


def test_the_data_is_there() -> None:
    assert len(SUITES) >= 3, f"podSecurity suites missing under {ROOT}"


@pytest.mark.parametrize("suite", SUITES, ids=[s["suite"] for s in SUITES])
def test_suite(suite: dict[str, Any]) -> None:
    path = ROOT / suite["test"]
    doc = yaml.safe_load(path.read_text())
    result = kyverno.run_file(str(path), doc, strict=True)
    assert not result.errors, [e.render() for e in result.errors]
    wrong = [f"{c.name}: want {c.expected}, got {c.actual} ({c.detail})" for c in result.cases if not c.ok]
    assert not wrong, "\n".join(wrong)
    rows = sum(len(r.get("resources") or [None]) for r in doc["results"])
    assert len(result.cases) >= rows
