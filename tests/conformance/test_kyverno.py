"""Every suite of the Kyverno policy library in ../shared/conformance/kyverno, every result
row, through `guardrails test`'s Kyverno runner in strict mode (a row that passes only
because the rule gave no answer counts as a failure here, so leniency cannot hide a gap).
"""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest
import yaml

from guardrails.ruletest import kyverno
from tests import shared

ROOT = shared.require_module("conformance", "kyverno")
INDEX: dict[str, Any] = json.loads((ROOT / "index.json").read_text()) if (ROOT / "index.json").is_file() else {"suites": []}

# "<suite folder>" -> reason. The one place known gaps live (none today).
SKIPS: dict[str, str] = {}


def _suites() -> list[Any]:
    out = []
    for s in INDEX["suites"]:
        marks = [pytest.mark.skip(reason=SKIPS[s["suite"]])] if s["suite"] in SKIPS else []
        out.append(pytest.param(s, id=s["suite"], marks=marks))
    return out


def test_the_data_is_there() -> None:
    assert len(INDEX["suites"]) >= 100, f"conformance data missing under {ROOT}"


@pytest.mark.parametrize("suite", _suites())
def test_suite(suite: dict[str, Any]) -> None:
    path = ROOT / suite["test"]
    doc = yaml.safe_load(path.read_text())
    result = kyverno.run_file(str(path), doc, strict=True)
    assert not result.errors, [e.render() for e in result.errors]
    wrong = [f"{c.name}: want {c.expected}, got {c.actual} ({c.detail})" for c in result.cases if not c.ok]
    assert not wrong, "\n".join(wrong)
    # Every expected check was made: at least one case per resource name per row and result.
    made = collections.Counter(c.expected for c in result.cases)
    for status, count in suite["results"].items():
        rows = [r for r in doc["results"] if r["result"] == status]
        names = sum(len(r.get("resources") or [None]) for r in rows)
        assert count == len(rows)
        assert made[status] >= names
