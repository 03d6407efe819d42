"""Unknown versus provider default: an attribute left out of the configuration takes the
default the rule declares; one written as a reference stays UNKNOWN; a known false fails.
Through the real plan reader, the built-in rule and the engine."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from guardrails.engine import Engine
from guardrails.model import Action, Severity, Status
from guardrails.policy.load import load_rules
from guardrails.scan import scan
from guardrails.sources.terraform import plan as terraform
from guardrails.sources.terraform.configuration import read_configuration, written
from tests import shared
from tests.sources.terraform.plans import R, plan
from tests.sources.terraform.test_plan import load

ENCRYPTION = "terraform-encryption-at-rest"


def _rules(name: str = ENCRYPTION) -> Any:
    return load_rules(builtin=True, profiles=("terraform",)).only((name,), ())


def _volumes() -> dict[str, Any]:
    return plan(
        # left out: the provider computes it (after_unknown true, no expression)
        R("aws_ebs_volume.absent", {"size": 10}, unknown={"encrypted": True, "id": True}),
        # written as a reference to something not known yet
        R("aws_ebs_volume.reference", {"size": 10}, unknown={"encrypted": True},
          expressions={"size": {"constant_value": 10}, "encrypted": {"references": ["aws_kms_key.k.enabled", "aws_kms_key.k"]}}),
        R("aws_ebs_volume.known_false", {"size": 10, "encrypted": False}),
        R("aws_ebs_volume.known_true", {"size": 10, "encrypted": True}),
        # an instance without a root_block_device block: the whole block is computed
        R("aws_instance.no_block", {"ami": "ami-1"}, unknown={"root_block_device": True}),
        # the block is written, `encrypted` inside it is not
        R("aws_instance.block_without", {"ami": "ami-1", "root_block_device": [{"volume_size": 8}]},
          unknown={"root_block_device": [{"encrypted": True}]}),
        # the block is written by a variable that covers it
        R("aws_instance.block_from_var", {"ami": "ami-1"}, unknown={"root_block_device": True},
          expressions={"ami": {"constant_value": "ami-1"}, "root_block_device": {"references": ["var.disk"]}}),
    )


def _outcomes(p: dict[str, Any], tmp_path: pathlib.Path, **kw: Any) -> dict[str, tuple[Status, Severity]]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(p))
    report = scan([str(path)], rules=_rules(), root=tmp_path, **kw)
    return {f.origin.address or "": (f.status, f.severity) for f in report.findings}


def test_absent_unknown_reference_and_known_false(tmp_path: pathlib.Path) -> None:
    got = _outcomes(_volumes(), tmp_path)
    assert got == {
        "aws_ebs_volume.absent": (Status.FAIL, Severity.HIGH),  # as checkov CKV_AWS_3
        "aws_ebs_volume.reference": (Status.UNKNOWN, Severity.INFO),
        "aws_ebs_volume.known_false": (Status.FAIL, Severity.HIGH),
        "aws_instance.no_block": (Status.FAIL, Severity.HIGH),
        "aws_instance.block_without": (Status.FAIL, Severity.HIGH),
        "aws_instance.block_from_var": (Status.UNKNOWN, Severity.INFO),
    }


def test_fail_on_unknown_fails_what_stays_unknown(tmp_path: pathlib.Path) -> None:
    got = _outcomes(_volumes(), tmp_path, fail_on_unknown=True)
    assert got["aws_ebs_volume.reference"] == (Status.FAIL, Severity.HIGH)
    assert got["aws_instance.block_from_var"] == (Status.FAIL, Severity.HIGH)
    assert "aws_ebs_volume.known_true" not in got


def test_without_configuration_every_unknown_stays_unknown(tmp_path: pathlib.Path) -> None:
    p = _volumes()
    del p["configuration"]
    got = _outcomes(p, tmp_path)
    assert got["aws_ebs_volume.absent"] == (Status.UNKNOWN, Severity.INFO)
    assert got["aws_ebs_volume.known_false"] == (Status.FAIL, Severity.HIGH)


def test_a_rule_without_defaults_keeps_the_unknown(tmp_path: pathlib.Path) -> None:
    from guardrails.dialects.native import compile_native

    rule = compile_native("plain", {"match": {"kinds": ["aws_ebs_volume"]}, "pattern": {"spec": {"encrypted": True}}}, source=None)
    [r] = terraform.resources(plan(R("aws_ebs_volume.absent", {"size": 10}, unknown={"encrypted": True})), "p")
    assert r.computed == {("spec", "encrypted")}
    [result] = Engine([rule]).results(r)
    assert result.status is Status.UNKNOWN


@pytest.mark.parametrize(
    ("mode", "status", "severity", "action"),
    [
        ("unknown", Status.UNKNOWN, Severity.INFO, Action.DENY),
        ("warn", Status.UNKNOWN, Severity.HIGH, Action.WARN),
        ("fail", Status.FAIL, Severity.HIGH, Action.DENY),
    ],
)
def test_each_rule_says_what_an_unknown_means(mode: str, status: Status, severity: Severity, action: Action) -> None:
    from guardrails.dialects.native import compile_native

    rule = compile_native(
        "enc", {"severity": "high", "unknown": mode, "match": {"kinds": ["aws_ebs_volume"]}, "pattern": {"spec": {"encrypted": True}}},
        source=None,
    )
    p = plan(R("aws_ebs_volume.v", {"size": 10}, unknown={"encrypted": True},
               expressions={"encrypted": {"references": ["var.enc"]}}))
    [r] = terraform.resources(p, "p")
    [f] = Engine([rule]).evaluate(r)
    assert (f.status, f.severity, f.action) == (status, severity, action)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (("size",), True),
        (("encrypted",), False),
        (("tags", "team"), True),  # tags = var.tags covers every tag
        (("root_block_device", 0, "volume_size"), True),
        (("root_block_device", 0, "encrypted"), False),
        (("root_block_device", 3, "volume_size"), True),  # more blocks than written: the last one's
        (("ebs_block_device", 0, "encrypted"), False),
        (("setting", 0, "value"), True),  # a dynamic block
    ],
)
def test_written(steps: tuple[Any, ...], expected: bool) -> None:
    expressions = {
        "size": {"constant_value": 10},
        "tags": {"references": ["var.tags"]},
        "root_block_device": [{"volume_size": {"constant_value": 8}}],
        "dynamic": {"setting": {"for_each": {"references": ["var.s"]}}},
    }
    assert written(expressions, steps) is expected


def test_module_resources_are_found_through_their_call_path() -> None:
    p = plan(
        R('module.store["a"].aws_ebs_volume.v[0]', {"size": 1}, unknown={"encrypted": True}, count=True),
        R('module.store["a"].module.inner.aws_ebs_volume.w', {"size": 1}, unknown={"encrypted": True},
          expressions={"encrypted": {"references": ["var.enc"]}}),
        sources={"store": "./modules/store", "store.inner": "./inner"},
    )
    config = read_configuration(p["configuration"])
    assert config.sources == {"store": "./modules/store", "store.inner": "./modules/store/inner"}
    a, b = terraform.resources(p, "p")
    assert a.computed == {("spec", "encrypted")} and b.computed == frozenset()
    assert (a.origin.module_source, b.origin.module_source) == ("./modules/store", "./modules/store/inner")


@pytest.mark.parametrize("name", shared.names("terraform", pattern="*.json"))
def test_computed_is_part_of_unknown_on_every_shared_plan(name: str) -> None:
    """On real plans: what is computed is unknown, and never written in the configuration."""
    data = load(name)
    config = read_configuration(data.get("configuration"))
    for r in terraform.resources(data, name):
        assert r.computed <= r.unknown
        for path in r.computed:
            assert path[0] == "spec"
        if r.computed:
            assert config.present


@pytest.mark.parametrize(
    ("flag", "setting", "code"),
    [(False, None, 0), (True, None, 1), (False, "true", 1), (False, "false", 0)],
)
def test_the_flag_and_the_setting_make_unknowns_fail(
    tmp_path: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch, flag: bool, setting: str | None, code: int
) -> None:
    p = plan(R("aws_ebs_volume.v", {"size": 10, "encrypted": None}, unknown={"encrypted": True},
               expressions={"encrypted": {"references": ["aws_kms_key.k"]}}))
    (tmp_path / "plan.json").write_text(json.dumps(p))
    if setting is not None:
        (tmp_path / ".guardrails.yaml").write_text(f"fail-on-unknown: {setting}\n")
    monkeypatch.chdir(tmp_path)
    args = ["scan", "plan.json", "--profile", "terraform", "--only", ENCRYPTION, *(["--fail-on-unknown"] if flag else [])]
    result = run_cli(args)
    assert result.code == code, result
    assert "aws_ebs_volume.v" in result.out
