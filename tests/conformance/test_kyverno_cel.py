"""The Kyverno policy library's CEL suites (../shared/conformance/kyverno-cel): validate.cel,
celPreconditions, ValidatingPolicy, offline context; every row strict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import shared
from tests.conformance.cel_suites import run_suite

ROOT = shared.require_module("conformance", "kyverno-cel")
INDEX: dict[str, Any] = json.loads((ROOT / "index.json").read_text()) if (ROOT / "index.json").is_file() else {"suites": []}

# "<suite folder>" -> reason. The one place known gaps of this folder live.
SKIPS: dict[str, str] = {
}

# "<suite folder>" -> {case: why}: rows for which Kyverno itself gives no answer (its runner counts
# them as passed, "excluded"); strict mode checks that we give none either.
EXCLUDED: dict[str, dict[str, str]] = {
    "other-cel/memory-requests-equal-limits": {
        "memory-requests-equal-limits/autogen-cronjob-memory-requests-equal-limits CronJob/default/hello":
            "the CronJob is batch/v1beta1 and Kyverno's autogen-cronjob rule matches batch/v1/CronJob only",
    },
}


def _suites() -> list[Any]:
    return [pytest.param(s, id=s["suite"], marks=[pytest.mark.skip(reason=SKIPS[s["suite"]])] if s["suite"] in SKIPS else [])
            for s in INDEX["suites"]]


def test_the_data_is_there() -> None:
    assert len(INDEX["suites"]) >= 150, f"conformance data missing under {ROOT}"


def test_skips_name_real_suites() -> None:
    assert set(SKIPS) | set(EXCLUDED) <= {s["suite"] for s in INDEX["suites"]}
    assert not set(SKIPS) & set(EXCLUDED)


@pytest.mark.parametrize("suite", _suites())
def test_suite(suite: dict[str, Any]) -> None:
    run_suite(ROOT, suite, EXCLUDED.get(suite["suite"]))
