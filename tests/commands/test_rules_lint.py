"""`guardrails rules lint`: one broken rule file per kind of mistake, each reported where it is."""

from __future__ import annotations

import pathlib

import pytest

from tests.conftest import CliRunner

HEAD = "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: r}\nspec:\n"

# (spec lines, expected first line of output); line 5 is the first spec line
CASES = [
    ("  titel: x\n  requiredLabels: [team]\n", "r.yaml:5:3: spec: unknown key 'titel' — did you mean 'title'?"),
    ("  severity: urgent\n  requiredLabels: [team]\n", "r.yaml:5:3: spec.severity: 'urgent' is not allowed — use one of info, low, medium, high, critical"),
    (
        "  requiredLabels:\n    - {key: team, allowedRegex: '^(dev|prod$'}\n",
        "r.yaml:6:34: rule 'r': requiredLabels: invalid allowedRegex: regular expression '^(dev|prod$' cannot be used: missing ) at position 0",
    ),
    (
        "  assert:\n    expression: \"spec.containers[?name == 'x'\"\n",
        "r.yaml:6:46: rule 'r': assert: invalid JMESPath expression \"spec.containers[?name == 'x'\" at column 29",
    ),
    (
        "  deny:\n    conditions:\n      - {key: '{{ spec.replicas }}', operator: GreaterThann, value: 3}\n",
        "r.yaml:7:38: spec.deny.conditions[0].operator: 'GreaterThann' is not allowed — did you mean 'GreaterThan'?",
    ),
    (
        "  match: {kinds: [deployment]}\n  requiredLabels: [team]\n",
        "r.yaml:5:19: rule 'r': kind 'deployment' matches nothing: kinds are singular and case-sensitive — did you mean 'Deployment'?",
    ),
    (
        "  match: {kinds: [Services]}\n  requiredLabels: [team]\n",
        "r.yaml:5:19: rule 'r': kind 'Services' matches nothing: kinds are singular and case-sensitive — did you mean 'Service'?",
    ),
    (
        "  match: {kinds: [Pod]}\n  exclude: {kinds: ['*']}\n  requiredLabels: [team]\n",
        "r.yaml:6:13: rule 'r': exclude.kinds removes every kind the rule matches",
    ),
    (
        "  match:\n    selector:\n      matchLabels: {tier: web}\n      matchExpressions: [{key: tier, operator: DoesNotExist}]\n  requiredLabels: [team]\n",
        "r.yaml:8:26: rule 'r': selector can never match: matchLabels needs tier=web but matchExpressions[0] is tier DoesNotExist",
    ),
    (
        "  profiles: [restrcted]\n  requiredLabels: [team]\n",
        "r.yaml:5:14: rule 'r': unknown profile 'restrcted' — did you mean 'restricted'?",
    ),
    (
        "  title: no check at all\n",
        "r.yaml:1:1: rule 'r' must have exactly one check, found none — use one of requiredLabels",
    ),
]


@pytest.mark.parametrize(("spec", "first"), CASES, ids=[c[1].split(": ", 1)[1][:60] for c in CASES])
def test_each_mistake_is_reported_with_its_position(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, spec: str, first: str
) -> None:
    (tmp_path / "r.yaml").write_text(HEAD + spec)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["rules", "lint", "r.yaml"])
    assert r.code == 2, r
    assert r.out.splitlines()[0].startswith(first)
    assert r.out.splitlines()[-1] == "1 problem in 1 file"


def test_duplicate_names_name_both_files(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(HEAD + "  requiredLabels: [team]\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["rules", "lint", "."])
    assert r.code == 2
    assert r.out.splitlines()[0].startswith("b.yaml:1:1: duplicate rule name 'r': also defined at a.yaml:1:1")


def test_an_unknown_kind_is_a_warning_unless_strict(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "r.yaml").write_text(HEAD + "  match: {kinds: [Certificate, aws_s3_bucket, cert-manager.io/v1/Issuer]}\n  requiredLabels: [team]\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["rules", "lint", "r.yaml"])
    assert r.code == 0, r
    assert r.out.splitlines() == [
        "warning: r.yaml:5:19: rule 'r': kind 'Certificate' is not a built-in Kubernetes kind — fine for a custom resource; check the spelling otherwise",
        "warning: r.yaml:5:47: rule 'r': kind 'cert-manager.io/v1/Issuer' is not a built-in Kubernetes kind — fine for a custom resource; check the spelling otherwise",
        "1 rule in 1 file: ok",
    ]
    strict = run_cli(["rules", "lint", "--strict", "r.yaml"])
    assert strict.code == 2
    assert strict.out.splitlines()[-1] == "2 problems in 1 file"


def test_every_problem_of_a_file_is_listed_in_file_order(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "r.yaml").write_text(
        HEAD + "  severity: urgent\n  match: {kinds: [pods]}\n  requiredLabels: [team]\n"
        "---\n" + HEAD.replace("name: r", "name: s") + "  actoin: deny\n  requiredLabels: [team]\n"
    )
    monkeypatch.chdir(tmp_path)
    r = run_cli(["rules", "lint", "r.yaml"])
    assert r.code == 2
    lines = r.out.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == ["r.yaml:5:3", "r.yaml:6:19", "r.yaml:13:3"]
    assert lines[-1] == "3 problems in 1 file"


def test_the_built_in_library_is_clean(run_cli: CliRunner, repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    r = run_cli(["rules", "lint", "--strict", "rules/"])
    assert r.code == 0, r.out
    assert r.out.endswith(": ok\n")


def test_policies_shipped_as_a_helm_chart_are_a_counted_skip_not_yaml_errors(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shape of kyverno-policies: Go templates under a chart's templates/, beside plain rules.
    chart = tmp_path / "charts" / "policies"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: policies\nversion: 1.0.0\n")
    (chart / "templates" / "p.yaml").write_text(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: {{ .Values.name }}\n"
        "spec:\n  rules:\n  {{- range .Values.rules }}\n  - name: {{ . }}\n  {{- end }}\n"
    )
    (tmp_path / "r.yaml").write_text(HEAD + "  requiredLabels: [team]\n")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["rules", "lint", "."])
    assert r.code == 0, r
    assert r.out.splitlines() == [
        "2 other documents skipped (not rules): 1 × a Helm chart template, not YAML until rendered: "
        "pass `--rules <(helm template CHART)`, 1 × not a Kubernetes object",  # and Chart.yaml
        "1 rule in 3 files: ok",
    ]
    # Only the chart: zero rules is an error, never a quiet success.
    only = run_cli(["rules", "lint", "charts"])
    assert only.code == 2 and "no rules found" in only.out
