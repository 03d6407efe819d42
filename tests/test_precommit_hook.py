"""`.pre-commit-hooks.yaml`, for real: the `pre-commit` tool installs this repository as a hook
repository in a temporary git repository and refuses a commit that stages a bad manifest."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]

RULE = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata:
  name: require-team-label
spec:
  title: Workloads name their team
  description: Alerts need an owner.
  remediation: Add the label team.
  severity: high
  action: deny
  match:
    kinds: [Deployment]
  requiredLabels: [team]
"""

BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers: [{name: app, image: "nginx:1.25"}]
"""

GOOD = BAD.replace("  name: web\n", "  name: web\n  labels: {team: shop}\n")


def git(cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def precommit() -> str:
    path = shutil.which("pre-commit", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("pre-commit")
    assert path, "pre-commit comes with the dev extra"
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    # one hook environment for the module: pre-commit builds it once per repository and revision
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    p = tmp_path / "project"
    p.mkdir()
    git(p, "init", "-q", "-b", "main")
    git(p, "config", "user.email", "dev@example.com")
    git(p, "config", "user.name", "dev")
    (p / "policies").mkdir()
    (p / "policies" / "team.yaml").write_text(RULE)
    (p / ".guardrails.yaml").write_text("rules: [policies/]\n")
    (p / "k8s").mkdir()
    return p


def env(home: pathlib.Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    e["PRE_COMMIT_HOME"] = str(home)
    return e


def test_the_hook_is_declared() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "guardrails-scan" and hook["pass_filenames"] is True
    assert set(hook["types_or"]) == {"yaml", "json"}


@pytest.mark.slow
def test_try_repo_refuses_a_bad_manifest(project: pathlib.Path, home: pathlib.Path) -> None:
    (project / "k8s" / "web.yaml").write_text(BAD)
    git(project, "add", "-A")
    run = subprocess.run(
        [precommit(), "try-repo", str(REPO), "guardrails-scan", "--verbose"],
        cwd=project, env=env(home), capture_output=True, text=True, timeout=600, check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert re.search(r"guardrails scan\.+Failed", out), out
    assert "k8s/web.yaml" in out
    assert "require-team-label" in out and "team" in out


@pytest.mark.slow
def test_commit_is_refused_then_accepted(project: pathlib.Path, home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # a clone of this repository at a commit, as teams pin it in their .pre-commit-config.yaml
    clone = tmp_path / "guardrails-clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    if git(REPO, "status", "--porcelain", "--", ".pre-commit-hooks.yaml", "pyproject.toml", "guardrails").stdout:
        # uncommitted work on the scanner: test that, not the last commit
        shutil.copytree(REPO / "guardrails", clone / "guardrails", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in (".pre-commit-hooks.yaml", "pyproject.toml"):
            shutil.copy2(REPO / name, clone / name)
        git(clone, "add", "-A")
        git(clone, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "work in progress")
    rev = git(clone, "rev-parse", "HEAD").stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {clone}\n    rev: {rev}\n    hooks:\n      - id: guardrails-scan\n"
    )
    e = env(home)
    subprocess.run([precommit(), "install"], cwd=project, env=e, check=True, capture_output=True)
    (project / "k8s" / "web.yaml").write_text(BAD)
    git(project, "add", "-A")
    refused = subprocess.run(["git", "commit", "-m", "add web"], cwd=project, env=e,
                             capture_output=True, text=True, timeout=600, check=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert re.search(r"guardrails scan\.+Failed", out), out
    assert "require-team-label" in out and 'label "team" is missing' in out and "k8s/web.yaml" in out
    assert git(project, "rev-parse", "--verify", "-q", "HEAD").returncode != 0, "nothing was committed"

    (project / "k8s" / "web.yaml").write_text(GOOD)
    git(project, "add", "-A")
    accepted = subprocess.run(["git", "commit", "-m", "add web"], cwd=project, env=e,
                              capture_output=True, text=True, timeout=600, check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    done = accepted.stdout + accepted.stderr
    assert re.search(r"guardrails scan\.+Passed", done), done
