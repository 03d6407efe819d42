"""Gatekeeper ExpansionTemplates: constraints judge the Pods (and Jobs) that controllers would
create, as Gatekeeper's audit, webhook and gator do (website/docs/expansion.md)."""

from __future__ import annotations

import datetime
import json
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.dialects.gatekeeper import expansion
from guardrails.engine import Engine
from guardrails.errors import RuleFileError
from guardrails.model import Action, Origin, Resource, Status
from guardrails.policy.load import load_rules
from guardrails.ruletest import gator
from guardrails.scan import scan_text
from guardrails.sources.admission import parse_review
from guardrails.webhook.admit import decide
from guardrails.webhook.rules import RuleBook
from tests import shared

TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sdisallowlatest
spec:
  crd:
    spec:
      names:
        kind: K8sDisallowLatest
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sdisallowlatest
        violation[{"msg": msg}] {
          c := input.review.object.spec.containers[_]
          endswith(c.image, ":latest")
          msg := sprintf("container <%v> of %v %v/%v uses :latest (%v)",
            [c.name, input.review.kind.kind, input.review.namespace, input.review.name, object.get(input.review, "operation", "-")])
        }
"""


def constraint(match_extra: str = "", action: str = "") -> str:
    return f"""\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sDisallowLatest
metadata:
  name: no-latest
spec:
{action}  match:
{match_extra}    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
"""


def expansion_template(name: str = "expand-deployments", *, action: str = "", apply: str = "", source: str = "spec.template",
                       gvk: str = 'kind: "Pod"\n    group: ""\n    version: "v1"', version: str = "v1alpha1") -> str:
    apply = apply or '    - groups: ["apps"]\n      kinds: ["Deployment"]\n      versions: ["v1"]\n    - groups: ["batch"]\n      kinds: ["Job"]\n      versions: ["v1"]\n'
    return f"""\
apiVersion: expansion.gatekeeper.sh/{version}
kind: ExpansionTemplate
metadata:
  name: {name}
spec:
  applyTo:
{apply}  templateSource: "{source}"
{action}  generatedGVK:
    {gvk}
"""


CRONJOBS = expansion_template(
    "expand-cronjobs", version="v1beta1", source="spec.jobTemplate",
    apply='    - groups: ["batch"]\n      kinds: ["CronJob"]\n      versions: ["v1"]\n',
    gvk='kind: "Job"\n    group: "batch"\n    version: "v1"',
)

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "Web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}}},
}
CRONJOB = {
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "jobs"},
    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "job", "image": "busybox:latest"}]}}}}},
}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": "shop"},
       "spec": {"containers": [{"name": "c", "image": "redis:latest"}]}}


def write(tmp_path: pathlib.Path, *docs: str) -> pathlib.Path:
    path = tmp_path / "rules.yaml"
    path.write_text("---\n".join(docs))
    return path


def rules_of(tmp_path: pathlib.Path, *docs: str) -> Any:
    return load_rules([write(tmp_path, *docs)]).rules


def findings(rules: Any, obj: dict[str, Any]) -> list[Any]:
    return list(scan_text(json.dumps(obj), "o.json", Engine(rules)).findings)


def test_a_deployment_is_judged_by_the_pod_it_would_create(tmp_path: pathlib.Path) -> None:
    rules = rules_of(tmp_path, TEMPLATE, constraint(), expansion_template())
    (f,) = findings(rules, DEPLOYMENT)
    # Gatekeeper's words for a violation on an expanded resource, and the Pod as it makes it:
    # `<parent>-pod` in lower case, in the parent's namespace; the path is the template source,
    # down to the container the message names.
    assert f.message == "[Implied by expand-deployments] container <web> of Pod shop/web-pod uses :latest (-)"
    assert f.path == ("spec", "template", "spec", "containers", 0)
    assert (f.resource.kind, f.resource.name) == ("Deployment", "Web")
    assert f.action is Action.DENY  # no override: the constraint's own action


def test_the_templates_enforcement_action_overrides_the_constraints(tmp_path: pathlib.Path) -> None:
    rules = rules_of(tmp_path, TEMPLATE, constraint(), expansion_template(action='  enforcementAction: "warn"\n'))
    (f,) = findings(rules, DEPLOYMENT)
    assert f.action is Action.WARN
    (own,) = findings(rules, POD)  # only what the expanded Pods violate
    assert own.action is Action.DENY and own.message.startswith("container <c>")


def test_a_cronjob_expands_to_a_job_and_on_to_its_pod(tmp_path: pathlib.Path) -> None:
    rules = rules_of(tmp_path, TEMPLATE, constraint(), expansion_template(), CRONJOBS)
    (f,) = findings(rules, CRONJOB)
    assert f.message == "[Implied by expand-deployments] container <job> of Pod jobs/nightly-job-pod uses :latest (-)"
    assert f.path == ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)


def test_the_expanded_object_is_made_as_gatekeeper_makes_it(tmp_path: pathlib.Path) -> None:
    t = expansion.parse(yaml.safe_load(expansion_template()))
    (child,) = expansion.Expander([t]).children(Resource(DEPLOYMENT, Origin("d.yaml")))
    assert child.resource.obj == {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"labels": {"app": "web"}, "namespace": "shop", "name": "web-pod",
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "Web"}]},
        "spec": DEPLOYMENT["spec"]["template"]["spec"],  # type: ignore[index]
    }
    assert (child.template, child.path, child.error) == ("expand-deployments", ("spec", "template"), None)
    assert "namespace" not in DEPLOYMENT["spec"]["template"]["metadata"]  # type: ignore[index]  # the parent is untouched


@pytest.mark.parametrize(("source", "judged"), [
    ("", {"Deployment", "Pod"}),
    ('    source: "All"\n', {"Deployment", "Pod"}),
    ('    source: "Generated"\n', {"Deployment"}),
    ('    source: "Original"\n', {"Pod"}),
])
def test_match_source_picks_originals_expanded_objects_or_both(tmp_path: pathlib.Path, source: str, judged: set[str]) -> None:
    rules = rules_of(tmp_path, TEMPLATE, constraint(source), expansion_template())
    assert {f.resource.kind for obj in (DEPLOYMENT, POD) for f in findings(rules, obj)} == judged


def test_without_an_expansion_template_a_pod_constraint_does_not_judge_controllers(tmp_path: pathlib.Path) -> None:
    rules = rules_of(tmp_path, TEMPLATE, constraint())
    assert findings(rules, DEPLOYMENT) == []
    assert len(findings(rules, POD)) == 1


def test_a_controller_without_the_source_field_is_an_error_not_a_pass(tmp_path: pathlib.Path) -> None:
    rules = rules_of(tmp_path, TEMPLATE, constraint(), expansion_template())
    broken = {**DEPLOYMENT, "spec": {"replicas": 1}}
    (f,) = findings(rules, broken)
    assert f.status is Status.ERROR
    assert "ExpansionTemplate 'expand-deployments' cannot expand Deployment Web: it has no mapping at spec.template" in f.message


_BAD = [
    ("empty source", expansion_template(source=""), "empty templateSource", 5),
    ("self edge", expansion_template(apply='    - groups: [""]\n      kinds: ["Pod"]\n      versions: ["v1"]\n'),
     "generates Pod (core/v1) and also applies to it", 6),
    ("bad action", expansion_template(action="  enforcementAction: block\n"), "unknown enforcementAction 'block'", 14),
    ("no gvk", expansion_template(gvk="{}"), "empty generatedGVK", 5),
    ("no applyTo", expansion_template(apply="    []\n"), "must specify applyTo", 5),
    ("long name", expansion_template("x" * 64), "must be less than 64 characters", 4),
]


@pytest.mark.parametrize(("doc", "said", "line"), [pytest.param(d, s, ln, id=i) for i, d, s, ln in _BAD])
def test_an_invalid_expansion_template_is_a_load_error_at_its_line(tmp_path: pathlib.Path, doc: str, said: str, line: int) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([path])
    assert said in e.value.message
    assert e.value.location is not None and (e.value.location.path, e.value.location.line) == (str(path), line)


def test_templates_expanding_into_each_other_are_a_load_error(tmp_path: pathlib.Path) -> None:
    pods_to_jobs = expansion_template(
        "jobs-from-pods", apply='    - groups: [""]\n      kinds: ["Pod"]\n      versions: ["v1"]\n',
        gvk='kind: "Job"\n    group: "batch"\n    version: "v1"')
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([write(tmp_path, TEMPLATE, constraint(), expansion_template(), pods_to_jobs)])
    assert "'expand-deployments', 'jobs-from-pods' expand into each other in a cycle" in e.value.message


def test_an_unknown_match_source_is_a_load_error(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, TEMPLATE, constraint('    source: "Fake"\n'))
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([path])
    assert "unknown source 'Fake'" in e.value.message and e.value.location is not None
    assert e.value.location.line == TEMPLATE.count("\n") + 1 + 7


def test_gator_suites_name_their_expansion_file(tmp_path: pathlib.Path) -> None:
    """gator verify's `expansion:` field on a test: the object is judged with its expansions."""
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "constraint.yaml").write_text(constraint())
    (tmp_path / "expansion.yaml").write_text(expansion_template() + "---\n" + CRONJOBS)
    (tmp_path / "deployment.yaml").write_text(yaml.safe_dump(DEPLOYMENT))
    (tmp_path / "cronjob.yaml").write_text(yaml.safe_dump(CRONJOB))
    suite = {"kind": "Suite", "apiVersion": "test.gatekeeper.sh/v1alpha1", "tests": [
        {"name": "expanded", "template": "template.yaml", "constraint": "constraint.yaml", "expansion": "expansion.yaml",
         "cases": [{"name": "deployment", "object": "deployment.yaml",
                    "assertions": [{"violations": 1, "message": r"^\[Implied by expand-deployments\] container <web>"}]},
                   {"name": "cronjob", "object": "cronjob.yaml", "assertions": [{"violations": 1}]}]},
        {"name": "plain", "template": "template.yaml", "constraint": "constraint.yaml",
         "cases": [{"name": "deployment", "object": "deployment.yaml", "assertions": [{"violations": "no"}]}]},
    ]}
    outcomes, errors = gator.run_suite(tmp_path / "suite.yaml", suite)
    assert errors == []
    assert [(o.test, o.case, o.ok) for o in outcomes] == [
        ("expanded", "deployment", True), ("expanded", "cronjob", True), ("plain", "deployment", True)]
    assert all(a.matched == 1 for o in outcomes[:2] for a in o.assertions)


def test_at_admission_the_expanded_pod_has_the_requests_namespace_and_operation(tmp_path: pathlib.Path) -> None:
    """The recorded Deployment request: its Pod gets the request's namespace and operation, and
    a scan of the same Deployment agrees on everything but what only a request carries."""
    review = json.loads(shared.require("admission", "policy-server__deployment_admission_review.json").read_text())
    review["request"]["object"]["spec"]["template"]["spec"]["containers"][0]["image"] = "api:latest"
    rules = rules_of(tmp_path, TEMPLATE, constraint(), expansion_template(action='  enforcementAction: "warn"\n'))
    book = RuleBook.build(rules, (), datetime.date(2026, 12, 1))
    outcome = decide(book, parse_review(review), excluded=frozenset(), fail_open=False)
    (f,) = outcome.findings
    req = review["request"]
    assert f.message == f"[Implied by expand-deployments] container <api> of Pod {req['namespace']}/{req['name']}-pod uses :latest (CREATE)"
    assert f.action is Action.WARN
    assert outcome.verdict is not None and outcome.verdict.allowed  # a warning, not a denial
    obj = {**req["object"], "metadata": {**req["object"].get("metadata", {}), "namespace": req["namespace"]}}
    (scanned,) = findings(rules, obj)
    assert scanned.message == f.message.replace("(CREATE)", "(-)")


def _scan_notices(tmp_path: pathlib.Path, *docs: str) -> tuple[str, ...]:
    from guardrails.scan import scan

    rules = write(tmp_path, *docs)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "all.yaml").write_text(yaml.safe_dump_all([DEPLOYMENT, CRONJOB, POD]))
    return scan([str(tmp_path / "app")], rules=load_rules([rules]), root=tmp_path).notices


JOBS_ONLY = expansion_template(
    "expand-jobs", apply='    - groups: ["batch"]\n      kinds: ["Job"]\n      versions: ["v1"]\n')


@pytest.mark.parametrize(("docs", "missed"), [
    pytest.param((constraint(),), "CronJob, Deployment", id="no expansion"),
    pytest.param((constraint(), JOBS_ONLY, CRONJOBS), "Deployment", id="cronjobs reach pods through jobs"),
    pytest.param((constraint(), CRONJOBS), "CronJob, Deployment", id="cronjobs stop at jobs"),
    pytest.param((constraint(), expansion_template(), CRONJOBS), None, id="all expanded"),
    pytest.param((constraint('    source: "Original"\n'),), None, id="asks for originals only"),
])
def test_a_pod_constraint_says_once_which_scanned_controllers_it_does_not_judge(
        tmp_path: pathlib.Path, docs: tuple[str, ...], missed: str | None) -> None:
    notices = [n for n in _scan_notices(tmp_path, TEMPLATE, *docs) if "matches Pods only" in n]
    if missed is None:
        assert notices == []
    else:
        assert notices == [f"K8sDisallowLatest/no-latest matches Pods only: the {missed} scanned are not judged by it "
                           "(Gatekeeper judges the Pods controllers create only through an ExpansionTemplate: "
                           "add one to the rules to judge them)"]


@pytest.mark.parametrize(("setting", "kinds"), [
    ("gatekeeper-expansion: standard\n", {"Deployment", "CronJob", "Pod"}),
    ("gatekeeper-expansion: false\n", {"Pod"}),
    ("", {"Pod"}),
])
def test_the_standard_expansion_is_opt_in_from_the_settings(tmp_path: pathlib.Path, setting: str, kinds: set[str]) -> None:
    from guardrails import config
    from guardrails.scan import scan

    write(tmp_path, TEMPLATE, constraint())
    (tmp_path / ".guardrails.yaml").write_text("rules: [rules.yaml]\n" + setting)
    (tmp_path / "app.yaml").write_text(yaml.safe_dump_all([DEPLOYMENT, CRONJOB, POD]))
    settings = config.merge(config.Flags(config=str(tmp_path / ".guardrails.yaml")))
    report = scan([str(tmp_path / "app.yaml")], rules=settings.rules(), root=tmp_path)
    assert {f.resource.kind for f in report.findings} == kinds
    if "Deployment" in kinds:
        assert sorted(f.message.split("]")[0] for f in report.findings if f.resource.kind != "Pod") == [
            "[Implied by guardrails-standard-pods", "[Implied by guardrails-standard-pods"]
        assert all(f.action is Action.DENY for f in report.findings)  # the constraint's own action
    else:
        assert any("matches Pods only" in n for n in report.notices)


def test_a_wrong_expansion_setting_is_an_error_at_its_line(tmp_path: pathlib.Path) -> None:
    from guardrails import config
    from guardrails.errors import ConfigError

    (tmp_path / ".guardrails.yaml").write_text("fail-on: high\ngatekeeper-expansion: yes-please\n")
    with pytest.raises(ConfigError) as e:
        config.merge(config.Flags(config=str(tmp_path / ".guardrails.yaml")))
    assert "gatekeeper-expansion: expected standard or false, found 'yes-please'" in e.value.message
    assert e.value.location is not None and e.value.location.line == 2
