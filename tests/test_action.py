"""action.yml and the GitHub workflows in examples/ci/ pass actionlint, run as GitHub would see
them: the workflows in a repository's .github/workflows, the action at its root (`uses: ./`)."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = sorted(p for p in (REPO / "examples" / "ci").glob("github-*.yml"))


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        reason = "actionlint is not installed (the dev extra brings it: make venv)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _lint(tmp_path: pathlib.Path, workflows: dict[str, str]) -> subprocess.CompletedProcess[str]:
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for name, text in workflows.items():
        (target / name).write_text(text)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return subprocess.run([_actionlint(), "-no-color"], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120)


def test_action_and_workflows_pass_actionlint(tmp_path: pathlib.Path) -> None:
    assert [p.name for p in WORKFLOWS] == ["github-action.yml", "github-actions.yml"]
    run = _lint(tmp_path, {p.name: p.read_text() for p in WORKFLOWS})
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_reads_the_action(tmp_path: pathlib.Path) -> None:
    """The check above means something: a misspelt input of our action is caught."""
    text = (REPO / "examples" / "ci" / "github-action.yml").read_text().replace("fail-on:", "fial-on:")
    run = _lint(tmp_path, {"x.yml": text})
    assert run.returncode == 1 and 'input "fial-on" is not defined in action "guardrails scan"' in run.stdout


def test_the_action_runs_the_scan_the_readme_describes() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = {s.get("name", s.get("uses")): s for s in action["runs"]["steps"]}
    assert '"${GITHUB_ACTION_PATH}[gatekeeper]"' in steps["Install guardrails"]["run"]
    scan = steps["guardrails scan"]["run"]
    assert "--format github" in scan and "--format sarif --output" in scan and "GITHUB_STEP_SUMMARY" in scan
    # inputs reach the shell through env, never pasted into the script (workflow injection)
    assert "${{" not in scan
    assert steps["Upload SARIF"]["uses"].startswith("github/codeql-action/upload-sarif@")
