"""`examples/ci/`: the CI files are valid, and every `guardrails scan` line in them is accepted by
today's CLI and sends each report where the file says."""

from __future__ import annotations

import pathlib
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from guardrails import cli
from guardrails.commands import scan as scan_cmd

CI = pathlib.Path(__file__).resolve().parents[1] / "examples" / "ci"


def scan_lines(path: pathlib.Path) -> list[str]:
    """Every `guardrails scan ...` command in a CI file, folded scalars joined, variables filled."""
    doc = yaml.safe_load(path.read_text())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and node.strip().startswith("guardrails scan "):
            found.append(" ".join(node.split()))

    walk(doc)
    return [re.sub(r"\$\{\{ matrix\.shard \}\}", "2", re.sub(r"\$\{CI_NODE_(INDEX|TOTAL)\}", "4", line)) for line in found]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("github-actions.yml", [("github", None), ("sarif", "guardrails-2.sarif"), ("html", "guardrails-2.html")]),
        ("gitlab-ci.yml", [("text", None), ("junit", "guardrails-junit.xml"), ("html", "guardrails.html")]),
    ],
)
def test_scan_commands_parse(name: str, expected: list[tuple[str, str | None]]) -> None:
    (line,) = scan_lines(CI / name)
    args = cli.build_parser().parse_args(shlex.split(line)[1:])
    assert scan_cmd._outputs(args) == expected
    assert args.shard in ("2/4", "4/4")


def test_pre_commit_config_is_valid() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CI / ".pre-commit-config.yaml")],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (repo,) = yaml.safe_load((CI / ".pre-commit-config.yaml").read_text())["repos"]
    assert [h["id"] for h in repo["hooks"]] == ["guardrails-scan"]


def test_hooks_file_is_valid() -> None:
    hooks = CI.parents[1] / ".pre-commit-hooks.yaml"
    run = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(hooks)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
