"""`guardrails init`: the scaffold is a working project from the first minute."""

from __future__ import annotations

import json
import pathlib

import pytest

from guardrails.commands import init
from tests.conftest import CliRunner


def test_the_scaffold_passes_its_own_test_and_lint(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = run_cli(["init"])
    assert r.code == 0, r
    for rel in init.FILES:
        assert (tmp_path / rel).is_file()
        assert f"wrote {rel}" in r.out
    tested = run_cli(["test"])
    assert tested.code == 0, tested
    assert "3 passed, 0 failed in 1 file" in tested.out
    linted = run_cli(["rules", "lint", "policies/"])
    assert linted.code == 0, linted
    assert linted.out == "1 other document skipped (not rules): 1 × a rule test (guardrails test)\n1 rule in 2 files: ok\n"


def test_scan_uses_the_scaffolded_settings(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(["init"]).code == 0
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        "        - {name: web, image: ghcr.io/x/web:1, securityContext: {privileged: true}}\n"
    )
    r = run_cli(["scan", "app.yaml", "--format", "json"])
    assert r.code == 1, r
    rules = {f["rule"] for f in json.loads(r.out)["findings"]}
    # the team's own rule and the built-in default set (seed rules and the baseline level)
    assert {"require-team-label", "disallow-privileged-containers", "require-ownership-labels"} <= rules


def test_init_never_overwrites_without_force(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    (tmp_path / ".guardrails.yaml").write_text("fail-on: low\n")
    r = run_cli(["init", str(tmp_path)])
    assert r.code == 2
    assert "already exists" in r.err and "--force" in r.err
    assert (tmp_path / ".guardrails.yaml").read_text() == "fail-on: low\n"
    assert not (tmp_path / "policies").exists()
    forced = run_cli(["init", str(tmp_path), "--force"])
    assert forced.code == 0
    assert (tmp_path / ".guardrails.yaml").read_text() == init.CONFIG


def test_init_into_a_file_is_refused(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    r = run_cli(["init", str(target)])
    assert r.code == 2 and "not a folder" in r.err
