"""Engine semantics with hand-built rules: matching, pod templates, outcomes, waivers, unknowns."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import pytest

from guardrails.engine import Engine
from guardrails.kube.match import compile_match
from guardrails.model import Origin, Resource, Severity, Status, Violation
from guardrails.rule import CompiledRule
from guardrails.waivers import compile_waiver

ORIGIN = Origin("test.yaml")

POD_SPEC = {"containers": [{"name": "app", "image": "nginx"}]}

# kind -> object holding POD_SPEC where that kind keeps its pod template
WORKLOADS = {
    "Pod": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w", "namespace": "shop"}, "spec": POD_SPEC},
    **{
        k: {
            "apiVersion": "apps/v1",
            "kind": k,
            "metadata": {"name": "w", "namespace": "shop"},
            "spec": {"template": {"metadata": {"labels": {"app": "w"}}, "spec": POD_SPEC}},
        }
        for k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController")
    },
    "Job": {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {"template": {"spec": POD_SPEC}},
    },
    "CronJob": {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": POD_SPEC}}}},
    },
}
TEMPLATE_PREFIX = {
    "Pod": (),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


@pytest.fixture(params=sorted(WORKLOADS))
def workload(request: pytest.FixtureRequest) -> Resource:
    return Resource(obj=WORKLOADS[request.param], origin=ORIGIN)


def image_check(r: Resource) -> Iterable[Violation]:
    for i, c in enumerate(r.obj["spec"].get("containers", [])):
        if ":" not in c["image"]:
            yield Violation(f"container {c['name']!r} image {c['image']!r} has no tag", ("spec", "containers", i, "image"))


def rule(name: str = "r", kinds: list[str] | None = None, check=image_check, **kw) -> CompiledRule:  # type: ignore[no-untyped-def]
    kinds = kinds or ["Pod"]
    return CompiledRule(
        name=name,
        check=check,
        match=compile_match({"kinds": kinds}, empty=True),
        pod_templates="Pod" in kinds,
        **kw,
    )


def test_pod_rules_judge_every_pod_controller_template(workload: Resource) -> None:
    [f] = Engine([rule()]).evaluate(workload)
    prefix = TEMPLATE_PREFIX.get(workload.kind, ("spec", "template"))
    assert f.path == (*prefix, "spec", "containers", 0, "image")
    assert f.status is Status.FAIL
    assert f.resource.kind == workload.kind and f.resource.name == "w"


def test_rule_for_another_kind_does_not_match(workload: Resource) -> None:
    assert Engine([rule(kinds=["Service"])]).results(workload) == []


def test_a_rule_that_raises_is_an_error_outcome_not_a_crash_or_a_pass() -> None:
    def boom(r: Resource) -> Iterable[Violation]:
        raise KeyError("spec")

    r = Resource(obj=WORKLOADS["Pod"], origin=ORIGIN)
    [f] = Engine([rule(check=boom)]).evaluate(r)
    assert f.status is Status.ERROR
    assert "KeyError" in f.message


def test_pass_and_skip_are_results_but_not_findings() -> None:
    def skip(r: Resource) -> Iterable[Violation]:
        yield Violation("precondition false", (), Status.SKIP)

    r = Resource(obj={**WORKLOADS["Pod"], "spec": {"containers": [{"name": "a", "image": "x:1"}]}}, origin=ORIGIN)
    engine = Engine([rule("passes"), rule("skips", check=skip)])
    assert [(x.rule, x.status) for x in engine.results(r)] == [("passes", Status.PASS), ("skips", Status.SKIP)]
    assert engine.evaluate(r) == []


def test_unsupported_rule_is_a_skip_with_its_reason() -> None:
    r = Resource(obj=WORKLOADS["Pod"], origin=ORIGIN)
    [res] = Engine([rule(unsupported="needs apiCall context")]).results(r)
    assert res.status is Status.SKIP and res.violations[0].message == "needs apiCall context"


def test_failure_on_a_value_known_only_after_apply_is_unknown_info() -> None:
    r = Resource(obj=WORKLOADS["Pod"], origin=ORIGIN, unknown=frozenset({("spec", "containers")}))
    [f] = Engine([rule()]).evaluate(r)
    assert f.status is Status.UNKNOWN and f.severity is Severity.INFO


@pytest.mark.parametrize(
    ("expires", "today", "status"),
    [
        ("2030-01-01", datetime.date(2029, 12, 31), Status.WAIVED),
        ("2030-01-01", datetime.date(2030, 1, 1), Status.WAIVED),  # the expiry day itself still applies
        ("2030-01-01", datetime.date(2030, 1, 2), Status.FAIL),
        (None, datetime.date(2099, 1, 1), Status.WAIVED),
    ],
)
def test_exceptions_waive_until_they_expire(expires: str | None, today: datetime.date, status: Status) -> None:
    spec = {"rules": ["r*"], "reason": "legacy", "match": {"namespaces": ["shop"]}}
    if expires:
        spec["expires"] = expires
    w = compile_waiver("legacy-shop", spec, source=None)
    engine = Engine([rule()], [w], today=today)
    [f] = engine.evaluate(Resource(obj=WORKLOADS["Pod"], origin=ORIGIN))
    assert f.status is status
    assert (f.waiver is not None) == (status is Status.WAIVED)
    assert (w in engine.expired_waivers) == (status is Status.FAIL)


def test_exception_for_another_namespace_does_not_waive() -> None:
    w = compile_waiver("other", {"rules": ["r"], "reason": "x", "match": {"namespaces": ["prod"]}}, source=None)
    [f] = Engine([rule()], [w]).evaluate(Resource(obj=WORKLOADS["Pod"], origin=ORIGIN))
    assert f.status is Status.FAIL


def test_reads_unknown_matches_any_item_and_either_direction() -> None:
    from guardrails.model import Origin, Resource

    r = Resource(obj={}, origin=Origin("p"), unknown=frozenset({("spec", "ingress", 1, "cidr_blocks"), ("spec", "arn")}))
    assert r.reads_unknown([("spec", "ingress", "*", "cidr_blocks")])
    assert r.reads_unknown([("spec", "ingress")])  # reads the whole list, unknown inside
    assert r.reads_unknown([("spec", "arn", "x")])  # reads under an unknown value
    assert not r.reads_unknown([("spec", "ingress", "*", "from_port"), ("spec", "ingress", 0, "cidr_blocks")])
    assert not Resource(obj={}, origin=Origin("p")).reads_unknown([("spec",)])


def test_action_for_decides_the_action_per_resource() -> None:
    from guardrails.model import Action

    def by_namespace(r: Resource) -> Action:
        return Action.AUDIT if r.namespace == "dev" else Action.DENY

    r = rule(kinds=["Pod"], action_for=by_namespace)
    pods = {ns: Resource(obj={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, origin=Origin("x"))
            for ns in ("dev", "prod")}
    actions = {ns: [f.action for f in Engine([r]).evaluate(p)] for ns, p in pods.items()}
    assert actions == {"dev": [Action.AUDIT], "prod": [Action.DENY]}


def test_the_context_is_given_not_set_on_rules() -> None:
    """Two engines over the same compiled rules, each with its own inventory, answer apart."""
    from guardrails.context import Context
    from guardrails.policy.load import load_rules
    from tests import shared

    lib = shared.require("conformance", "gatekeeper", "general", "uniqueingresshost")
    rules = load_rules([lib / "template.yaml", lib / "samples" / "unique-ingress-host" / "constraint.yaml"]).rules

    def ingress(name: str, host: str) -> dict[str, object]:
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": "a"},
                "spec": {"rules": [{"host": host}]}}

    mine = Resource(ingress("mine", "x.example.com"), Origin("i.yaml"))
    clash = Engine(rules, context=Context(inventory=(mine.obj, ingress("theirs", "x.example.com"))))
    alone = Engine(rules, context=Context(inventory=(mine.obj,)))
    assert [f.message for f in clash.evaluate(mine)] == ["ingress host conflicts with an existing ingress <x.example.com>"]
    assert alone.evaluate(mine) == [] and Engine(rules).evaluate(mine) == []
    assert clash.evaluate(mine) != []  # the first engine still has its own inventory


def test_context_gives_namespace_labels_to_selectors() -> None:
    from guardrails.context import Context
    from guardrails.kube.match import compile_match
    from guardrails.rule import CompiledRule

    rule = CompiledRule(name="prod-only", check=lambda r: [Violation("no")],
                        match=compile_match({"namespaceSelector": {"matchLabels": {"env": "prod"}}}, empty=True))
    pod = Resource({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}}, Origin("p.yaml"))
    assert len(Engine([rule]).evaluate(pod)) == 1  # labels unknown: the selector cannot rule it out
    assert Engine([rule], context=Context(namespace_labels={"shop": {"env": "dev"}})).evaluate(pod) == []
    assert len(Engine([rule], context=Context(namespace_labels={"shop": {"env": "prod"}})).evaluate(pod)) == 1
