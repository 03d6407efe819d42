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


KYVERNO_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  rules:
  - name: check-team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: label team is required
      pattern: {metadata: {labels: {team: "?*"}}}
"""
KYVERNO_RESOURCES = """\
apiVersion: v1
kind: Pod
metadata: {name: good, labels: {team: a}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: [{name: c, image: x}]}
"""
KYVERNO_ROWS = """\
policies: [policy.yaml]
resources: [resources.yaml]
results:
- {policy: require-team, rule: check-team, resources: [good], kind: Pod, result: pass}
- {policy: require-team, rule: check-team, resources: [bad], kind: Pod, result: fail}
"""


def _kyverno(root: pathlib.Path, head: str, rows: str = KYVERNO_ROWS, name: str = "kyverno-test.yaml") -> pathlib.Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "policy.yaml").write_text(KYVERNO_POLICY)
    (root / "resources.yaml").write_text(KYVERNO_RESOURCES)
    (root / name).write_text(head + rows)
    return root / name


# Every Kyverno CLI test format Kyverno's own CLI reads.
KYVERNO_HEADS = {
    "cli.kyverno.io/v1alpha1": "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\n",
    "kyverno.io/v1": "apiVersion: kyverno.io/v1\nkind: Test\nmetadata: {name: t}\n",
    "no apiVersion (before 1.11)": "name: t\n",
}


@pytest.mark.parametrize("head", list(KYVERNO_HEADS.values()), ids=list(KYVERNO_HEADS))
def test_every_kyverno_test_format_is_read(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, head: str) -> None:
    _kyverno(tmp_path / "p", head)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 0, r
    assert _normalise(r.out).endswith("2 passed, 0 failed in 1 file (0.00s)\n"), r.out


def test_a_file_without_apiversion_is_a_kyverno_test_only_under_kyvernos_name(
        run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _kyverno(tmp_path / "p", "name: t\n", name="other.yaml")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 2 and "no rule test files found" in r.err


def test_a_kyverno_row_naming_a_missing_rule_is_an_error_at_its_line(
        run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = KYVERNO_ROWS.replace("rule: check-team, resources: [bad]", "rule: check-tema, resources: [bad]")
    _kyverno(tmp_path / "p", KYVERNO_HEADS["cli.kyverno.io/v1alpha1"], rows)
    monkeypatch.chdir(tmp_path)
    for strict in ([], ["--strict"]):
        r = run_cli(["test", *strict])
        assert r.code == 2, r
        assert "  ERROR p/kyverno-test.yaml:8:" in r.out
        assert "result row 2: policy 'require-team' has no rule 'check-tema' — did you mean 'check-team'?" in r.out
        assert _normalise(r.out).endswith("1 passed, 0 failed, 1 error in 1 file (0.00s)\n"), r.out


def test_skipped_rows_show_never_pass_and_strict_fails_them(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = KYVERNO_ROWS + "- {policy: require-team, rule: check-team, resources: [good], kind: Pod, result: pass, patchedResources: p.yaml}\n"
    _kyverno(tmp_path / "p", KYVERNO_HEADS["cli.kyverno.io/v1alpha1"], rows)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 0, r
    assert "  skip  require-team/check-team good: patchedResources:" in r.out
    assert _normalise(r.out).endswith("2 passed, 0 failed, 1 skipped in 1 file (0.00s)\n"), r.out
    r = run_cli(["test", "--strict"])
    assert r.code == 1, r
    assert "  FAIL  require-team/check-team good: not evaluated (--strict)" in r.out
    assert _normalise(r.out).endswith("2 passed, 1 failed in 1 file (0.00s)\n"), r.out


def test_a_test_without_cases_is_an_error(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _kyverno(tmp_path / "p", KYVERNO_HEADS["cli.kyverno.io/v1alpha1"], "policies: [policy.yaml]\nresources: [resources.yaml]\nresults: []\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test"])
    assert r.code == 2, r
    assert "this test has no cases: it checks nothing" in r.out


CLOCK_POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: fresh}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  validations:
  - expression: timestamp(object.data.built) >= time.now() - duration('24h')
    message: built more than a day ago
"""

CLOCK_TEST = """\
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: fresh}
policies: [policy.yaml]
resources: [resources.yaml]
results:
- {policy: fresh, isValidatingPolicy: true, kind: ConfigMap, resources: [new], result: pass}
- {policy: fresh, isValidatingPolicy: true, kind: ConfigMap, resources: [old], result: fail}
"""

CLOCK_RESOURCES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: new}
data: {built: "2026-03-06T00:00:00Z"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: old}
data: {built: "2026-03-01T00:00:00Z"}
"""


@pytest.mark.parametrize(("now", "code", "says"), [
    (["--now", "2026-03-06T12:00:00Z"], 0, "2 passed, 0 failed"),
    (["--now", "2026-03-06T13:00:00+01:00"], 0, "2 passed, 0 failed"),
    ([], 1, "reads the clock"),  # never judged by the machine's clock: both rows fail, with the reason
    (["--now", "2026-03-06"], 2, "not an RFC 3339 time with its zone"),
    (["--now", "2026-03-06T12:00:00"], 2, "not an RFC 3339 time with its zone"),
    (["--now", "yesterday"], 2, "not an RFC 3339 time"),
])
def test_policies_that_read_the_clock_take_the_time_given(
        run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, now: list[str], code: int, says: str) -> None:
    (tmp_path / "policy.yaml").write_text(CLOCK_POLICY)
    (tmp_path / "resources.yaml").write_text(CLOCK_RESOURCES)
    (tmp_path / "kyverno-test.yaml").write_text(CLOCK_TEST)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["test", *now, "kyverno-test.yaml"])
    assert r.code == code, r
    assert says in r.out + r.err
