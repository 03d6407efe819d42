"""The native RuleTest format: expectations met and missed, and every way a test file can be wrong."""

from __future__ import annotations

import pathlib
import textwrap

import pytest
import yaml

from guardrails.ruletest import native

RULE = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata:
  name: team-label
spec:
  title: Workloads carry a team label
  match:
    kinds: [Deployment, ConfigMap]
  requiredLabels: [team]
"""

RESOURCES = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: good, namespace: shop, labels: {team: payments}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: bad, namespace: shop}
- apiVersion: v1
  kind: Service
  metadata: {name: svc}
"""


def _write(tmp_path: pathlib.Path, results: str, *, resources: str = RESOURCES, extra: str = "") -> pathlib.Path:
    (tmp_path / "team-label.yaml").write_text(RULE)
    doc = (
        "apiVersion: guardrails.dev/v1\nkind: RuleTest\nmetadata: {name: t}\nspec:\n"
        "  rules: [team-label.yaml]\n"
        f"  resources:\n{textwrap.indent(resources, '    ')}"
        f"  results:\n{textwrap.indent(textwrap.dedent(results), '    ')}{extra}"
    )
    path = tmp_path / "team-label.test.yaml"
    path.write_text(doc)
    return path


def _run(path: pathlib.Path, *, strict: bool = False) -> native.FileResult:
    doc = yaml.safe_load(path.read_text())
    return native.run_file(path, doc, strict=strict)


# (expectations, [(case name, ok, actual)])
CASES = [
    ("- {rule: team-label, resources: [good], result: pass}\n", [("team-label good", True, "pass")]),
    ("- {rule: team-label, resource: Deployment/bad, result: fail}\n", [("team-label Deployment/bad", True, "fail")]),
    ("- {rule: team-label, resources: [Deployment/shop/bad], result: fail, message: team}\n", [("team-label Deployment/shop/bad", True, "fail")]),
    # the message fragment must appear in a message
    ("- {rule: team-label, resources: [bad], result: fail, message: owner}\n", [("team-label bad", False, "fail")]),
    # a rule that does not match the resource is a skip, never a pass
    ("- {rule: team-label, resources: [svc], result: skip}\n", [("team-label svc", True, "skip")]),
    ("- {rule: team-label, resources: [svc], result: pass}\n", [("team-label svc", False, "skip")]),
    ("- {rule: team-label, resources: [good, bad], result: pass}\n", [("team-label good", True, "pass"), ("team-label bad", False, "fail")]),
]


@pytest.mark.parametrize(("results", "expected"), CASES, ids=[c[0].strip() for c in CASES])
def test_expectations(tmp_path: pathlib.Path, results: str, expected: list[tuple[str, bool, str]]) -> None:
    out = _run(_write(tmp_path, results))
    assert not out.errors
    assert [(c.name, c.ok, c.actual) for c in out.cases] == expected


def test_a_mismatch_explains_itself(tmp_path: pathlib.Path) -> None:
    out = _run(_write(tmp_path, "- {rule: team-label, resources: [bad], result: pass}\n"))
    (case,) = out.cases
    assert not case.ok and case.expected == "pass" and case.actual == "fail"
    assert "team" in case.detail


def test_strict_reports_outcomes_no_expectation_covers(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, "- {rule: team-label, resources: [good], result: pass}\n")
    assert _run(path).ok
    strict = _run(path, strict=True)
    assert not strict.ok
    assert [(c.name, c.expected, c.actual) for c in strict.cases if not c.ok] == [
        ("team-label Deployment/shop/bad", "(no expectation)", "fail")
    ]


def test_resources_from_files(tmp_path: pathlib.Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {team: x}}\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"
    )
    path = _write(
        tmp_path,
        "- {rule: team-label, resources: [ConfigMap/a], result: pass}\n"
        "- {rule: team-label, resources: [ConfigMap/b], result: fail}\n",
        resources="- manifests/app.yaml\n",
    )
    out = _run(path)
    assert out.ok, out


# (expectations or override, error fragment, hint fragment, line of the error)
ERRORS = [
    ("- {rule: team-lable, resources: [good], result: pass}\n", "no rule 'team-lable'", "did you mean 'team-label'", 17),
    ("- {rule: team-label, resources: [nope], result: pass}\n", "no resource 'nope'", "resources:", 17),
    ("- {rule: team-label, resources: [good], result: passed}\n", "result 'passed' is not one of pass, fail, skip, error, unknown", None, 17),
    ("- {rule: team-label, resources: [good], result: pass, mesage: x}\n", "unknown key 'mesage'", "did you mean 'message'", 17),
    ("- {rule: team-label, resources: [good], result: pass, message: 3}\n", "message: expected a string", None, 17),
    ("- just a string\n", "expected a mapping", None, 17),
]


@pytest.mark.parametrize(("results", "message", "hint", "line"), ERRORS, ids=[e[1] for e in ERRORS])
def test_errors_in_the_test_file_are_located(tmp_path: pathlib.Path, results: str, message: str, hint: str | None, line: int) -> None:
    out = _run(_write(tmp_path, results))
    assert not out.ok and not out.cases
    (err,) = out.errors
    assert message in err.message
    if hint:
        assert err.hint and hint in err.hint
    assert err.location is not None and err.location.path.endswith("team-label.test.yaml")
    assert err.location.line == line


def test_a_missing_rule_file_is_an_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.test.yaml"
    path.write_text(
        "apiVersion: guardrails.dev/v1\nkind: RuleTest\nmetadata: {name: t}\nspec:\n"
        "  rules: [missing.yaml]\n  resources: [{apiVersion: v1, kind: Pod, metadata: {name: p}}]\n"
        "  results: [{rule: x, resources: [p], result: pass}]\n"
    )
    (err,) = _run(path).errors
    assert "missing.yaml" in err.message and err.location is not None and err.location.line == 5


def test_an_invalid_rule_file_is_an_error_naming_its_line(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, "- {rule: team-label, resources: [good], result: pass}\n")
    (tmp_path / "team-label.yaml").write_text(RULE.replace("title:", "titel:"))
    errors = _run(path).errors
    assert errors and "unknown key 'titel'" in errors[0].message
    assert errors[0].location is not None and errors[0].location.path.endswith("team-label.yaml")


def test_terraform_plans_as_resources_named_by_address(tmp_path: pathlib.Path) -> None:
    (tmp_path / "tags.yaml").write_text(
        "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: tags}\n"
        "spec:\n  match: {kinds: [aws_s3_bucket]}\n  requiredLabels: [team]\n"
    )
    bucket = '{{"address": "aws_s3_bucket.{0}", "mode": "managed", "type": "aws_s3_bucket", "name": "{0}", "change": {{"actions": ["create"], "after": {1}, "after_unknown": {2}}}}}'
    (tmp_path / "plan.json").write_text(
        '{"format_version": "1.2", "resource_changes": ['
        + bucket.format("good", '{"tags_all": {"team": "a"}}', "{}") + ", "
        + bucket.format("bad", '{"tags_all": {}}', "{}") + ", "
        + bucket.format("later", '{"tags": null}', '{"tags_all": true}')
        + "]}"
    )
    path = tmp_path / "t.test.yaml"
    path.write_text(
        "apiVersion: guardrails.dev/v1\nkind: RuleTest\nmetadata: {name: t}\nspec:\n"
        "  rules: [tags.yaml]\n  resources: [plan.json]\n  results:\n"
        "    - {rule: tags, resources: [aws_s3_bucket.good], result: pass}\n"
        "    - {rule: tags, resources: [aws_s3_bucket.bad], result: fail, message: team}\n"
        "    - {rule: tags, resources: [aws_s3_bucket.later], result: unknown}\n"
    )
    out = _run(path, strict=True)
    assert out.ok, out
    assert [c.actual for c in out.cases] == ["pass", "fail", "unknown"]
