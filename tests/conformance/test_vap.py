"""Kyverno's own CLI tests of ValidatingAdmissionPolicy and ValidatingPolicy
(../shared/conformance/vap), every row strict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import shared
from tests.conformance.cel_suites import run_suite

ROOT = shared.require_module("conformance", "vap")
INDEX: dict[str, Any] = json.loads((ROOT / "index.json").read_text()) if (ROOT / "index.json").is_file() else {"suites": []}

# "<suite folder>" -> reason. The one place known gaps of this folder live.
SKIPS: dict[str, str] = {}


def _suites() -> list[Any]:
    return [pytest.param(s, id=s["suite"], marks=[pytest.mark.skip(reason=SKIPS[s["suite"]])] if s["suite"] in SKIPS else [])
            for s in INDEX["suites"]]


def test_the_data_is_there() -> None:
    assert len(INDEX["suites"]) >= 20, f"conformance data missing under {ROOT}"


def test_skips_name_real_suites() -> None:
    assert set(SKIPS) <= {s["suite"] for s in INDEX["suites"]}


@pytest.mark.parametrize("suite", _suites())
def test_suite(suite: dict[str, Any]) -> None:
    run_suite(ROOT, suite)
