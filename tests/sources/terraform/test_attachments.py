"""Settings kept in resources of their own (flow logs, bucket logging) are seen on the resource
they are attached to, on plans written by Terraform 1.11 and the AWS provider 5.100
(configs/NAME/*.tf -> configs/NAME.plan.json, by configs/generate.py)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from guardrails.engine import Engine
from guardrails.model import Status
from guardrails.policy.load import load_rules
from guardrails.sources.terraform import plan as terraform

CONFIGS = pathlib.Path(__file__).parent / "configs"


def _plan(name: str) -> Any:
    return json.loads((CONFIGS / f"{name}.plan.json").read_text())


def _attached(name: str) -> dict[str, tuple[Any, bool]]:
    """address -> (number attached of each type or None, whether that is unknown)."""
    out = {}
    for r in terraform.resources(_plan(name), name):
        if "attached" in r.obj:
            counts = {t: (None if v is None else len(v)) for t, v in r.obj["attached"].items()}
            out[r.origin.address or ""] = (counts, any(u[:1] == ("attached",) for u in r.unknown))
    return out


FLOW = "aws_flow_log"
LOGGING = "aws_s3_bucket_logging"


@pytest.mark.parametrize(
    ("address", "flow_logs"),
    [
        ("aws_vpc.logged", 1),  # vpc_id = aws_vpc.logged.id
        ("aws_vpc.plain", 0),
        ("aws_vpc.zones[0]", 1),  # count pairs: aws_vpc.zones[count.index].id
        ("aws_vpc.zones[1]", 1),
        ("aws_vpc.first_only[0]", 1),  # aws_vpc.first_only[0].id names one instance
        ("aws_vpc.first_only[1]", 0),
        ("module.net.aws_vpc.this", 1),  # a reference within a module
        ("module.net.aws_vpc.bare", 0),
    ],
)
def test_flow_logs_tied_by_reference(address: str, flow_logs: int) -> None:
    counts, unknown = _attached("attached")[address]
    assert counts == {FLOW: flow_logs}
    assert not unknown


@pytest.mark.parametrize(
    ("address", "logging"),
    [
        ("aws_s3_bucket.by_reference", 1),  # bucket = aws_s3_bucket.by_reference.id
        ("aws_s3_bucket.by_name", 1),  # bucket = "by-name-example", the bucket's known name
        ("aws_s3_bucket.inline", 0),  # its logging block is in the bucket itself
        ("aws_s3_bucket.plain", 0),
    ],
)
def test_bucket_logging_tied_by_reference_or_name(address: str, logging: int) -> None:
    counts, unknown = _attached("attached")[address]
    assert counts[LOGGING] == logging
    assert not unknown  # the logging of another configuration's bucket is tied to none of these


def test_an_untied_flow_log_makes_every_vpc_without_one_unknown() -> None:
    # module.logs.aws_flow_log.this: vpc_id = var.vpc_id, known only after apply
    assert _attached("untied") == {"aws_vpc.a": ({FLOW: None}, True), "aws_vpc.b": ({FLOW: None}, True)}


def _outcomes(name: str, rule: str) -> dict[str, Status]:
    rules = load_rules(builtin=True, profiles=("terraform",)).only((rule,), ())
    engine = Engine(rules.rules)
    return {
        r.origin.address or "": res.status
        for r in terraform.resources(_plan(name), name)
        for res in engine.results(r)
    }


@pytest.mark.parametrize(
    ("plan", "rule", "expected"),
    [
        ("attached", "terraform-vpc-flow-logs", {
            "aws_vpc.logged": Status.PASS, "aws_vpc.plain": Status.FAIL,
            "aws_vpc.zones[0]": Status.PASS, "aws_vpc.zones[1]": Status.PASS,
            "aws_vpc.first_only[0]": Status.PASS, "aws_vpc.first_only[1]": Status.FAIL,
            "module.net.aws_vpc.this": Status.PASS, "module.net.aws_vpc.bare": Status.FAIL,
        }),
        ("untied", "terraform-vpc-flow-logs", {"aws_vpc.a": Status.UNKNOWN, "aws_vpc.b": Status.UNKNOWN}),
        # `logging` left out of a bucket is computed by the provider: its default (none) applies
        ("attached", "terraform-s3-access-logging", {
            "aws_s3_bucket.by_reference": Status.PASS, "aws_s3_bucket.by_name": Status.PASS,
            "aws_s3_bucket.inline": Status.PASS, "aws_s3_bucket.plain": Status.FAIL,
        }),
    ],
)
def test_rules_on_real_plans(plan: str, rule: str, expected: dict[str, Status]) -> None:
    assert _outcomes(plan, rule) == expected


def test_the_plans_are_terraforms_own() -> None:
    """The committed plans are what Terraform wrote for the committed configuration."""
    for name in ("attached", "untied"):
        p = _plan(name)
        assert p["terraform_version"].startswith("1.")
        written = {r["address"] for r in _modules(p["configuration"]["root_module"])}
        tf = "".join(f.read_text() for f in sorted((CONFIGS / name).rglob("*.tf")))
        for address in written:
            rtype, rname = address.split(".")
            assert f'resource "{rtype}" "{rname}"' in tf


def _modules(module: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(module.get("resources", []))
    for call in module.get("module_calls", {}).values():
        out += _modules(call["module"])
    return out
