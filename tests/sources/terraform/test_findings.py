"""Plan findings in Terraform's words (HCL fields, tags, values found) and secrets never
printed, through whole scans and every output format."""

from __future__ import annotations

import copy
import hashlib
import json
import pathlib
from typing import Any

import pytest

from guardrails import reporters
from guardrails.sources.terraform.findings import REDACTED, hcl_path, redact, secrets
from tests import shared
from tests.sources.terraform.plans import R, plan
from tests.sources.terraform.test_plan import load

SHARED_PLANS = shared.names("terraform", pattern="*.json")


@pytest.mark.parametrize(
    ("steps", "text"),
    [
        (("encrypted",), "encrypted"),
        (("root_block_device", 0, "encrypted"), "root_block_device[0].encrypted"),
        (("tags", "team"), "tags.team"),
        (("tags", "kubernetes.io/cluster"), 'tags["kubernetes.io/cluster"]'),
        (("ingress", 1, "cidr_blocks", 0), "ingress[1].cidr_blocks[0]"),
    ],
)
def test_hcl_path(steps: tuple[Any, ...], text: str) -> None:
    assert hcl_path(steps) == text


def _scan(p: dict[str, Any], tmp_path: pathlib.Path, run_cli: Any, *extra: str) -> Any:
    (tmp_path / "plan.json").write_text(json.dumps(p))
    return run_cli(["scan", str(tmp_path / "plan.json"), "--profile", "terraform", "--format", "json", *extra])


def _findings(result: Any) -> list[dict[str, Any]]:
    return list(json.loads(result.out)["findings"])


def test_messages_and_fields_in_hcl(tmp_path: pathlib.Path, run_cli: Any) -> None:
    p = plan(
        R("aws_ebs_volume.absent", {"size": 10}, unknown={"encrypted": True},
          expressions={"size": {"constant_value": 10}}),
        R("aws_ebs_volume.ref", {"size": 10}, unknown={"encrypted": True},
          expressions={"encrypted": {"references": ["var.enc"]}}),
        R("aws_instance.web", {"ami": "ami-1", "root_block_device": [{"encrypted": False}],
                               "tags": {"team": "core"},
                               "tags_all": {"team": "core", "environment": "prod", "service": "web"}}),
        default_tags={"environment": "prod", "service": "web"},
    )
    result = _scan(p, tmp_path, run_cli, "--only", "terraform-encryption-at-rest", "--only", "terraform-required-tags")
    got = {(f["address"], f["rule"]): (f["field"], f["message"]) for f in _findings(result)}
    assert got[("aws_ebs_volume.absent", "terraform-encryption-at-rest")] == (
        "encrypted", "Storage must be encrypted at rest: encrypted is not set (the provider's default applies)")
    assert got[("aws_ebs_volume.ref", "terraform-encryption-at-rest")] == (
        "encrypted", "Storage must be encrypted at rest: encrypted is known only after apply")
    assert got[("aws_instance.web", "terraform-encryption-at-rest")] == (
        "root_block_device[0].encrypted", "Storage must be encrypted at rest: root_block_device[0].encrypted is false")
    # the volumes have no tags at all: the tag is missing, in the words of tags
    tags = sorted((f["field"], f["message"]) for f in _findings(result)
                  if (f["address"], f["rule"]) == ("aws_ebs_volume.absent", "terraform-required-tags"))
    assert tags == [("tags", f'tag "{k}" is missing') for k in ("environment", "service", "team")]
    assert ("aws_instance.web", "terraform-required-tags") not in got  # default_tags complete them


def test_a_tag_from_default_tags_is_named_so(tmp_path: pathlib.Path, run_cli: Any) -> None:
    p = plan(R("aws_s3_bucket.b", {"bucket": "b", "tags": {"team": "core", "service": "x"},
                                   "tags_all": {"team": "core", "service": "x", "environment": "production"}}),
             default_tags={"environment": "production"})
    result = _scan(p, tmp_path, run_cli, "--only", "terraform-required-tags")
    [f] = _findings(result)
    assert f["field"] == "tags_all[\"environment\"] (from the provider's default_tags)"
    assert f["message"].startswith('tag "environment" has value "production"')


# --- secrets -------------------------------------------------------------------------------


def _canary(seed: str) -> str:
    return "s3cr3t-" + hashlib.sha256(seed.encode()).hexdigest()[:12]


def _sensitise(value: Any, seed: str, out: list[str]) -> tuple[Any, Any]:
    """Every string leaf replaced by a unique canary, with the after_sensitive tree marking it."""
    if isinstance(value, dict):
        pairs = {k: _sensitise(v, f"{seed}.{k}", out) for k, v in value.items()}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items() if p[1]}
    if isinstance(value, list):
        pairs_l = [_sensitise(v, f"{seed}[{i}]", out) for i, v in enumerate(value)]
        return [p[0] for p in pairs_l], [p[1] for p in pairs_l]
    if isinstance(value, str):
        c = _canary(seed)
        if value[:1] in "[{":  # JSON in a string (container definitions, policies): its strings too
            try:
                inner, _ = _sensitise(json.loads(value), seed, out)
                return json.dumps(inner), True
            except ValueError:
                pass
        out.append(c)
        return c, True
    return value, False


def _secret_plan(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    data = copy.deepcopy(data)
    canaries: list[str] = []
    for i, rc in enumerate(data.get("resource_changes") or []):
        change = rc.get("change") or {}
        after = change.get("after")
        if isinstance(after, dict):
            change["after"], change["after_sensitive"] = _sensitise(after, f"{i}", canaries)
    var, out = _canary("variable"), _canary("output")
    canaries += [var, out]
    data["variables"] = {**(data.get("variables") or {}), "db_password": {"value": var}}
    root = data.setdefault("configuration", {}).setdefault("root_module", {})
    root.setdefault("variables", {})["db_password"] = {"sensitive": True}
    data.setdefault("planned_values", {}).setdefault("outputs", {})["password"] = {"sensitive": True, "value": out}
    data["output_changes"] = {"password": {"actions": ["create"], "before": None, "after": out,
                                           "after_unknown": False, "before_sensitive": False, "after_sensitive": True}}
    return data, canaries


def _every_format(path: pathlib.Path, tmp_path: pathlib.Path, run_cli: Any) -> str:
    args = ["scan", str(path), "--profile", "all"]
    outputs = []
    for fmt in reporters.FORMATS:
        target = tmp_path / f"out.{fmt}"
        args += ["--format", fmt, "--output", str(target)]
        outputs.append(target)
    result = run_cli([*args, "--format", "text"])
    assert result.code in (0, 1), result
    return result.out + result.err + "".join(p.read_text() for p in outputs)


@pytest.mark.parametrize("name", SHARED_PLANS)
def test_no_sensitive_string_reaches_any_output(name: str, tmp_path: pathlib.Path, run_cli: Any) -> None:
    """Each shared plan with every string it holds marked sensitive, a sensitive variable and
    a sensitive output: no format prints one of them, and the redaction is visible."""
    data, canaries = _secret_plan(load(name))
    path = tmp_path / name
    path.write_text(json.dumps(data))
    text = _every_format(path, tmp_path, run_cli)
    leaked = [c for c in canaries if c in text]
    assert not leaked
    # the plan's own marks too (google_compute_instance's disk_encryption_key_raw)
    assert not [s for s in secrets(load(name)) if s in text]


def test_redaction_is_visible_where_a_secret_was(tmp_path: pathlib.Path, run_cli: Any) -> None:
    data, _ = _secret_plan(load("image_referencer__aws__ecs_tfplan.json"))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    result = run_cli(["scan", str(path), "--profile", "all", "--format", "json"])
    messages = [f["message"] for f in json.loads(result.out)["findings"]]
    assert any(REDACTED in m for m in messages), messages


def test_sensitive_values_marked_in_plan_shapes() -> None:
    p = plan(R("aws_db_instance.db", {"password": "hunter2-long", "username": "admin",
                                      "nested": [{"key": "k3y-value", "other": "plain"}]},
               sensitive={"password": True, "nested": [{"key": True}]}),
             variables={"token": {"value": "tok-123456", "sensitive": True}, "region": {"value": "eu-west-1"}},
             outputs={"conn": {"value": {"dsn": "postgres://x:pw@h/db"}, "sensitive": True}})
    got = secrets(p)
    for s in ("hunter2-long", "k3y-value", "tok-123456", "postgres://x:pw@h/db"):
        assert s in got
    for s in ("admin", "plain", "eu-west-1"):
        assert s not in got


@pytest.mark.parametrize(
    ("text", "hidden", "expected"),
    [
        ('password is "hunter2-long"', ["hunter2-long"], f'password is "{REDACTED}"'),
        ("port [8] is 8080", ["8"], f"port [{REDACTED}] is 8080"),
        ("ab and abc", ["ab"], f"{REDACTED} and abc"),
    ],
)
def test_redact(text: str, hidden: list[str], expected: str) -> None:
    assert redact(text, hidden) == expected


CONFIGS = pathlib.Path(__file__).parent / "configs"
UNTIED = "Network flow logs must be enabled: an aws_flow_log's vpc_id is known only after apply, so whether it belongs to this aws_vpc is not known"


@pytest.mark.parametrize(
    ("flags", "status", "message"),
    [
        ([], "unknown", UNTIED),
        (["--fail-on-unknown"], "fail", UNTIED + " (an unknown value fails this rule)"),
    ],
)
def test_an_untied_flow_log_is_unknown_in_terraform_words(run_cli: Any, flags: list[str], status: str, message: str) -> None:
    """A flow log whose vpc_id is a module input (Terraform's own plan): the VPCs without one
    are unknown, and the finding says why, not "no aws_flow_log refers to this VPC"."""
    result = run_cli(["scan", str(CONFIGS / "untied.plan.json"), "--profile", "terraform", "--only", "terraform-vpc-flow-logs",
                      "--format", "json", *flags])
    got = sorted((f["address"], f["status"], f["message"]) for f in _findings(result))
    assert got == [("aws_vpc.a", status, message), ("aws_vpc.b", status, message)]


def test_tags_known_only_after_apply_are_not_called_missing(tmp_path: pathlib.Path, run_cli: Any) -> None:
    p = plan(R("aws_ebs_volume.v", {"size": 10, "encrypted": True}, unknown={"tags_all": True}))
    result = _scan(p, tmp_path, run_cli, "--only", "terraform-required-tags")
    got = sorted((f["status"], f["field"], f["message"]) for f in _findings(result))
    assert got == [("unknown", "tags", f'tag "{k}" is known only after apply') for k in ("environment", "service", "team")]


# What a message of a plan finding must never hold: the Kubernetes-shaped view or the engine.
INTERNALS = ("anyPattern", "/spec/", "spec.", "validation error", "metadata.labels", "pattern failed", "accepted forms")


@pytest.mark.parametrize("name", SHARED_PLANS)
@pytest.mark.parametrize("flags", [[], ["--fail-on-unknown"]], ids=["plain", "fail-on-unknown"])
def test_no_terraform_message_speaks_of_the_engine(name: str, flags: list[str], run_cli: Any) -> None:
    """Every Terraform rule's fail and unknown messages on the shared plans, in HCL words."""
    result = run_cli(["scan", str(shared.require("terraform", name)), "--profile", "terraform", "--format", "json", *flags])
    assert result.code in (0, 1), result
    said = [(f["rule"], f["message"]) for f in _findings(result)
            if f["rule"].startswith("terraform-") and f["status"] in ("fail", "unknown")]
    assert not [m for m in said if any(word in m[1] for word in INTERNALS)]
