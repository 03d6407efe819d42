"""Rule parameters: `.guardrails.yaml` sets a built-in rule's values, and verdicts follow them.

Every case runs `guardrails scan` on real files in a folder with its own settings, as a team
would; errors are checked for the settings file and line they name.
"""

from __future__ import annotations

import json
import pathlib
import textwrap
from typing import Any

import pytest
import yaml

from guardrails.commands import init
from guardrails.policy.load import lint_rules
from tests.conftest import REPO, CliRunner

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: {namespace}, labels: {{owner: payments}}}}
spec:
  containers:
    - name: web
      image: {image}
      resources: {{requests: {{cpu: 100m}}}}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {owner: payments, tier: gold}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: ghcr.io/myorg/web:1.0}]
"""


def _scan(run_cli: CliRunner, folder: pathlib.Path, settings: str, manifest: str, *extra: str) -> dict[str, Any]:
    (folder / ".guardrails.yaml").write_text(textwrap.dedent(settings))
    (folder / "app.yaml").write_text(manifest)
    r = run_cli(["scan", "app.yaml", "--format", "json", *extra])
    assert r.code in (0, 1), r
    report: dict[str, Any] = json.loads(r.out)
    return report


def _outcomes(report: dict[str, Any], rule: str) -> list[str]:
    return sorted(f["status"] for f in report["findings"] if f["rule"] == rule)


# (case, rule, manifest, settings, outcomes of that rule). Each configured case that expects no
# finding sits beside one where the same manifest fails: the rule did judge it.
CASES = [
    (
        "registry-default", "approved-registries", POD.format(namespace="shop", image="registry.acme.io/web:1.0"),
        "", ["fail"],
    ),
    (
        "registry-configured", "approved-registries", POD.format(namespace="shop", image="registry.acme.io/web:1.0"),
        "parameters:\n  approved-registries:\n    registries: [registry.acme.io/*]\n", [],
    ),
    (
        "registry-configured-replaces-the-example", "approved-registries",
        POD.format(namespace="shop", image="ghcr.io/myorg/web:1.0"),
        "parameters:\n  approved-registries:\n    registries: [registry.acme.io/*]\n", ["fail"],
    ),
    (
        "registry-in-a-system-namespace", "approved-registries",
        POD.format(namespace="platform-system", image="nginx:1.27"), "", ["fail"],
    ),
    (
        "registry-exclude-namespaces", "approved-registries",
        POD.format(namespace="platform-system", image="nginx:1.27"),
        "parameters:\n  approved-registries:\n    excludeNamespaces: [kube-system, platform-*]\n", [],
    ),
    (
        "labels-default", "require-ownership-labels", DEPLOYMENT, "", ["fail", "fail", "fail"],  # team, environment, service
    ),
    (
        "labels-configured", "require-ownership-labels", DEPLOYMENT,
        "parameters:\n  require-ownership-labels:\n    labels: [owner, {key: tier, allowedRegex: '^(gold|silver)$'}]\n", [],
    ),
    (
        "labels-allowed-values-configured", "require-ownership-labels", DEPLOYMENT,
        "parameters:\n  require-ownership-labels:\n    labels: [owner, {key: tier, allowedRegex: '^(silver|bronze)$'}]\n", ["fail"],
    ),
    (
        "tags-default", "no-latest-tag", POD.format(namespace="shop", image="ghcr.io/myorg/web:edge"), "", [],
    ),
    (
        "tags-configured", "no-latest-tag", POD.format(namespace="shop", image="ghcr.io/myorg/web:edge"),
        "parameters:\n  no-latest-tag:\n    tags: [latest, edge]\n", ["fail"],
    ),
    (
        "requests-default", "require-requests-limits", POD.format(namespace="shop", image="ghcr.io/myorg/web:1"), "",
        ["fail", "fail", "fail"],  # the memory request, both limits
    ),
    (
        "requests-configured", "require-requests-limits", POD.format(namespace="shop", image="ghcr.io/myorg/web:1"),
        "parameters:\n  require-requests-limits:\n    requests: [cpu]\n    limits: []\n", [],
    ),
]


@pytest.mark.parametrize(("rule", "manifest", "settings", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_configured_parameters_change_verdicts(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, rule: str, manifest: str, settings: str, expected: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    report = _scan(run_cli, tmp_path, settings, manifest, "--only", rule)
    assert _outcomes(report, rule) == expected
    assert report["summary"]["resources"] == 1


def test_terraform_plan_follows_the_configured_registries(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's task definition runs nginx from Docker Hub beside fluent-bit from the example
    ECR: configured to Docker Hub only, the verdicts swap."""
    monkeypatch.chdir(tmp_path)
    plan = str(REPO / "examples" / "terraform" / "plan.json")
    rule = "terraform-approved-registries"

    def failing() -> list[str]:
        r = run_cli(["scan", plan, "--only", rule, "--format", "json"])
        return [f["message"].split(" image ")[0] for f in json.loads(r.out)["findings"] if f["status"] == "fail"]

    assert failing() == ['container "api"']
    (tmp_path / ".guardrails.yaml").write_text(f"parameters:\n  {rule}:\n    registries: [docker.io/library/*]\n")
    assert failing() == ['container "log-router"']


# (case, settings, message, line:column in the settings file, hint)
ERRORS = [
    (
        "unknown-rule",
        "fail-on: high\nparameters:\n  approved-registris:\n    registries: [registry.acme.io/*]\n",
        "parameters: no loaded rule is named 'approved-registris'", "3:3", "did you mean 'approved-registries'?",
    ),
    (
        "unknown-parameter",
        "parameters:\n  approved-registries:\n    registry: [registry.acme.io/*]\n",
        "parameters: rule 'approved-registries' has no parameter 'registry'", "3:5", "did you mean 'registries'?",
    ),
    (
        "rule-without-parameters",
        "parameters:\n  disallow-host-path:\n    volumes: [hostPath]\n",
        "parameters: rule 'disallow-host-path' has no parameter 'volumes'", "3:5", "declares no parameters",
    ),
    (
        "value-fails-the-schema",
        "parameters:\n  approved-registries:\n    registries: registry.acme.io/*\n",
        "parameters: approved-registries.registries: 'registry.acme.io/*' is not of type 'array'", "3:5", "expected",
    ),
    (
        "item-fails-the-schema",
        "parameters:\n  require-ownership-labels:\n    labels: [team, {key: tier, allowed: gold}]\n",
        "parameters: require-ownership-labels.labels: [1]:", "3:5", "expected",
    ),
    (
        "empty-list",
        "parameters:\n  approved-registries:\n    registries: []\n",
        "parameters: approved-registries.registries: [] should be non-empty", "3:5", "expected",
    ),
    (
        "value-the-check-refuses",
        "parameters:\n  require-ownership-labels:\n    labels: [{key: tier, allowedRegex: '(unclosed'}]\n",
        "parameters: rule 'require-ownership-labels'", "2:3", None,
    ),
    (
        "not-a-mapping",
        "parameters: [approved-registries]\n",
        "parameters: expected a mapping of rule names", "1:1", None,
    ),
    (
        "rule-without-values",
        "parameters:\n  approved-registries: [registry.acme.io/*]\n",
        "parameters.approved-registries: expected a mapping of parameter names to values", "2:3", "e.g.",
    ),
]


@pytest.mark.parametrize(("settings", "message", "where", "hint"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_a_wrong_setting_is_an_error_naming_the_settings_file_and_line(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, settings: str, message: str, where: str, hint: str | None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".guardrails.yaml").write_text(settings)
    (tmp_path / "app.yaml").write_text(POD.format(namespace="shop", image="nginx:1.27"))
    r = run_cli(["scan", "app.yaml"])
    assert r.code == 2, r
    assert "Traceback" not in r.err
    first = r.err.splitlines()[0]
    assert f".guardrails.yaml:{where}: " in first, first
    assert message in first, first
    if hint is not None:
        assert hint in first, first


def _placeholder_settings() -> str:
    """Settings giving every placeholder parameter of the library an organisation's value."""
    ruleset, problems = lint_rules(builtin=True, profiles=["all"])
    assert problems == []
    lines = ["parameters:"]
    for rule in sorted({p.rule for p in ruleset.placeholders}):
        lines.append(f"  {rule}:")
        for p in ruleset.placeholders:
            if p.rule == rule:
                value = ["registry.acme.io/*"] if p.name == "registries" else ["owner"]
                lines.append(f"    {p.name}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def test_a_scan_on_placeholders_says_so_once_in_every_format(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.yaml").write_text(POD.format(namespace="shop", image="nginx:1.27") + "---\n" + DEPLOYMENT)
    text = run_cli(["scan", "app.yaml"])
    notes = [line for line in text.out.splitlines() if "placeholder values" in line]
    assert len(notes) == 1, text.out
    for rule in ("approved-registries.registries", "require-ownership-labels.labels", "terraform-required-tags.labels"):
        assert rule in notes[0]
    report = json.loads(run_cli(["scan", "app.yaml", "--format", "json"]).out)
    assert [n for n in report["notices"] if "placeholder values" in n] == [notes[0].removeprefix("notice: ")]
    sarif = json.loads(run_cli(["scan", "app.yaml", "--format", "sarif"]).out)
    notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notifications if "placeholder values" in n["message"]["text"]] == ["note"]
    # Set every placeholder: nothing more to say.
    (tmp_path / ".guardrails.yaml").write_text(_placeholder_settings())
    configured = run_cli(["scan", "app.yaml"])
    assert configured.code == 1, configured
    assert "placeholder" not in configured.out


def test_a_setting_equal_to_the_example_is_still_a_placeholder(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What init writes before anyone edits it: the scan still says the values are examples."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".guardrails.yaml").write_text(
        "parameters:\n  approved-registries:\n    registries: [ghcr.io/myorg/*, 123456789.dkr.ecr.*.amazonaws.com/*]\n"
    )
    (tmp_path / "app.yaml").write_text(POD.format(namespace="shop", image="nginx:1.27"))
    r = run_cli(["scan", "app.yaml", "--only", "approved-registries"])
    assert "1 rule still runs on placeholder values (approved-registries.registries): set your own" in r.out


def test_rules_show_prints_schema_default_value_and_where_it_came_from(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shown = run_cli(["rules", "show", "approved-registries"])
    assert shown.code == 0, shown
    assert '    default:  ["ghcr.io/myorg/*", "123456789.dkr.ecr.*.amazonaws.com/*"]  (placeholder: your registries)\n' in shown.out
    assert "    value:    the default, a placeholder: set your registries\n" in shown.out
    assert '    schema:   {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}\n' in shown.out
    (tmp_path / ".guardrails.yaml").write_text("parameters:\n  approved-registries:\n    registries: [registry.acme.io/*]\n")
    configured = run_cli(["rules", "show", "approved-registries"])
    where = (tmp_path / ".guardrails.yaml").resolve()
    assert f'    value:    ["registry.acme.io/*"]  (from {where}:3:5)\n' in configured.out.replace(str(tmp_path), str(tmp_path.resolve())), configured.out
    assert "  excludeNamespaces  (spec.match.excludeNamespaces)" in configured.out


def test_init_writes_every_placeholder_with_its_example_marked() -> None:
    """The scaffold's `parameters:` are exactly the library's placeholders, each with a TODO."""
    ruleset, problems = lint_rules(builtin=True, profiles=["all"])
    assert problems == []
    expected = {(p.rule, p.name): p.default for p in ruleset.parameters if p.placeholder}
    written = yaml.safe_load(init.CONFIG)["parameters"]
    assert {(r, n): v for r, values in written.items() for n, v in values.items()} == expected
    todo = {p.placeholder for p in ruleset.parameters if p.placeholder}
    lines = init.CONFIG.splitlines()
    for (rule, name) in expected:
        at = lines.index(f"  {rule}:")
        line = lines[at + 1]
        assert line.startswith(f"    {name}:") and line.split("# TODO: ")[1] in todo, line


RULE = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {{name: team-label}}
spec:
  parameters:
    keys:
      field: {field}
      schema: {{type: array, items: {{type: string}}, minItems: 1}}
  match: {{kinds: [Deployment]}}
  requiredLabels: {labels}
"""


@pytest.mark.parametrize(
    ("field", "labels", "message", "line"),
    [
        ("requiredLabel", "[team]", "parameter 'keys' sets field 'requiredLabel', which the rule does not have", 7),
        ("requiredLabels", "[team, {key: env}]", "the default of parameter 'keys' fails its schema: [1]: {'key': 'env'} is not of type 'string'", 10),
    ],
    ids=["missing-field", "default-fails-schema"],
)
def test_a_wrong_declaration_is_a_rule_file_error(
    run_cli: CliRunner, tmp_path: pathlib.Path, field: str, labels: str, message: str, line: int
) -> None:
    (tmp_path / "rule.yaml").write_text(RULE.format(field=field, labels=labels))
    r = run_cli(["rules", "lint", str(tmp_path / "rule.yaml")])
    assert r.code == 2, r
    assert f"rule.yaml:{line}:" in r.out and message in r.out, r.out


def test_a_users_rule_takes_parameters_too(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rule.yaml").write_text(RULE.format(field="requiredLabels", labels="[team]"))
    report = _scan(run_cli, tmp_path, "rules: [rule.yaml]\n", DEPLOYMENT)
    assert _outcomes(report, "team-label") == ["fail"]
    report = _scan(run_cli, tmp_path, "rules: [rule.yaml]\nparameters:\n  team-label:\n    keys: [owner]\n", DEPLOYMENT)
    assert _outcomes(report, "team-label") == []
