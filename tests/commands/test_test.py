"""`guardrails test`: discovery, the runner's output, exit codes."""

from __future__ import annotations

import pathlib
import re

import pytest

from tests.conftest import CliRunner

RULE = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: team-label}
spec:
  match: {kinds: [ConfigMap]}
  requiredLabels: [team]
"""


def _test_doc(result_for_bad: str = "fail") -> str:
    return f"""\
apiVersion: guardrails.dev/v1
kind: RuleTest
metadata: {{name: team-label}}
spec:
  rules: [team-label.yaml]
  resources:
    - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: good, labels: {{team: a}}}}}}
    - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: bad}}}}
  results:
    - {{rule: team-label, resources: [good], result: pass}}
    - {{rule: team-label, resources: [bad], result: {result_for_bad}}}
"""


def _project(root: pathlib.Path, folder: str = "policies", result_for_bad: str = "fail") -> pathlib.Path:
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "team-label.yaml").write_text(RULE)
    (d / "team-label.test.yaml").write_text(_test_doc(result_for_bad))
    return d


def _normalise(text: str) -> str:
    return re.sub(r"\(\d+\.\d+s\)", "(0.00s)", text)


def test_all_passing(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 0, r
    assert _normalise(r.out) == (
        "policies/team-label.test.yaml\n"
        "  ok    team-label good: pass\n"
        "  ok    team-label bad: fail\n"
        "2 passed, 0 failed in 1 file (0.00s)\n"
    )


def test_a_mismatch_exits_1_and_quiet_shows_only_it(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, result_for_bad="pass")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test", "-q", "policies"])
    assert r.code == 1, r
    lines = _normalise(r.out).splitlines()
    assert lines[0] == "policies/team-label.test.yaml"
    assert lines[1].startswith("  FAIL  team-label bad: expected pass, got fail — ")
    assert "team" in lines[1]
    assert lines[2:] == ["1 passed, 1 failed in 1 file (0.00s)"]


def test_discovery_skips_vendored_and_tool_folders(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, "a")
    for skipped in (".git", ".venv", "node_modules"):
        _project(tmp_path, f"{skipped}/x", result_for_bad="pass")  # would fail if it ran
    (tmp_path / "a" / "values.yaml").write_text("kind: RuleTest is only mentioned here\nreplicas: 2\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 0, r
    assert "a/team-label.test.yaml" in r.out and ".git" not in r.out and "node_modules" not in r.out


def test_a_broken_test_file_exits_2_after_running_the_others(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _project(tmp_path)
    (d / "broken.test.yaml").write_text(_test_doc().replace("rule: team-label, resources: [bad]", "rule: team-lable, resources: [bad]"))
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 2, r
    assert "  ERROR policies/broken.test.yaml:11:8: " in r.out
    assert "no rule 'team-lable' among the test's rules — did you mean 'team-label'?" in r.out
    assert "policies/team-label.test.yaml\n  ok" in r.out
    assert "1 error in 2 files" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["test"], "guardrails: no rule test files found under the current folder"),
        (["test", "nowhere"], "guardrails: nowhere: no such file or folder"),
    ],
)
def test_nothing_to_run_is_a_usage_error(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    r = run_cli(args)
    assert r.code == 2
    assert r.err.startswith(message)
    assert "Traceback" not in r.err


def test_malformed_yaml_in_an_explicit_test_file(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "t.yaml").write_text("kind: RuleTest\nspec: [unclosed\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test", "t.yaml"])
    assert r.code == 2
    assert "ERROR t.yaml:3:1: malformed YAML" in r.out


def test_every_format_in_one_run(run_cli: CliRunner, shared: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our RuleTest, a kyverno-test.yaml and a gator suite.yaml, unchanged, side by side."""
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    kyverno = shared / "conformance" / "kyverno" / "psa" / "deny-privileged-profile"
    gator = shared / "conformance" / "gatekeeper" / "pod-security-policy" / "host-process" / "suite.yaml"
    r = run_cli(["test", "policies", str(kyverno), str(gator)])
    assert r.code == 0, r
    headers = [line for line in r.out.splitlines() if not line.startswith(" ")][:-1]
    assert [h.rsplit("/", 1)[-1] for h in headers] == ["team-label.test.yaml", "kyverno-test.yaml", "suite.yaml"]
    assert "  ok    deny-privileged-profile/check-privileged Namespace/deny-privileged-bad-ns01: fail" in r.out
    assert "  ok    host-process-disallowed/example-allowed: no violation" in r.out
    assert _normalise(r.out).endswith("10 passed, 0 failed in 3 files (0.00s)\n")
