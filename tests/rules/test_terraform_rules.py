"""Every built-in Terraform rule (rules/terraform/) on planned resources built from plan changes,
through the real mapping and engine: what fires, what passes, what is unknown until apply."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.dialects.native import compile_native
from guardrails.engine import Engine
from guardrails.model import Status
from guardrails.rule import CompiledRule
from guardrails.sources.terraform import plan as terraform
from tests.sources.terraform.test_plan import change, plan

RULES_DIR = pathlib.Path(__file__).resolve().parents[2] / "rules" / "terraform"
TAGS = {"team": "shop", "environment": "prod", "service": "web"}


def _rules() -> dict[str, CompiledRule]:
    out = {}
    for f in sorted(RULES_DIR.glob("*.yaml")):
        if f.name.endswith(".test.yaml"):
            continue
        doc = yaml.safe_load(f.read_text())
        out[doc["metadata"]["name"]] = compile_native(doc["metadata"]["name"], doc["spec"], source=None)
    return out


RULES = _rules()


def ecs(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"family": "api", "container_definitions": json.dumps(list(containers)), "tags_all": TAGS}


def sg(*ingress: dict[str, Any]) -> dict[str, Any]:
    base = {
        "from_port": 22,
        "to_port": 22,
        "protocol": "tcp",
        "cidr_blocks": ["10.0.0.0/8"],
        "ipv6_cidr_blocks": [],
        "description": "",
        "self": False,
    }
    return {"name": "sg", "ingress": [{**base, **i} for i in ingress], "egress": [], "tags_all": TAGS}


def unknown_cidrs(group: dict[str, Any]) -> dict[str, Any]:
    """Terraform leaves a value known only after apply out of `after`."""
    del group["ingress"][0]["cidr_blocks"]
    return group


GOOD_IMAGE = {"name": "api", "image": "ghcr.io/myorg/api:1.4.2", "cpu": 256, "memory": 512, "essential": True}

# (rule, resource type, after, after_unknown, expected outcome)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], Status]] = [
    # required tags: tags_all (default_tags included), unknown until apply, bad values
    (
        "terraform-required-tags",
        "aws_s3_bucket",
        {"bucket": "b", "tags": {"team": "shop"}, "tags_all": TAGS},
        {},
        Status.PASS,
    ),
    (
        "terraform-required-tags",
        "aws_s3_bucket",
        {"bucket": "b", "tags": {"team": "shop"}, "tags_all": {"team": "shop"}},
        {},
        Status.FAIL,
    ),
    (
        "terraform-required-tags",
        "aws_s3_bucket",
        {"bucket": "b", "tags_all": {**TAGS, "environment": "qa"}},
        {},
        Status.FAIL,
    ),
    (
        "terraform-required-tags",
        "aws_s3_bucket",
        {"bucket": "b", "tags": None},
        {"tags_all": True},
        Status.UNKNOWN,
    ),
    ("terraform-required-tags", "google_storage_bucket", {"name": "b", "labels": TAGS}, {}, Status.PASS),
    ("terraform-required-tags", "google_storage_bucket", {"name": "b", "labels": None}, {}, Status.FAIL),
    # approved registries and container resources for ECS and Batch
    ("terraform-approved-registries", "aws_ecs_task_definition", ecs(GOOD_IMAGE), {}, Status.PASS),
    (
        "terraform-approved-registries",
        "aws_ecs_task_definition",
        ecs(GOOD_IMAGE, {**GOOD_IMAGE, "image": "nginx"}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-approved-registries",
        "aws_ecs_task_definition",
        {"family": "api"},
        {"container_definitions": True},
        Status.PASS,
    ),
    (
        "terraform-approved-registries",
        "aws_batch_job_definition",
        {"container_properties": json.dumps({"image": "busybox"})},
        {},
        Status.FAIL,
    ),
    ("terraform-container-resources", "aws_ecs_task_definition", ecs(GOOD_IMAGE), {}, Status.PASS),
    (
        "terraform-container-resources",
        "aws_ecs_task_definition",
        ecs({"name": "a", "image": "ghcr.io/myorg/a:1", "memory": 512}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-container-resources",
        "aws_ecs_task_definition",
        ecs({"name": "a", "image": "ghcr.io/myorg/a:1", "cpu": 256, "memoryReservation": 256}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-approved-registries",
        "aws_lambda_function",
        {"function_name": "f", "package_type": "Image", "image_uri": "123456789.dkr.ecr.eu-west-1.amazonaws.com/f:1"},
        {},
        Status.PASS,
    ),
    ("terraform-approved-registries", "aws_lambda_function", {"function_name": "f", "package_type": "Zip", "runtime": "python3.12"}, {}, Status.PASS),
    (
        "terraform-approved-registries",
        "aws_apprunner_service",
        {"service_name": "s", "source_configuration": [{"image_repository": [{"image_identifier": "public.ecr.aws/x/hello:latest"}]}]},
        {},
        Status.FAIL,
    ),
    # S3 ACLs and public access blocks
    ("terraform-s3-no-public-acl", "aws_s3_bucket", {"bucket": "b", "acl": "private"}, {}, Status.PASS),
    ("terraform-s3-no-public-acl", "aws_s3_bucket", {"bucket": "b", "acl": None}, {}, Status.SKIP),
    ("terraform-s3-no-public-acl", "aws_s3_bucket", {"bucket": "b", "acl": "public-read"}, {}, Status.FAIL),
    ("terraform-s3-no-public-acl", "aws_s3_bucket", {"bucket": "b"}, {"acl": True}, Status.SKIP),
    (
        "terraform-s3-no-public-acl",
        "aws_s3_bucket_acl",
        {"bucket": "b", "acl": "authenticated-read"},
        {},
        Status.FAIL,
    ),
    (
        "terraform-s3-no-public-acl",
        "aws_s3_bucket_acl",
        {
            "bucket": "b",
            "access_control_policy": [
                {
                    "grant": [
                        {
                            "grantee": [
                                {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}
                            ],
                            "permission": "READ",
                        }
                    ]
                }
            ],
        },
        {},
        Status.FAIL,
    ),
    (
        "terraform-s3-no-public-acl",
        "aws_s3_bucket_acl",
        {
            "bucket": "b",
            "access_control_policy": [
                {
                    "grant": [
                        {
                            "grantee": [{"type": "CanonicalUser", "id": "abc", "uri": None}],
                            "permission": "READ",
                        }
                    ]
                }
            ],
        },
        {},
        Status.PASS,
    ),
    (
        "terraform-s3-block-public-access",
        "aws_s3_bucket_public_access_block",
        dict.fromkeys(
            ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"),
            True,
        ),
        {},
        Status.PASS,
    ),
    (
        "terraform-s3-block-public-access",
        "aws_s3_bucket_public_access_block",
        {
            "block_public_acls": True,
            "block_public_policy": False,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
        {},
        Status.FAIL,
    ),
    (
        "terraform-s3-block-public-access",
        "aws_s3_bucket_public_access_block",
        {"block_public_acls": True, "ignore_public_acls": True, "restrict_public_buckets": True},
        {},
        Status.FAIL,
    ),
    (
        "terraform-s3-no-public-acl",
        "aws_s3_bucket",
        {"bucket": "b", "acl": "private"},
        {"grant": True},
        Status.PASS,
    ),
    (
        "terraform-s3-no-public-acl",
        "aws_s3_bucket_acl",
        {"bucket": "b", "acl": "private"},
        {"access_control_policy": True},
        Status.PASS,
    ),
    ("terraform-s3-no-public-acl", "aws_s3_bucket_acl", {"bucket": "b"}, {"acl": True}, Status.UNKNOWN),
    # encryption at rest
    ("terraform-encryption-at-rest", "aws_ebs_volume", {"size": 10, "encrypted": True}, {}, Status.PASS),
    ("terraform-encryption-at-rest", "aws_ebs_volume", {"size": 10, "encrypted": False}, {}, Status.FAIL),
    ("terraform-encryption-at-rest", "aws_ebs_volume", {"size": 10}, {"encrypted": True}, Status.UNKNOWN),
    (
        "terraform-encryption-at-rest",
        "aws_db_instance",
        {"engine": "postgres", "storage_encrypted": False},
        {},
        Status.FAIL,
    ),
    (
        "terraform-encryption-at-rest",
        "aws_rds_cluster",
        {"engine": "aurora", "storage_encrypted": True},
        {},
        Status.PASS,
    ),
    ("terraform-encryption-at-rest", "aws_efs_file_system", {"encrypted": False}, {}, Status.FAIL),
    (
        "terraform-encryption-at-rest",
        "aws_elasticache_replication_group",
        {"at_rest_encryption_enabled": True},
        {},
        Status.PASS,
    ),
    (
        "terraform-encryption-at-rest",
        "aws_instance",
        {"ami": "a", "root_block_device": [{"volume_size": 8}]},
        {"root_block_device": [{"encrypted": True}]},
        Status.UNKNOWN,
    ),
    (
        "terraform-encryption-at-rest",
        "aws_instance",
        {"ami": "a", "root_block_device": [{"encrypted": False}]},
        {},
        Status.FAIL,
    ),
    (
        "terraform-encryption-at-rest",
        "aws_instance",
        {"ami": "a", "root_block_device": [{"encrypted": True}], "ebs_block_device": []},
        {},
        Status.PASS,
    ),
    # SSH and RDP from the internet
    ("terraform-no-public-ssh", "aws_security_group", sg({}), {}, Status.PASS),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        sg({}, {"cidr_blocks": ["0.0.0.0/0"]}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        sg({"cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"]}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        sg({"from_port": 0, "to_port": 65535, "cidr_blocks": ["0.0.0.0/0"]}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        sg({"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}),
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        sg({"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}),
        {},
        Status.SKIP,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        sg({"from_port": 8, "to_port": 0, "protocol": "icmp", "cidr_blocks": ["0.0.0.0/0"]}),
        {},
        Status.SKIP,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group",
        unknown_cidrs(sg({})),
        {"ingress": [{"cidr_blocks": True}]},
        Status.UNKNOWN,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group_rule",
        {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-ssh",
        "aws_security_group_rule",
        {"type": "egress", "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
        {},
        Status.SKIP,
    ),
    (
        "terraform-no-public-ssh",
        "aws_vpc_security_group_ingress_rule",
        {"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"},
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-ssh",
        "aws_vpc_security_group_ingress_rule",
        {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.0.0.0/8"},
        {},
        Status.PASS,
    ),
    (
        "terraform-no-public-rdp",
        "aws_security_group",
        sg({"from_port": 3389, "to_port": 3389, "protocol": "udp", "cidr_blocks": ["0.0.0.0/0"]}),
        {},
        Status.FAIL,
    ),
    ("terraform-no-public-rdp", "aws_security_group", sg({"cidr_blocks": ["0.0.0.0/0"]}), {}, Status.SKIP),
    (
        "terraform-no-public-rdp",
        "aws_security_group_rule",
        {
            "type": "ingress",
            "from_port": 3000,
            "to_port": 4000,
            "protocol": "tcp",
            "cidr_blocks": ["0.0.0.0/0"],
        },
        {},
        Status.FAIL,
    ),
    (
        "terraform-no-public-rdp",
        "aws_vpc_security_group_ingress_rule",
        {"ip_protocol": "tcp", "from_port": 3389, "to_port": 3389, "cidr_ipv6": "::/0"},
        {},
        Status.FAIL,
    ),
]


@pytest.mark.parametrize(
    ("rule", "rtype", "after", "unknown", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(
    rule: str, rtype: str, after: dict[str, Any], unknown: dict[str, Any], expected: Status
) -> None:
    [resource] = terraform.resources(plan(change(f"module.m.{rtype}.x", after, unknown=unknown)), "plan.json")
    [result] = Engine([RULES[rule]]).results(resource)
    assert result.status is expected, result.violations


def test_every_rule_here_has_a_failing_and_a_passing_case() -> None:
    """The cases above go deeper for the first eight rules; every rule also has its own
    NAME.test.yaml with passing and failing plans (tests/test_library.py)."""
    failing = {c[0] for c in CASES if c[4] is Status.FAIL}
    passing = {c[0] for c in CASES if c[4] in (Status.PASS, Status.SKIP)}
    assert failing == passing
    assert failing <= set(RULES)
