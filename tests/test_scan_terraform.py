"""Whole scans of Terraform plans: content sniffing, stdin, --all-resources, and unknown values
reported as UNKNOWN (info) instead of false failures, through the real engine and checks."""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib
from typing import Any

import pytest

from guardrails.dialects.native import compile_native
from guardrails.engine import Engine
from guardrails.model import Severity, Status
from guardrails.policy.load import RuleSet
from guardrails.scan import scan
from guardrails.sources.terraform import plan as terraform
from tests.sources.terraform.test_plan import change, plan, shared_plan


def rules(*specs: tuple[str, dict[str, Any]]) -> RuleSet:
    return RuleSet(rules=tuple(compile_native(name, spec, source=None) for name, spec in specs))


TAGS = ("tf-tags", {"severity": "high", "match": {"kinds": ["aws_*"]}, "requiredLabels": ["team"]})
ENCRYPTED = (
    "ebs-encrypted",
    {"match": {"kinds": ["aws_ebs_volume"]}, "pattern": {"spec": {"encrypted": True}}},
)
REGISTRIES = (
    "registries",
    {"match": {"kinds": ["aws_ecs_task_definition", "Pod"]}, "images": {"allow": ["ghcr.io/myorg/*"]}},
)


def test_a_plan_is_recognised_by_content_whatever_its_name(tmp_path: pathlib.Path) -> None:
    src = shared_plan("image_referencer__aws__ecs_tfplan.json")
    target = tmp_path / "whatever.yaml"
    target.write_bytes(src.read_bytes())
    report = scan([str(target)], rules=rules(REGISTRIES), root=tmp_path)
    assert report.resources == 1 and report.skipped_documents == 0
    got = sorted((f.origin.address, f.path, f.message) for f in report.findings)
    assert [(a, p) for a, p, _ in got] == [
        ("aws_ecs_task_definition.service", ("spec", "container_definitions", 0, "image")),
        ("aws_ecs_task_definition.service", ("spec", "container_definitions", 1, "image")),
    ]
    assert "nginx" in got[0][2] and "python:3.9-alpine" in got[1][2]
    assert all(f.location is None for f in report.findings)  # plans are located by address


def test_utf16_plan_on_stdin() -> None:
    raw = shared_plan("parser__plan_encodings__tfplan_win_utf16.json").read_bytes()
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    report = scan(["-"], rules=rules(TAGS), stdin=stdin)
    [f] = report.findings
    assert (f.origin.path, f.origin.address, f.status, f.severity) == (
        "-",
        "aws_s3_bucket.data",
        Status.UNKNOWN,
        Severity.INFO,
    )


def test_all_resources_includes_deletions_and_no_ops(tmp_path: pathlib.Path) -> None:
    p = plan(
        change("aws_ebs_volume.new", {"encrypted": False}),
        change("aws_ebs_volume.gone", None, actions=("delete",), before={"encrypted": False}),
        change("aws_ebs_volume.same", {"encrypted": False}, actions=("no-op",)),
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(p))
    default = scan([str(path)], rules=rules(ENCRYPTED), root=tmp_path)
    everything = scan([str(path)], rules=rules(ENCRYPTED), root=tmp_path, all_resources=True)
    assert [f.origin.address for f in default.findings] == ["aws_ebs_volume.new"]
    assert [f.origin.address for f in everything.findings] == [
        "aws_ebs_volume.new",
        "aws_ebs_volume.gone",
        "aws_ebs_volume.same",
    ]
    assert (default.resources, everything.resources) == (1, 3)


UNKNOWNS = [
    # (rule, after, after_unknown, expected status or None for a pass)
    (TAGS, {"tags": None}, {"tags_all": True}, Status.UNKNOWN),
    (TAGS, {"tags": {"team": "a"}}, {"tags_all": True}, None),
    (TAGS, {"tags": None, "tags_all": {}}, {}, Status.FAIL),
    (TAGS, {"tags_all": {"x": "1"}}, {"tags_all": {"team": True}}, Status.UNKNOWN),
    (TAGS, {"tags_all": {"x": "1"}}, {"tags_all": {"other": True}}, Status.FAIL),
    (ENCRYPTED, {"size": 1}, {"encrypted": True}, Status.UNKNOWN),
    (ENCRYPTED, {"encrypted": False}, {}, Status.FAIL),
    (ENCRYPTED, {"size": 1}, {}, Status.FAIL),
    (ENCRYPTED, {"encrypted": True}, {"id": True}, None),
]


@pytest.mark.parametrize(("rule", "after", "unknown", "expected"), UNKNOWNS)
def test_values_known_after_apply_are_unknown_not_failures(
    rule: Any, after: Any, unknown: Any, expected: Status | None
) -> None:
    [r] = terraform.resources(plan(change("aws_ebs_volume.v", after, unknown=unknown)), "plan.json")
    findings = Engine(rules(rule).rules).evaluate(r)
    assert [f.status for f in findings] == ([expected] if expected else [])
    if expected is Status.UNKNOWN:
        assert findings[0].severity is Severity.INFO


def test_unknown_image_in_a_mapped_kubernetes_workload_is_unknown() -> None:
    from tests.sources.terraform.test_kubernetes import DEPLOYMENT, UNKNOWN

    rc = change("kubernetes_deployment_v1.web", json.loads(json.dumps(DEPLOYMENT)), unknown=UNKNOWN)
    after = rc["change"]["after"]
    del after["spec"][0]["template"][0]["spec"][0]["container"][0]["image"]
    [r] = terraform.resources(plan(rc), "plan.json")
    statuses = {(f.status, f.path) for f in Engine(rules(REGISTRIES).rules).evaluate(r)}
    assert statuses == {
        (Status.UNKNOWN, ("spec", "template", "spec", "containers", 0, "image")),
        (Status.FAIL, ("spec", "template", "spec", "initContainers", 0, "image")),  # busybox
    }


# deny and assert read values through JMESPath: a verdict resting on a value known only after
# apply is UNKNOWN, one resting on known values stays a FAIL.
SSH_ASSERT = (
    "no-world-ssh",
    {
        "match": {"kinds": ["aws_security_group"]},
        "assert": {
            "expression": "length(spec.ingress[?from_port <= `22` && to_port >= `22` && (!cidr_blocks || contains(cidr_blocks, '0.0.0.0/0'))]) == `0`"
        },
    },
)
ENCRYPTED_DENY = (
    "ebs-deny",
    {
        "match": {"kinds": ["aws_ebs_volume"]},
        "deny": {
            "conditions": {
                "any": [{"key": "{{ spec.encrypted || `false` }}", "operator": "Equals", "value": False}]
            }
        },
    },
)
INGRESS = {"from_port": 22, "to_port": 22, "protocol": "tcp"}

JMESPATH_UNKNOWNS = [
    (SSH_ASSERT, {"ingress": [{**INGRESS, "cidr_blocks": ["0.0.0.0/0"]}]}, {}, Status.FAIL),
    (SSH_ASSERT, {"ingress": [dict(INGRESS)]}, {"ingress": [{"cidr_blocks": True}]}, Status.UNKNOWN),
    (
        SSH_ASSERT,
        {"ingress": [{**INGRESS, "cidr_blocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"description": True}]},
        Status.FAIL,
    ),
    (
        SSH_ASSERT,
        {"ingress": [{**INGRESS, "cidr_blocks": ["10.0.0.0/8"]}]},
        {"ingress": [{"description": True}]},
        None,
    ),
    (ENCRYPTED_DENY, {"encrypted": False}, {"id": True}, Status.FAIL),
    (ENCRYPTED_DENY, {"size": 1}, {"encrypted": True}, Status.UNKNOWN),
    (ENCRYPTED_DENY, {"encrypted": True}, {"id": True}, None),
]


@pytest.mark.parametrize(("rule", "after", "unknown", "expected"), JMESPATH_UNKNOWNS)
def test_jmespath_checks_that_read_unknown_values_are_unknown(
    rule: Any, after: Any, unknown: Any, expected: Status | None
) -> None:
    [r] = terraform.resources(plan(change("aws_thing.x", after, unknown=unknown)), "plan.json")
    r = dataclasses.replace(r, obj={**r.obj, "kind": rule[1]["match"]["kinds"][0]})
    findings = Engine(rules(rule).rules).evaluate(r)
    assert [f.status for f in findings] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("name", "addresses"),
    [
        ("image_referencer__aws__ecs_tfplan.json", ["aws_ecs_task_definition.service"] * 2),
        ("image_referencer__aws__batch_tfplan.json", ["aws_batch_job_definition.test"]),
        ("image_referencer__aws__apprunner_tfplan.json", ["aws_apprunner_service.example"]),
    ],
)
def test_container_images_in_shared_plans_are_judged(name: str, addresses: list[str]) -> None:
    report = scan([str(shared_plan(name))], rules=rules(("registries", {"match": {"kinds": ["aws_*"]}, "images": {"allow": ["ghcr.io/myorg/*"]}})))
    assert [f.origin.address for f in report.findings] == addresses
    assert all(f.status is Status.FAIL for f in report.findings)
