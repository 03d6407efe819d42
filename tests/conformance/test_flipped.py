"""No row passes without evaluating: every expectation of a sample of the conformance suites
flipped (pass<->fail, skip/error -> pass, warn -> fail; gator yes<->no, N -> N+1) must fail,
row by row, in both modes. A runner that passes rows it never judged (a policy it dropped, a
rule it skipped) passes some of these."""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.ruletest import gator, kyverno
from tests import shared
from tests.conformance import test_kyverno, test_kyverno_cel, test_vap

CONFORMANCE = shared.require_module("conformance")
EVERY = 7  # one suite in EVERY of each folder (stable: the index order)
_FLIP = {"pass": "fail", "fail": "pass", "skip": "pass", "error": "pass", "warn": "fail"}


def _kyverno_sample() -> list[Any]:
    out = []
    # Suites with rows Kyverno gives no answer for are left out: lenient mode passes those rows
    # whatever they expect, flipped or not (strict mode checks them in their own tests).
    cel_skips = {**test_kyverno_cel.SKIPS, **dict.fromkeys(test_kyverno_cel.EXCLUDED, "")}
    for folder, skips in (("kyverno", test_kyverno.SKIPS), ("kyverno-cel", cel_skips), ("vap", test_vap.SKIPS)):
        index = CONFORMANCE / folder / "index.json"
        suites = json.loads(index.read_text())["suites"] if index.is_file() else []
        usable = [s for s in suites if s["suite"] not in skips]
        out += [pytest.param(CONFORMANCE / folder / s["test"], id=f"{folder}:{s['suite']}") for s in usable[::EVERY]]
    return out


def _gator_sample() -> list[Any]:
    suites = sorted((CONFORMANCE / "gatekeeper").glob("*/*/suite.yaml"))
    return [pytest.param(s, id=s.parent.relative_to(CONFORMANCE).as_posix()) for s in suites[::EVERY]]


def _flip_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    key = "result" if "result" in row else "status"
    row[key] = _FLIP[str(row[key])]
    return row


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("path", _kyverno_sample())
def test_flipped_kyverno_rows_all_fail(path: pathlib.Path, strict: bool) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    checked = 0
    for doc in docs:
        flipped = dict(doc, results=[_flip_row(r) for r in doc.get("results") or ()])
        result = kyverno.run_file(str(path), flipped, strict=strict)
        assert not result.errors, [e.render() for e in result.errors]
        passed = [f"{c.name}: flipped to {c.expected}, passed as {c.actual}" for c in result.cases if c.ok]
        assert not passed, "\n".join(passed)
        rows = flipped["results"]
        assert len(result.cases) >= sum(len(r.get("resources") or [None]) for r in rows)
        checked += len(result.cases)
    assert checked


def _flip_assertion(a: dict[str, Any]) -> dict[str, Any]:
    want = gator._expected(a.get("violations"))
    flipped = {"yes": "no", "no": "yes"}.get(want) or str(int(want) + 1)
    return dict(a, violations=flipped)


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("path", _gator_sample())
def test_flipped_gator_cases_all_fail(path: pathlib.Path, strict: bool) -> None:
    doc = yaml.safe_load(path.read_text())
    flipped = copy.deepcopy(doc)
    for test in flipped.get("tests") or ():
        for case in test.get("cases") or ():
            # One flipped assertion is enough to fail a case; flip them all so none can hold.
            case["assertions"] = [_flip_assertion(a) for a in case.get("assertions") or ()]
    result = gator.run_file(path, flipped, strict=strict)
    assert not result.errors, [e.render() for e in result.errors]
    passed = [c.name for c in result.cases if c.ok]
    assert not passed, passed
    assert len(result.cases) == sum(len(t.get("cases") or ()) for t in doc.get("tests") or ())
