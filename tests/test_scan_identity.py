"""One scan, three ways, one answer: serial, `--jobs 2` and the union of `--shard I/2` give the same
report on the examples (charts, a kustomize base and overlay, Terraform) and on every resource of the
peer suites in ../shared/conformance. Compared as the reporters write them (JSON and SARIF), so a
difference anywhere a user can see it fails here."""

from __future__ import annotations

import io
import json
import pathlib
import re
from typing import Any

import pytest

from guardrails import reporters
from guardrails.report import ScanReport
from guardrails.scan import RuleLoader, scan
from tests import shared
from tests.conftest import REPO

CORPORA = ["examples", "conformance/kyverno", "conformance/gatekeeper", "conformance/kyverno-cel", "conformance/vap"]
# An empty share says so; the whole run's notices are what the shares say together, less that.
_EMPTY = re.compile(r"^no files to scan under ")


def _root(corpus: str) -> pathlib.Path:
    return REPO / corpus if corpus == "examples" else shared.require(*corpus.split("/"))


def _written(report: ScanReport, fmt: str) -> Any:
    out = io.StringIO()
    reporters.get(fmt)(report, out, reporters.ReportOptions())
    return json.loads(out.getvalue())


def _json(report: ScanReport) -> dict[str, Any]:
    data: dict[str, Any] = _written(report, "json")
    data.pop("seconds", None)
    data.get("summary", {}).pop("seconds", None)
    return data


def _sarif_results(report: ScanReport) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in _written(report, "sarif")["runs"][0]["results"])


@pytest.fixture(scope="module", params=CORPORA)
def runs(request: pytest.FixtureRequest) -> dict[str, Any]:
    root = _root(request.param)
    loader = RuleLoader()

    def run(**kw: Any) -> ScanReport:
        return scan([str(root)], loader=loader, root=root, **kw)

    return {"serial": run(), "jobs": run(jobs=2), "shards": [run(shard=(i, 2)) for i in (1, 2)]}


def test_the_corpus_is_judged(runs: dict[str, Any]) -> None:
    serial = runs["serial"]
    assert serial.files and serial.resources and serial.findings, "a corpus that judged nothing proves nothing"


def test_jobs_write_the_serial_report(runs: dict[str, Any]) -> None:
    assert _json(runs["jobs"]) == _json(runs["serial"])
    assert _written(runs["jobs"], "sarif")["runs"][0]["results"] == _written(runs["serial"], "sarif")["runs"][0]["results"]


def test_the_shards_together_write_the_serial_report(runs: dict[str, Any]) -> None:
    serial, shards = runs["serial"], runs["shards"]
    assert sorted(x for s in shards for x in _sarif_results(s)) == _sarif_results(serial)
    whole = _json(serial)
    parts = [_json(s) for s in shards]
    assert sorted(json.dumps(f, sort_keys=True) for p in parts for f in p["findings"]) == sorted(
        json.dumps(f, sort_keys=True) for f in whole["findings"]
    )
    for count in ("files", "resources", "skipped_documents", "skipped_templates", "skipped_patches"):
        assert sum(getattr(s, count) for s in shards) == getattr(serial, count), count
    assert sorted(p for s in shards for p in map(str, s.problems)) == sorted(map(str, serial.problems))
    notices = sorted({n for s in shards for n in s.notices if not _EMPTY.match(n)})
    assert notices == sorted(n for n in serial.notices if not _EMPTY.match(n))


def test_auto_is_serial_for_a_small_scan_and_parallel_for_a_large_one(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails import scan as scan_mod
    from guardrails.sources import walk

    monkeypatch.setattr(scan_mod, "_cpus", lambda: 2)
    small = [tmp_path / f"f{i}.yaml" for i in range(3)]
    for p in small:
        p.write_text("kind: ConfigMap\n")
    assert scan_mod.auto_jobs(walk.collect([str(tmp_path)], root=tmp_path).inputs) == 1
    (tmp_path / "big.yaml").write_text("#" * scan_mod.AUTO_MIN_BYTES)
    assert scan_mod.auto_jobs(walk.collect([str(tmp_path)], root=tmp_path).inputs) == 2
    many = tmp_path / "many"
    many.mkdir()
    for i in range(scan_mod.AUTO_MIN_FILES):
        (many / f"f{i}.yaml").write_text("kind: ConfigMap\n")
    assert scan_mod.auto_jobs(walk.collect([str(many)], root=many).inputs) == 2
