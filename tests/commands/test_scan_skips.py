"""Rules we cannot evaluate are SKIPs shown once per rule in every format, never a quiet pass;
`--fail-on-skip` and `fail-on-skip:` fail the run on them; every `--output` is written whole."""

from __future__ import annotations

import json
import os
import pathlib
import stat
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from guardrails import reporters
from tests.conftest import CliRunner

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: mixed
spec:
  rules:
  - name: need-label
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "label app required"
      pattern:
        metadata:
          labels:
            app: "?*"
  - name: add-label
    match:
      any:
      - resources:
          kinds: [Pod]
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            added: "yes"
"""

PODS = """\
apiVersion: v1
kind: Pod
metadata:
  name: labelled
  labels: {app: shop}
spec:
  containers: [{name: c, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata:
  name: bare
spec:
  containers: [{name: c, image: nginx:1.27}]
"""

SKIPPED = "mixed/add-label"
JUDGED = "mixed/need-label"
REASON = "mutate"


@pytest.fixture
def workspace(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "policy.yaml").write_text(POLICY)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pods.yaml").write_text(PODS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _text(out: str) -> None:
    skip_lines = [line for line in out.splitlines() if line.startswith("skipped")]
    assert skip_lines == [skip_lines[0]] and SKIPPED in skip_lines[0] and "2 resources" in skip_lines[0]
    assert REASON in skip_lines[0]
    assert "1 rule skipped" in out.splitlines()[-1]
    assert JUDGED in out and "Pod/bare" in out


def _json(out: str) -> None:
    doc = json.loads(out)
    skipped = doc["summary"]["skippedRules"]
    assert [(s["rule"], s["resources"]) for s in skipped] == [(SKIPPED, 2)] and REASON in skipped[0]["reason"]
    assert [(f["rule"], f["resource"]["name"]) for f in doc["findings"]] == [(JUDGED, "bare")]
    assert "skip" not in doc["summary"]["statuses"]


def _sarif(out: str) -> None:
    run = json.loads(out)["runs"][0]
    notes = [n for n in run["invocations"][0]["toolExecutionNotifications"] if n.get("associatedRule", {}).get("id") == SKIPPED]
    assert len(notes) == 1 and notes[0]["level"] == "warning" and "2 matching resources" in notes[0]["message"]["text"]
    assert [r["ruleId"] for r in run["results"]] == [JUDGED]


def _junit(out: str) -> None:
    root = ET.fromstring(out)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    skipped = [name for name, c in cases.items() if c.find("skipped") is not None]
    assert skipped == [SKIPPED]
    assert REASON in (cases[SKIPPED].find("skipped").get("message") or "")  # type: ignore[union-attr]
    assert cases[f"{JUDGED} Pod/bare"].find("failure") is not None
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    # skipped is counted per suite: Jenkins' strict schema has no testsuites@skipped
    assert sum(int(s.get("skipped", "0")) for s in root.iter("testsuite")) == 1


def _github(out: str) -> None:
    warnings = [line for line in out.splitlines() if line.startswith("::warning") and SKIPPED in line]
    assert len(warnings) == 1 and "2 matching resources" in warnings[0]
    assert sum(line.startswith("::error") for line in out.splitlines()) == 1
    assert out.splitlines()[-1].endswith("1 rule skipped")


def _html(out: str) -> None:
    assert out.count(f"rule {SKIPPED} was not evaluated on 2 matching resources") == 1
    assert 'data-status="skip"' not in out and 'data-status="fail"' in out


FORMATS: list[tuple[str, Callable[[str], None]]] = [
    ("text", _text), ("json", _json), ("sarif", _sarif), ("junit", _junit), ("github", _github), ("html", _html),
]


@pytest.mark.parametrize(("fmt", "check"), FORMATS, ids=[f for f, _ in FORMATS])
def test_each_format_shows_each_skip_once_and_still_judges_the_rest(
    run_cli: CliRunner, workspace: pathlib.Path, fmt: str, check: Callable[[str], None]
) -> None:
    r = run_cli(["scan", "--rules", "rules", "app", "-f", fmt])
    assert r.code == 1, r.err  # the judged rule's finding
    check(r.out)


CLEAN_PODS = PODS.split("---")[0]

EXIT = [
    # (pods, flags, settings file, exit code)
    ("clean", [], None, 0),
    ("clean", ["--fail-on-skip"], None, 1),
    ("clean", [], "fail-on-skip: true\n", 1),
    ("clean", [], "fail-on-skip: false\n", 0),
    ("clean", ["--fail-on-skip"], "fail-on-skip: false\n", 1),  # the flag only ever turns it on
    ("failing", [], None, 1),
    ("failing", ["--fail-on-skip"], None, 1),
    ("clean", [], "fail-on-skip: yes please\n", 2),
]


@pytest.mark.parametrize(("pods", "flags", "config", "code"), EXIT, ids=[f"{p}-{' '.join(f)}-{c!r}" for p, f, c, _ in EXIT])
def test_exit_codes(
    run_cli: CliRunner, workspace: pathlib.Path, pods: str, flags: list[str], config: str | None, code: int
) -> None:
    (workspace / "app" / "pods.yaml").write_text(CLEAN_PODS if pods == "clean" else PODS)
    if config is not None:
        (workspace / ".guardrails.yaml").write_text(config)
    r = run_cli(["scan", "--rules", "rules", "app", *flags])
    assert r.code == code, r.out + r.err
    if code == 2:
        assert "fail-on-skip: expected true or false" in r.err and ".guardrails.yaml:1" in r.err


def test_a_rule_that_matches_nothing_is_no_skip(run_cli: CliRunner, workspace: pathlib.Path) -> None:
    (workspace / "app" / "pods.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    r = run_cli(["scan", "--rules", "rules", "app", "--fail-on-skip", "-f", "json"])
    assert r.code == 0, r.out + r.err
    assert json.loads(r.out)["summary"]["skippedRules"] == []


def test_an_unsupported_kind_is_a_skip_too(run_cli: CliRunner, workspace: pathlib.Path) -> None:
    (workspace / "rules" / "mutating.yaml").write_text(
        "apiVersion: policies.kyverno.io/v1alpha1\nkind: MutatingPolicy\nmetadata: {name: stamp}\nspec: {}\n"
    )
    (workspace / "app" / "pods.yaml").write_text(CLEAN_PODS)
    r = run_cli(["scan", "--rules", "rules", "app", "-f", "json", "--fail-on-skip"])
    assert r.code == 1
    rules = {s["rule"] for s in json.loads(r.out)["summary"]["skippedRules"]}
    assert rules == {SKIPPED, "MutatingPolicy/stamp"}


# --- every --output is written whole ------------------------------------------------------


def _leftovers(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_an_output_replaces_the_old_one_keeping_its_mode(run_cli: CliRunner, workspace: pathlib.Path) -> None:
    out = workspace / "report.json"
    out.write_text("old")
    out.chmod(0o640)
    r = run_cli(["scan", "--rules", "rules", "app", "-f", "json", "-o", "report.json"])
    assert r.code == 1
    assert json.loads(out.read_text())["summary"]["files"] == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert _leftovers(workspace) == []


def test_a_new_output_gets_the_umask_mode(run_cli: CliRunner, workspace: pathlib.Path) -> None:
    old = os.umask(0o027)
    try:
        r = run_cli(["scan", "--rules", "rules", "app", "-f", "sarif", "-o", "new.sarif"])
    finally:
        os.umask(old)
    assert r.code == 1
    assert stat.S_IMODE((workspace / "new.sarif").stat().st_mode) == 0o640


def test_a_report_that_fails_half_way_leaves_the_previous_one(
    run_cli: CliRunner, workspace: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = workspace / "report.json"
    out.write_text("previous")
    real = reporters.get

    def broken(fmt: str) -> Any:
        writer = real(fmt)

        def half(report: Any, stream: Any, options: Any) -> None:
            stream.write('{"half":')
            raise RuntimeError("the reporter broke")

        return half if fmt == "json" else writer

    monkeypatch.setattr(reporters, "get", broken)
    with pytest.raises(RuntimeError, match="the reporter broke"):
        run_cli(["scan", "--rules", "rules", "app", "-f", "json", "-o", "report.json"])
    assert out.read_text() == "previous"
    assert _leftovers(workspace) == []


def test_an_output_in_a_missing_folder_is_a_usage_error(run_cli: CliRunner, workspace: pathlib.Path) -> None:
    r = run_cli(["scan", "--rules", "rules", "app", "-f", "json", "-o", "nowhere/report.json"])
    assert r.code == 2
    assert "--output nowhere/report.json: cannot write" in r.err
