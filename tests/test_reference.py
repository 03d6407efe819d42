"""The compiled fast paths give exactly what the reference evaluators give (guardrails/reference.py).

Why a reference kept in the code rather than golden files or a digest: the inputs (the bench
corpus, every shared plan and conformance resource) are far too large to keep their findings
as files, a digest would be a hard-coded result that cannot say what changed, and the
reference is the interpreter the fast path replaced, so the comparison is against the very
semantics each optimisation must keep. Each side loads its own rules and runs its own scan;
the findings are compared as the JSON reporter writes them, byte for byte.
"""

from __future__ import annotations

import io
import pathlib
import re
from typing import Any

import pytest
import yaml

from bench import corpus
from guardrails import reference
from guardrails.policy.load import load_rules
from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions
from guardrails.reporters import json as json_reporter
from guardrails.ruletest import kyverno
from guardrails.scan import scan
from tests import shared

REPO = pathlib.Path(__file__).resolve().parents[1]


def _json(report: ScanReport) -> str:
    out = io.StringIO()
    json_reporter.write(report, out, ReportOptions())
    # The timing in the summary is the only thing two runs may differ in.
    text, n = re.subn(r'"seconds": [0-9.e+-]+', '"seconds": 0', out.getvalue())
    assert n == 1
    return text


def _both(paths: list[str], **kwargs: Any) -> tuple[str, str, ScanReport]:
    fast = scan(paths, rules=load_rules(builtin=True, profiles=("all",)), **kwargs)
    with reference.evaluators():
        ref = scan(paths, rules=load_rules(builtin=True, profiles=("all",)), **kwargs)
    return _json(fast), _json(ref), fast


def _inputs() -> list[Any]:
    out = [pytest.param([str(REPO / "examples")], id="examples")]
    out.append(pytest.param("corpus", id="bench-corpus"))
    out.append(pytest.param("terraform", id="shared-terraform"))
    for suite in ("kyverno", "kyverno-cel", "gatekeeper", "vap"):
        out.append(pytest.param(("conformance", suite), id=f"shared-conformance-{suite}"))
    return out


@pytest.mark.parametrize("inputs", _inputs())
def test_scan_findings_equal_the_reference(inputs: Any, tmp_path: pathlib.Path) -> None:
    if inputs == "corpus":
        paths = [str(corpus.corpus(files=60, per_file=10, seed=7))]
    elif inputs == "terraform":
        paths = [str(p) for p in sorted(shared.require("terraform").glob("*.json"))]
    elif isinstance(inputs, tuple):
        paths = [str(shared.require(*inputs))]
    else:
        paths = inputs
    fast, ref, report = _both(paths, root=tmp_path)
    assert report.resources > 0 and report.findings, "a comparison that judged nothing proves nothing"
    assert fast == ref


def _kyverno_tests() -> list[Any]:
    root = shared.path("conformance", "kyverno")
    found = sorted(root.rglob("kyverno-test.yaml")) if shared.available() else []
    return [pytest.param(p, id=str(p.relative_to(root).parent)) for p in found] or [pytest.param(None, id=shared.MISSING)]


@pytest.mark.parametrize("path", _kyverno_tests())
def test_kyverno_suite_outcomes_equal_the_reference(path: pathlib.Path | None) -> None:
    """Kyverno's patterns (anchors, wildcards, operators) on the library's own test resources:
    every row's outcome and detail, compiled and interpreted."""
    if path is None:
        shared.require("conformance", "kyverno")
        return
    doc = yaml.safe_load(path.read_text())
    fast = kyverno.run_file(str(path), doc, strict=True)
    with reference.evaluators():
        ref = kyverno.run_file(str(path), doc, strict=True)
    assert fast.cases, "a suite that checked nothing proves nothing"
    assert [repr(c) for c in fast.cases] == [repr(c) for c in ref.cases]
    assert [e.render() for e in fast.errors] == [e.render() for e in ref.errors]
