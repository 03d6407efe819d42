"""The generated rule reference and the README's rule table stay in sync with the rule files."""

from __future__ import annotations

import pathlib

import pytest

from tests.conftest import REPO, CliRunner

BEGIN, END = "<!-- rules:begin -->\n", "<!-- rules:end -->\n"


def _compare(path: pathlib.Path, expected: str, update: bool, how: str) -> None:
    if update:
        path.write_text(expected)
    actual = path.read_text() if path.is_file() else ""
    if actual != expected:
        path.with_name(path.name + ".actual").write_text(expected)
        pytest.fail(f"{path.relative_to(REPO)} is stale: {how} (or pytest --update-golden); see {path.name}.actual")


def test_docs_rules_md_is_generated_from_the_rules(run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    monkeypatch.chdir(REPO)
    r = run_cli(["rules", "docs"])
    assert r.code == 0, r.err
    for rule in run_cli(["rules", "list", "--profile", "all"]).out.splitlines():
        assert f"\n### {rule.split()[0]}\n" in r.out
    _compare(REPO / "docs" / "rules.md", r.out, request.config.getoption("--update-golden"), "run `guardrails rules docs > docs/rules.md`")


def test_readme_rule_table_is_current(run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    monkeypatch.chdir(REPO)
    table = run_cli(["rules", "list", "--profile", "all", "--format", "markdown"]).out
    readme = (REPO / "README.md").read_text()
    assert BEGIN in readme and END in readme, "README.md needs the rules:begin/rules:end markers"
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    _compare(
        REPO / "README.md",
        head + BEGIN + table + END + tail,
        request.config.getoption("--update-golden"),
        "paste `guardrails rules list --profile all --format markdown` between the markers",
    )


def test_docs_cover_one_profile_at_a_time(run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    baseline = run_cli(["rules", "docs", "--profile", "baseline"]).out
    restricted = run_cli(["rules", "docs", "--profile", "restricted"]).out
    assert "### disallow-privileged-containers" in baseline and "### require-run-as-non-root" not in baseline
    assert "### disallow-privileged-containers" in restricted and "### require-run-as-non-root" in restricted


def test_docs_of_your_own_rules(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.yaml").write_text(
        "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: mine}\n"
        "spec:\n  title: Mine | yours\n  remediation: Do it.\n  requiredLabels: [team]\n"
    )
    monkeypatch.chdir(tmp_path)
    r = run_cli(["rules", "docs", "--rules", "mine.yaml"])
    assert r.code == 0
    assert "### mine\n\n**Mine \\| yours**" in r.out and "Source: `mine.yaml`" in r.out and "**Fix:** Do it." in r.out
    table = run_cli(["rules", "list", "--rules", "mine.yaml", "--format", "markdown"]).out
    assert table.splitlines()[2] == "| [`mine`](docs/rules.md#mine) | Mine \\| yours | medium | deny | default |"
