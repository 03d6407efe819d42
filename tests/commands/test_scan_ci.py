"""`guardrails scan` in CI: several reports from one run, baselines and shards, through the CLI."""

from __future__ import annotations

import json
import pathlib
import shutil
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import REPO, CliRunner

DATA = REPO / "tests" / "data" / "ci"


@pytest.fixture
def work(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A copy of the CI data as the working directory (a repository root)."""
    shutil.copytree(DATA, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


SCAN = ["scan", "k8s", "--rules", "policies"]

# k8s/web.yaml after a formatter ran: other lines, flow style, other key order and quoting
WEB_REFORMATTED = """\
# Reformatted.

kind: Deployment
apiVersion: "apps/v1"
metadata: {name: web, namespace: shop, labels: {environment: "qa", app: web}}
spec:
    selector: {matchLabels: {app: web}}
    template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: app, image: "registry.example.com/shop/web:1.4.2"}]}
"""


def test_one_run_many_reports(work: pathlib.Path, run_cli: CliRunner) -> None:
    r = run_cli([*SCAN, "--format", "sarif", "--output", "out.sarif", "--format", "text",
                 "--format", "junit", "--output", "out.xml", "--format", "json", "--output", "out.json"])
    assert r.code == 1, r
    assert "require-team-label" in r.out and r.out.rstrip().splitlines()[-1].startswith("3 findings")
    sarif = json.loads((work / "out.sarif").read_text())
    data = json.loads((work / "out.json").read_text())
    junit = ET.parse(work / "out.xml").getroot()
    assert len(sarif["runs"][0]["results"]) == len(data["findings"]) == 4  # 3 failing + 1 waived
    assert junit.get("failures") == "3"


def test_baseline_then_only_new_findings(work: pathlib.Path, run_cli: CliRunner) -> None:
    (work / "k8s" / "broken.yaml").unlink()  # unreadable input fails a run whatever the baseline says
    first = run_cli([*SCAN, "--write-baseline", "baseline.json"])
    assert first.code == 0, first
    assert "3 baselined" in first.out
    recorded = json.loads((work / "baseline.json").read_text())["findings"]
    assert len(recorded) == 3
    # lines move and a file is reformatted: nothing new
    (work / "k8s" / "web.yaml").write_text(WEB_REFORMATTED)
    again = run_cli([*SCAN, "--baseline", "baseline.json"])
    assert again.code == 0, again
    assert "0 findings" in again.out and "3 baselined" in again.out
    # a new problem is reported, alone
    (work / "k8s" / "new.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: new\n")
    new = run_cli([*SCAN, "--baseline", "baseline.json", "--format", "json"])
    assert new.code == 1
    found = json.loads(new.out)
    assert [(f["rule"], f["file"]) for f in found["findings"] if f["status"] == "fail"] == [("require-team-label", "k8s/new.yaml")]
    assert found["summary"]["baselined"] == 3


def test_rewriting_a_baseline_keeps_what_the_old_one_hid(work: pathlib.Path, run_cli: CliRunner) -> None:
    (work / "k8s" / "broken.yaml").unlink()
    assert run_cli([*SCAN, "--write-baseline", "old.json"]).code == 0
    (work / "k8s" / "new.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: new\n")
    r = run_cli([*SCAN, "--baseline", "old.json", "--write-baseline", "new.json"])
    assert r.code == 0 and "4 baselined" in r.out, r
    old = json.loads((work / "old.json").read_text())["findings"]
    new = json.loads((work / "new.json").read_text())["findings"]
    assert len(new) == len(old) + 1 and {e["fingerprint"] for e in old} < {e["fingerprint"] for e in new}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "missing.json"], "missing.json: cannot read baseline"),
        (["--shard", "3/2"], "--shard '3/2': expected I/N with 1 <= I <= N"),
        (["--format", "sarif", "--output", "no/such/dir/x.sarif"], "--output no/such/dir/x.sarif: cannot write"),
    ],
)
def test_bad_flags_are_one_line(work: pathlib.Path, run_cli: CliRunner, args: list[str], message: str) -> None:
    r = run_cli([*SCAN, *args])
    assert r.code == 2 and message in r.err and len(r.err.splitlines()) == 1, r


def test_shards_union_is_the_whole_run(work: pathlib.Path, run_cli: CliRunner) -> None:
    def results(*extra: str) -> tuple[list[tuple[str, str, int]], str]:
        r = run_cli([*SCAN, "--format", "sarif", *extra])
        run = json.loads(r.out)["runs"][0]
        found = [(x["ruleId"], x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  x["locations"][0]["physicalLocation"].get("region", {}).get("startLine", 0)) for x in run["results"]]
        return found, run["automationDetails"]["id"]

    whole, category = results()
    assert category == "guardrails/"
    parts = [results("--shard", f"{i}/3") for i in (1, 2, 3)]
    assert [c for _, c in parts] == [f"guardrails/shard-{i}-of-3/" for i in (1, 2, 3)]
    assert sorted(x for p, _ in parts for x in p) == sorted(whole)
