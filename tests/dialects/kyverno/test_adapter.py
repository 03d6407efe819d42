"""Kyverno documents wherever rules load: beside native rules, with file:line errors in
Kyverno's field names, unsupported rules listed, PolicyExceptions applied by the engine."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from guardrails.engine import Engine
from guardrails.errors import RuleFileError
from guardrails.model import Action, Origin, Resource, Severity, Status
from guardrails.policy.load import lint_rules, load_rules

POLICY = textwrap.dedent("""\
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-latest-tag
      annotations:
        policies.kyverno.io/title: Disallow Latest Tag
        policies.kyverno.io/severity: high
        policies.kyverno.io/category: Best Practices
    spec:
      validationFailureAction: Enforce
      rules:
      - name: validate-image-tag
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          message: "Using a mutable image tag e.g. 'latest' is not allowed."
          pattern:
            spec:
              containers:
              - image: "!*:latest"
      - name: mutate-it
        match:
          any:
          - resources:
              kinds: [Pod]
        mutate:
          patchStrategicMerge: {}
    """)

NATIVE = textwrap.dedent("""\
    apiVersion: guardrails.dev/v1
    kind: Rule
    metadata:
      name: native-rule
    spec:
      title: t
      description: d
      remediation: Fix it.
      severity: low
      action: warn
      match: {kinds: [Pod]}
      requiredLabels: [team]
    """)


def pod(image: str, kind: str = "Pod") -> Resource:
    spec = {"containers": [{"name": "c", "image": image}]}
    if kind == "Deployment":
        obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"},
               "spec": {"template": {"metadata": {}, "spec": spec}}}
    else:
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}
    return Resource(obj=obj, origin=Origin("x.yaml"))


def test_loads_beside_native_rules(tmp_path: pathlib.Path) -> None:
    (tmp_path / "kyverno.yaml").write_text(POLICY)
    (tmp_path / "native.yaml").write_text(NATIVE)
    ruleset, problems = lint_rules([tmp_path])
    assert problems == []
    names = sorted(r.name for r in ruleset.rules)
    assert names == ["autogen-cronjob-mutate-it", "autogen-cronjob-validate-image-tag", "autogen-mutate-it",
                     "autogen-validate-image-tag", "mutate-it", "native-rule", "validate-image-tag"]
    rule = next(r for r in ruleset.rules if r.name == "validate-image-tag")
    assert (rule.policy, rule.dialect, rule.severity, rule.action, rule.title, rule.category) == (
        "disallow-latest-tag", "kyverno", Severity.HIGH, Action.DENY, "Disallow Latest Tag", "Best Practices")
    assert rule.source is not None and rule.source.line == 12
    skipped = [f"{r.source}: {r.unsupported}" for r in ruleset.unsupported]
    assert any("mutate" in w and "kyverno.yaml:23" in w for w in skipped), skipped


def test_engine_verdicts(tmp_path: pathlib.Path) -> None:
    (tmp_path / "kyverno.yaml").write_text(POLICY)
    engine = Engine(load_rules([tmp_path]).rules)
    by_rule = {r.rule: r for r in engine.results(pod("nginx:latest"))}
    assert by_rule["validate-image-tag"].status is Status.FAIL
    assert by_rule["mutate-it"].status is Status.SKIP
    (finding,) = [f for f in engine.evaluate(pod("nginx:latest")) if f.name == "validate-image-tag"]
    assert finding.path == ("spec", "containers", 0, "image")
    assert finding.rule == "disallow-latest-tag/validate-image-tag"  # the id: policy/rule
    assert finding.message.startswith("validation error: Using a mutable image tag")
    dep = {r.rule: r.status for r in engine.results(pod("nginx:latest", "Deployment"))}
    assert dep["autogen-validate-image-tag"] is Status.FAIL and "validate-image-tag" not in dep
    assert {r.rule: r.status for r in engine.results(pod("nginx:1"))}["validate-image-tag"] is Status.PASS


def test_errors_name_file_line_and_field(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(textwrap.dedent("""\
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: p}
        spec:
          rules:
          - name: r
            match: {any: [{resources: {kinds: [Pod]}}]}
            validate:
              deny:
                conditions:
                  any:
                  - {key: a, operator: Equalz, value: b}
        """))
    with pytest.raises(RuleFileError) as e:
        load_rules([f])
    assert "spec.rules[0].validate.deny.conditions.any[0].operator: unknown operator 'Equalz'" in e.value.message
    assert e.value.location is not None and e.value.location.path.endswith("p.yaml")
    assert (e.value.location.line, e.value.location.column) == (12, 22)


def test_policy_exception_waives(tmp_path: pathlib.Path) -> None:
    (tmp_path / "kyverno.yaml").write_text(POLICY)
    (tmp_path / "exception.yaml").write_text(textwrap.dedent("""\
        apiVersion: kyverno.io/v2
        kind: PolicyException
        metadata: {name: allow-latest, namespace: ns}
        spec:
          exceptions:
          - policyName: disallow-latest-tag
            ruleNames: [validate-image-tag]
          match:
            any:
            - resources:
                kinds: [Pod, Deployment]
                namespaces: [ns]
        """))
    ruleset = load_rules([tmp_path])
    engine = Engine(ruleset.rules, ruleset.waivers)
    statuses = {f.name: f.status for f in engine.evaluate(pod("nginx:latest"))}
    assert statuses["validate-image-tag"] is Status.WAIVED
    dep = {f.name: f.status for f in engine.evaluate(pod("nginx:latest", "Deployment"))}
    assert dep["autogen-validate-image-tag"] is Status.WAIVED


def test_rules_lint_lists_unsupported_rules(tmp_path: pathlib.Path) -> None:
    import io

    from guardrails import cli

    (tmp_path / "kyverno.yaml").write_text(POLICY)
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["rules", "lint", str(tmp_path)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    lines = [line for line in out.getvalue().splitlines() if line.startswith("skip:")]
    assert len(lines) == 3 and all("mutate rules" in line for line in lines)
    assert "kyverno.yaml:23" in lines[0]
    assert cli.run(["rules", "lint", "--strict", str(tmp_path)], stdout=io.StringIO(), stderr=err) == 2


@pytest.mark.parametrize(
    ("api", "kind"),
    [("policies.kyverno.io/v1beta1", "MutatingPolicy"), ("kyverno.io/v2", "ClusterCleanupPolicy")],
)
def test_other_kyverno_kinds_load_as_skips_not_dropped(tmp_path: pathlib.Path, api: str, kind: str) -> None:
    (tmp_path / "p.yaml").write_text(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\nspec: {{}}\n")
    ruleset, problems = lint_rules([tmp_path])
    assert problems == []
    (rule,) = ruleset.rules  # a rule whose every match is a SKIP with the reason
    assert rule.unsupported and kind in rule.unsupported and rule.id == f"{kind}/x"
    assert rule.source is not None and rule.source.line == 1


def test_failure_action_overrides_by_namespace(tmp_path: pathlib.Path) -> None:
    text = POLICY.replace("  validationFailureAction: Enforce\n", textwrap.indent(textwrap.dedent("""\
        validationFailureAction: Enforce
        validationFailureActionOverrides:
        - action: Audit
          namespaces: [dev-*]
        - action: Audit
          namespaceSelector: {matchLabels: {tier: sandbox}}
        """), "  "))
    (tmp_path / "kyverno.yaml").write_text(text)
    engine = Engine(load_rules([tmp_path]).rules)

    def action(namespace: str, labels: dict[str, str] | None = None) -> Action:
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": namespace},
               "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}
        r = Resource(obj=obj, origin=Origin("x.yaml"), namespace_labels=labels)
        (f,) = [f for f in engine.evaluate(r) if f.name == "validate-image-tag"]
        return f.action

    assert action("dev-1") is Action.AUDIT
    assert action("prod") is Action.DENY
    assert action("prod", {"tier": "sandbox"}) is Action.AUDIT


def test_policy_exception_waives_only_its_policys_rule(tmp_path: pathlib.Path) -> None:
    """An exception names a policy and its rules: another policy's rule of that name still fails."""
    from tests.twin_policies import twin_repo

    root = twin_repo(tmp_path)
    (root / "policies" / "exception.yaml").write_text(textwrap.dedent("""\
        apiVersion: kyverno.io/v2
        kind: PolicyException
        metadata: {name: team-optional, namespace: apps}
        spec:
          exceptions:
          - policyName: require-team
            ruleNames: [check-label]
          match:
            any:
            - resources: {kinds: [Pod], namespaces: [apps]}
        """))
    ruleset = load_rules([root / "policies"])
    import yaml

    from guardrails.model import Origin, Resource
    from tests.twin_policies import POD

    findings = Engine(ruleset.rules, ruleset.waivers).evaluate(Resource(yaml.safe_load(POD), Origin("pod.yaml")))
    assert {f.rule: f.status for f in findings} == {
        "require-team/check-label": Status.WAIVED,
        "require-owner/check-label": Status.FAIL,
    }
