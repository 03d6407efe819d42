"""kyverno-test.yaml runner: rows scored as Kyverno's runner scores them, leniency visible."""

from __future__ import annotations

import datetime
import json
import pathlib
import textwrap
from typing import Any

import pytest
import yaml

from guardrails.ruletest import FORMATS, kyverno

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Enforce
  rules:
  - name: check-team
    match:
      any:
      - resources:
          kinds: [Pod]
    preconditions:
      all:
      - key: "{{ request.object.metadata.labels.skip || '' }}"
        operator: NotEquals
        value: "yes"
    validate:
      message: "label team is required"
      pattern:
        metadata:
          labels:
            team: "?*"
  - name: services-only
    match:
      any:
      - resources:
          kinds: [Service]
    validate:
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.type }}"
            operator: Equals
            value: LoadBalancer
"""

RESOURCES = """\
apiVersion: v1
kind: Pod
metadata: {name: good, labels: {team: a}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: prod}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: skipped, labels: {skip: "yes"}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: deploy}
spec: {template: {metadata: {labels: {}}, spec: {containers: [{name: c, image: x}]}}}
"""


def write(tmp: pathlib.Path, results: list[dict[str, Any]], values: str | None = None) -> tuple[str, dict[str, Any]]:
    (tmp / "policy.yaml").write_text(POLICY)
    (tmp / "resources.yaml").write_text(RESOURCES)
    doc: dict[str, Any] = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"},
                           "policies": ["policy.yaml"], "resources": ["resources.yaml"], "results": results}
    if values is not None:
        (tmp / "values.yaml").write_text(values)
        doc["variables"] = "values.yaml"
    path = tmp / "kyverno-test.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path), doc


def row(rule: str, result: str, *names: str, kind: str = "Pod") -> dict[str, Any]:
    return {"policy": "require-team", "rule": rule, "kind": kind, "resources": list(names), "result": result}


def test_registered() -> None:
    assert FORMATS[("cli.kyverno.io", "Test")] == "guardrails.ruletest.kyverno"


def test_rows(tmp_path: pathlib.Path) -> None:
    path, doc = write(tmp_path, [
        row("check-team", "pass", "good"),
        row("check-team", "fail", "prod/bad", "default/good"),
        row("check-team", "skip", "skipped"),
        row("check-team", "fail", "deploy", kind="Deployment"),
    ])
    result = kyverno.run_file(path, doc, strict=False)
    got = [(c.name, c.expected, c.actual, c.ok) for c in result.cases]
    assert got == [
        ("require-team/check-team Pod/default/good", "pass", "pass", True),
        ("require-team/check-team Pod/prod/bad", "fail", "fail", True),
        ("require-team/check-team Pod/default/good", "fail", "pass", False),
        ("require-team/check-team Pod/default/skipped", "skip", "skip", True),
        ("require-team/autogen-check-team Deployment/default/deploy", "fail", "fail", True),
    ]
    assert not result.ok


def test_no_answer_is_lenient_and_strict_fails_it(tmp_path: pathlib.Path) -> None:
    path, doc = write(tmp_path, [row("services-only", "fail", "good")])
    (case,) = kyverno.run_file(path, doc, strict=False).cases
    assert (case.ok, case.lenient, case.actual) == (True, True, "excluded")
    (case,) = kyverno.run_file(path, doc, strict=True).cases
    assert (case.ok, case.lenient) == (False, True)


MUTATING = """\
apiVersion: policies.kyverno.io/v1alpha1
kind: MutatingPolicy
metadata: {name: add-team}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  mutations: []
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: defaults}
spec:
  rules:
  - name: add-label
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {team: a}}}}
"""

# A row that names what the test lacks: an error at the row's own line, with did-you-mean.
ROW_ERRORS = [
    ({"policy": "require-tema", "rule": "check-team", "resources": ["good"], "result": "pass"},
     "no policy 'require-tema' among the test's policies", "policy", "did you mean 'require-team'?"),
    ({"policy": "require-team", "rule": "check-teams", "resources": ["good"], "result": "pass"},
     "policy 'require-team' has no rule 'check-teams'", "rule", "did you mean 'check-team'?"),
    ({"policy": "require-team", "rule": "check-team", "resources": ["good", "nope"], "result": "pass"},
     "no resource 'nope' among the test's resources", "- nope", None),
]


@pytest.mark.parametrize(("bad", "message", "line_has", "hint"), ROW_ERRORS, ids=["policy", "rule", "resource"])
@pytest.mark.parametrize("strict", [False, True])
def test_a_row_naming_what_the_test_lacks_is_an_error_at_its_line(
        tmp_path: pathlib.Path, bad: dict[str, Any], message: str, line_has: str, hint: str | None, strict: bool) -> None:
    path, doc = write(tmp_path, [row("check-team", "pass", "good"), bad])
    result = kyverno.run_file(path, doc, strict=strict)
    (error,) = result.errors
    assert message in error.message and "result row 2" in error.message
    assert error.location is not None and error.location.path == path
    text = pathlib.Path(path).read_text().splitlines()
    assert error.location.line is not None and line_has in text[error.location.line - 1]
    assert hint is None or error.hint == hint
    # the other rows still ran, and nothing of the bad row passed
    assert [c.name for c in result.cases if c.ok][:1] == ["require-team/check-team Pod/default/good"]
    assert not result.ok


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("expected", ["pass", "skip", "fail"])
def test_rows_about_what_we_cannot_evaluate_fail_with_the_reason(tmp_path: pathlib.Path, strict: bool, expected: str) -> None:
    path, doc = write(tmp_path, [
        {"policy": "add-team", "resources": ["good"], "result": expected},
        {"policy": "defaults", "rule": "add-label", "resources": ["good"], "result": expected},
    ])
    (tmp_path / "mutating.yaml").write_text(MUTATING)
    doc["policies"] = ["policy.yaml", "mutating.yaml"]
    result = kyverno.run_file(path, doc, strict=strict)
    assert not result.errors, [e.render() for e in result.errors]
    assert [(c.ok, c.actual) for c in result.cases] == [(False, "not evaluated")] * 2
    assert "MutatingPolicy" in result.cases[0].detail and "mutate" in result.cases[1].detail.lower()


@pytest.mark.parametrize("field", ["patchedResources", "patchedResource", "generatedResource"])
def test_rows_about_mutated_objects_are_visible_skips(tmp_path: pathlib.Path, field: str) -> None:
    path, doc = write(tmp_path, [dict(row("check-team", "pass", "good"), **{field: "patched.yaml"})])
    (case,) = kyverno.run_file(path, doc, strict=False).cases
    assert (case.ok, case.skipped, case.actual) == (False, True, "skip") and field in case.detail


def test_values_update_allows_existing_violations(tmp_path: pathlib.Path) -> None:
    values = textwrap.dedent("""\
        apiVersion: cli.kyverno.io/v1alpha1
        kind: Values
        policies:
        - name: require-team
          resources:
          - name: bad
            values:
              request.operation: UPDATE
        """)
    path, doc = write(tmp_path, [row("check-team", "skip", "bad")], values)
    (case,) = kyverno.run_file(path, doc, strict=True).cases
    assert case.ok and "pre-existing" in case.detail


def test_broken_policy_path_is_an_error(tmp_path: pathlib.Path) -> None:
    path, doc = write(tmp_path, [row("check-team", "pass", "good")])
    doc["policies"] = ["missing.yaml"]
    result = kyverno.run_file(path, doc, strict=False)
    assert result.errors and "missing.yaml" in result.errors[0].render()


def test_old_field_names(tmp_path: pathlib.Path) -> None:
    old = {"policy": "require-team", "rule": "check-team", "kind": "Pod", "resource": "good", "status": "pass"}
    path, doc = write(tmp_path, [old])
    (case,) = kyverno.run_file(path, doc, strict=True).cases
    assert (case.ok, case.expected, case.actual) == (True, "pass", "pass")


def test_a_bad_policy_is_the_loaders_error_with_its_line(tmp_path: pathlib.Path) -> None:
    """Policies load through policy/load, so a broken one reads as in `guardrails scan`."""
    path, doc = write(tmp_path, [row("check-team", "pass", "good")])
    broken = POLICY.replace("operator: NotEquals", "operator: Equalz", 1)
    (tmp_path / "policy.yaml").write_text(broken)
    line = broken.splitlines().index("        operator: Equalz") + 1
    result = kyverno.run_file(path, doc, strict=False)
    (error,) = result.errors
    assert error.location is not None and error.location.path.endswith("policy.yaml") and error.location.line > 1
    assert error.location.line == line and "unknown operator 'Equalz'" in error.render()


def test_answers_come_from_the_engine_rule_ids_and_all(tmp_path: pathlib.Path) -> None:
    from guardrails.rule import CompiledRule

    path, doc = write(tmp_path, [row("check-team", "pass", "good")])
    suite = kyverno.load_suite(path, doc)
    (policy,) = suite.policies
    assert policy.name == "require-team"
    assert all(isinstance(r.rule, CompiledRule) and r.rule.id == f"require-team/{r.rule.name}" for r in policy.rules)


CONFIGMAP_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: allowed-teams}
spec:
  validationFailureAction: Enforce
  rules:
  - name: check-team
    context:
    - name: teams
      configMap: {name: teams, namespace: default}
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "team {{ request.object.metadata.labels.team || '' }} is not allowed"
      deny:
        conditions:
          any:
          - key: "{{ request.object.metadata.labels.team || '' }}"
            operator: AnyNotIn
            value: "{{ teams.data.allowed }}"
"""

# Where the values file supplies the configMap entry -> the rows' outcomes.
CLUSTER_CONTEXT = {
    "rule values": ("policies:\n- name: allowed-teams\n  rules:\n  - name: check-team\n"
                    "    values: {teams.data.allowed: '[\"a\"]'}\n", [(True, "pass"), (True, "fail")]),
    "resource values": ("policies:\n- name: allowed-teams\n  resources:\n"
                        "  - {name: good, values: {teams.data.allowed: '[\"a\"]'}}\n"
                        "  - {name: bad, values: {teams.data.allowed: '[\"a\"]'}}\n", [(True, "pass"), (True, "fail")]),
    "globalValues": ("globalValues: {teams.data.allowed: '[\"a\"]'}\n", [(True, "pass"), (True, "fail")]),
    "nothing": ("policies: []\n", [(False, "not evaluated"), (False, "not evaluated")]),
}


@pytest.mark.parametrize(("values", "want"), list(CLUSTER_CONTEXT.values()), ids=list(CLUSTER_CONTEXT))
def test_values_supply_cluster_context_entries(tmp_path: pathlib.Path, values: str, want: list[tuple[bool, str]]) -> None:
    """As Kyverno's CLI: a configMap/apiCall entry loads nothing offline; the values stand in."""
    path, doc = write(tmp_path, [
        {"policy": "allowed-teams", "rule": "check-team", "resources": ["good"], "result": "pass"},
        {"policy": "allowed-teams", "rule": "check-team", "resources": ["prod/bad"], "result": "fail"},
    ], "apiVersion: cli.kyverno.io/v1alpha1\nkind: Values\n" + values)
    (tmp_path / "policy.yaml").write_text(CONFIGMAP_POLICY)
    result = kyverno.run_file(path, doc, strict=True)
    assert not result.errors, [e.render() for e in result.errors]
    assert [(c.ok, c.actual) for c in result.cases] == want, result.cases


def test_a_scan_still_skips_a_rule_whose_cluster_context_nobody_supplied(tmp_path: pathlib.Path) -> None:
    from guardrails.engine import Engine
    from guardrails.model import Origin, Resource, Status
    from guardrails.policy.load import load_rules

    (tmp_path / "policy.yaml").write_text(CONFIGMAP_POLICY)
    (rule,) = [r for r in load_rules([tmp_path / "policy.yaml"]).rules if r.name == "check-team"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"}, "spec": {"containers": []}}
    (result,) = Engine([rule]).results(Resource(obj=pod, origin=Origin("m.yaml")))
    assert result.status is Status.SKIP and "configMap" in result.violations[0].message


def test_a_policy_that_is_not_scored_warns_instead_of_failing(tmp_path: pathlib.Path) -> None:
    path, doc = write(tmp_path, [row("check-team", "warn", "prod/bad"), row("check-team", "pass", "good")])
    unscored = POLICY.replace("  name: require-team\n", "  name: require-team\n  annotations:\n"
                              "    policies.kyverno.io/scored: \"false\"\n", 1)
    (tmp_path / "policy.yaml").write_text(unscored)
    result = kyverno.run_file(path, doc, strict=True)
    assert [(c.ok, c.actual) for c in result.cases] == [(True, "warn"), (True, "pass")]


FOREACH_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: images}
spec:
  validationFailureAction: Enforce
  rules:
  - name: small-images
    context:
    - name: size
      imageRegistry: {reference: "{{ element.image }}", jmesPath: "manifest.config.size"}
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: image too large
      foreach:
      - list: request.object.spec.containers
        deny:
          conditions:
            any:
            - {key: "{{ size }}", operator: GreaterThan, value: 100}
"""


@pytest.mark.parametrize(("sizes", "want"), [([10, 20], "pass"), ([10, 200], "fail")])
def test_foreach_values_give_one_value_per_element(tmp_path: pathlib.Path, sizes: list[int], want: str) -> None:
    values = ("apiVersion: cli.kyverno.io/v1alpha1\nkind: Values\npolicies:\n- name: images\n  rules:\n"
              f"  - name: small-images\n    values: {{size: 0}}\n    foreachValues: {{size: {sizes}}}\n")
    path, doc = write(tmp_path, [{"policy": "images", "rule": "small-images", "resources": ["two"], "result": want}], values)
    (tmp_path / "policy.yaml").write_text(FOREACH_POLICY)
    (tmp_path / "resources.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: two}\nspec: {containers: [{name: a, image: a}, {name: b, image: b}]}\n")
    (case,) = kyverno.run_file(path, doc, strict=True).cases
    assert (case.ok, case.actual) == (True, want), case


GLOBAL_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: allowed-teams}
spec:
  rules:
  - name: check-team
    context:
    - name: teams
      globalReference: {name: "{{ ref }}", jmesPath: "allowed"}
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      deny:
        conditions:
          any:
          - key: "{{ request.object.metadata.labels.team || '' }}"
            operator: AnyNotIn
            value: "{{ teams }}"
"""

_TEAMS = {"name": "teams", "data": {"allowed": ["a"]}}
# globalContextEntries, the entry the rule names (`ref`, a {{ }} variable: `entry` or
# `entry.projection`) -> the outcomes for the good and the bad Pod.
GLOBAL_REFERENCE = {
    "data": ([_TEAMS], "teams", ["pass", "fail"]),
    "projection": ([{"name": "teams", "data": {"t": {"allowed": ["a"]}}, "projections": [{"name": "p", "path": "t"}]}],
                   "teams.p", ["pass", "fail"]),
    "fieldPath then projection": ([{"name": "teams", "data": {"x": {"t": {"allowed": ["a"]}}}, "fieldPath": "x",
                                    "projections": [{"name": "p", "path": "t"}]}], "teams.p", ["pass", "fail"]),
    "missing entry": ([_TEAMS], "nope", ["error", "error"]),
    "missing projection": ([_TEAMS], "teams.p", ["error", "error"]),
    "no entries at all": ([], "teams", ["not evaluated", "not evaluated"]),
}


@pytest.mark.parametrize(("entries", "ref", "want"), list(GLOBAL_REFERENCE.values()), ids=list(GLOBAL_REFERENCE))
def test_global_reference_reads_the_tests_global_context_entries(
        tmp_path: pathlib.Path, entries: list[dict[str, Any]], ref: str, want: list[str]) -> None:
    path, doc = write(tmp_path, [
        {"policy": "allowed-teams", "rule": "check-team", "resources": ["good"], "result": "pass"},
        {"policy": "allowed-teams", "rule": "check-team", "resources": ["prod/bad"], "result": "fail"},
    ], f"apiVersion: cli.kyverno.io/v1alpha1\nkind: Values\nglobalValues: {{ref: {ref}}}\n")
    if entries:
        doc["globalContextEntries"] = entries
    (tmp_path / "policy.yaml").write_text(GLOBAL_POLICY)
    result = kyverno.run_file(path, doc, strict=True)
    assert not result.errors, [e.render() for e in result.errors]
    assert [c.actual for c in result.cases] == want, result.cases
    if want[0] == "error":
        assert "failed to load context entry 'teams'" in result.cases[0].detail


CLOCK_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: fresh}
spec:
  rules:
  - name: built-today
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "built {{ time_since('', '{{ request.object.metadata.annotations.built }}', '') }} ago"
      deny:
        conditions:
          any:
          - key: "{{ time_since('', '{{ request.object.metadata.annotations.built }}', '') }}"
            operator: GreaterThan
            value: 24h
"""


@pytest.mark.parametrize(("now", "want"), [
    (datetime.datetime(2026, 3, 6, 12, tzinfo=datetime.UTC), ["pass", "fail"]),
    (datetime.datetime(2026, 3, 9, tzinfo=datetime.UTC), ["fail", "fail"]),
    (None, ["skip", "skip"]),  # never the machine's clock
])
def test_jmespath_time_since_reads_the_evaluation_time(tmp_path: pathlib.Path, now: datetime.datetime | None,
                                                        want: list[str]) -> None:
    path, doc = write(tmp_path, [{"policy": "fresh", "rule": "built-today", "resources": ["new"], "result": "pass"},
                                 {"policy": "fresh", "rule": "built-today", "resources": ["old"], "result": "fail"}])
    (tmp_path / "policy.yaml").write_text(CLOCK_POLICY)
    (tmp_path / "resources.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: new, annotations: {built: '2026-03-06T00:00:00Z'}}\n"
        "spec: {containers: [{name: c, image: x}]}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: old, annotations: {built: '2026-03-01T00:00:00Z'}}\n"
        "spec: {containers: [{name: c, image: x}]}\n")
    result = kyverno.run_file(path, doc, strict=True, now=now)
    assert not result.errors, [e.render() for e in result.errors]
    assert [c.actual for c in result.cases] == want, result.cases
    if now is None:
        assert "no evaluation time was given" in result.cases[0].detail


JSON_POLICY = """\
apiVersion: policies.kyverno.io/v1beta1
kind: ValidatingPolicy
metadata: {name: big-enough}
spec:
  evaluation: {mode: JSON}
  validations:
  - expression: object.data.value > 10
    message: data.value must be greater than 10
---
apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata: {name: http-only}
spec:
  evaluation: {mode: HTTP}
  validations:
  - expression: "object.attributes.path == '/ok' ? http.Allowed().Response() : http.Denied('no').Response()"
"""

JSON_EXCEPTION = """\
apiVersion: policies.kyverno.io/v1alpha1
kind: PolicyException
metadata: {name: spare-it}
spec:
  policyRefs: [{name: big-enough, kind: ValidatingPolicy}]
  matchConditions:
  - {name: spared, expression: "object.metadata.name == 'spared'"}
"""


@pytest.mark.parametrize(("files", "want"), [
    ({"big.json": {"metadata": {"name": "big"}, "data": {"value": 11}}}, {"big.json": "pass"}),
    ({"small.json": {"metadata": {"name": "small"}, "data": {"value": 5}}}, {"small.json": "fail"}),
    ({"spared.json": {"metadata": {"name": "spared"}, "data": {"value": 5}}}, {"spared.json": "skip"}),
    ({"odd.json": {"data": {}}}, {"odd.json": "fail"}),  # no value: the expression errors, failurePolicy Fail
])
def test_json_payloads_are_judged_by_json_mode_policies(tmp_path: pathlib.Path, files: dict[str, Any],
                                                         want: dict[str, str]) -> None:
    (tmp_path / "policy.yaml").write_text(JSON_POLICY)
    (tmp_path / "exception.yaml").write_text(JSON_EXCEPTION)
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
    expected = next(iter(want.values()))
    doc = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"},
           "policies": ["policy.yaml"], "exceptions": ["exception.yaml"], "jsonPayloads": list(files),
           "results": [{"policy": "big-enough", "kind": "", "result": expected}]}
    path = tmp_path / "kyverno-test.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = kyverno.run_file(path, doc, strict=True)
    assert not result.errors, [e.render() for e in result.errors]
    # The HTTP policy never judges a JSON payload: one case, the JSON policy's.
    assert [(c.name, c.actual) for c in result.cases] == [(f"big-enough/ payload {n}", w) for n, w in want.items()]
    assert all(c.ok for c in result.cases)


def test_http_payloads_take_the_first_answer(tmp_path: pathlib.Path) -> None:
    (tmp_path / "policy.yaml").write_text(JSON_POLICY)
    (tmp_path / "ok.json").write_text('{"attributes": {"path": "/ok"}}')
    (tmp_path / "no.json").write_text('{"attributes": {"path": "/admin"}}')
    doc = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"},
           "policies": ["policy.yaml"], "httpPayloads": ["ok.json", "no.json"],
           "results": [{"policy": "http-only", "kind": "", "result": "pass"}]}
    result = kyverno.run_file(tmp_path / "kyverno-test.yaml", doc, strict=True)
    assert {c.name: (c.actual, c.detail) for c in result.cases} == {
        "http-only/ payload ok.json": ("pass", "request allowed"),
        "http-only/ payload no.json": ("fail", "request denied, reason: no"),
    }


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot read"),
    ("[1, 2]", "must hold one JSON object"),
])
def test_a_bad_payload_file_is_an_error_naming_it(tmp_path: pathlib.Path, content: str | None, says: str) -> None:
    (tmp_path / "policy.yaml").write_text(JSON_POLICY)
    if content is not None:
        (tmp_path / "p.json").write_text(content)
    doc = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"},
           "policies": ["policy.yaml"], "envoyPayloads": ["p.json"],
           "results": [{"policy": "big-enough", "kind": "", "result": "pass"}]}
    result = kyverno.run_file(tmp_path / "kyverno-test.yaml", doc, strict=True)
    assert result.errors and says in result.errors[0].render() and "p.json" in result.errors[0].render()
