"""Plan JSON -> Resources: detection, actions, addresses, modules, tags as labels, unknowns."""

from __future__ import annotations

import codecs
import copy
import json
import pathlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.errors import SourceError
from guardrails.sources.terraform import plan as terraform
from tests import shared


def shared_plan(name: str) -> pathlib.Path:
    """A recorded plan of ../shared/terraform (skips, or fails in CI, when ../shared is absent)."""
    return shared.require("terraform", name)


def change(
    address: str,
    after: Any,
    *,
    actions: tuple[str, ...] = ("create",),
    unknown: Any = None,
    before: Any = None,
    module: str | None = None,
    mode: str = "managed",
) -> dict[str, Any]:
    rtype = address.split(".")[-2]
    rc: dict[str, Any] = {
        "address": address,
        "mode": mode,
        "type": rtype,
        "name": address.split(".")[-1].split("[")[0],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": list(actions),
            "before": before,
            "after": after,
            "after_unknown": unknown or {},
        },
    }
    if module:
        rc["module_address"] = module
    return rc


def plan(*changes: dict[str, Any], configuration: Any = None) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": "1.6.6",
        "planned_values": {"root_module": {}},
        "resource_changes": list(changes),
        "configuration": configuration or {"root_module": {}},
    }


def load(name: str) -> Any:
    return terraform.read_plan(shared_plan(name).read_bytes(), name)


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"format_version": "1.2", "resource_changes": []}, True),
        ({"format_version": "0.1", "planned_values": {}}, True),
        ({"format_version": "1.0", "values": {}}, False),  # `terraform show -json` of a state
        ({"resource_changes": []}, False),
        ({"format_version": 1, "resource_changes": []}, False),
        ({"apiVersion": "v1", "kind": "Pod"}, False),
        ([{"format_version": "1.2"}], False),
        ("format_version", False),
    ],
)
def test_is_plan(data: Any, expected: bool) -> None:
    assert terraform.is_plan(data) is expected


@pytest.mark.parametrize("name", shared.names("terraform", pattern="*.json"))
def test_every_shared_plan_is_detected_and_read(name: str) -> None:
    data = load(name)
    assert terraform.is_plan(data)
    for r in terraform.resources(data, name):
        assert r.origin.address == r.name or r.origin.address is not None
        assert r.origin.path == name


def test_utf16_plan_with_bom_is_read() -> None:
    raw = shared_plan("parser__plan_encodings__tfplan_win_utf16.json").read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    [r] = terraform.resources(terraform.read_plan(raw, "p.json"), "p.json")
    assert (r.kind, r.name) == ("aws_s3_bucket", "aws_s3_bucket.data")


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [(b'{"format_version": "1.2",\n  "resource_changes": [\n}', 3, 1), (b"", 1, 1), (b"\xff\x00{", 1, 0)],
)
def test_malformed_plan_is_a_source_error_with_position(raw: bytes, line: int, column: int) -> None:
    with pytest.raises(SourceError) as e:
        terraform.read_plan(raw, "plan.json")
    assert e.value.location is not None
    assert (e.value.location.path, e.value.location.line, e.value.location.column) == (
        "plan.json",
        line,
        column,
    )


# --- which changes are judged ---------------------------------------------------------------

ACTIONS = [
    (("create",), True),
    (("update",), True),
    (("delete", "create"), True),
    (("create", "delete"), True),
    (("delete",), False),
    (("no-op",), False),
    (("read",), False),
    (("forget",), False),
]


@pytest.mark.parametrize(("actions", "judged"), ACTIONS)
def test_only_creates_and_updates_are_judged_unless_all_resources(
    actions: tuple[str, ...], judged: bool
) -> None:
    after = None if actions == ("delete",) else {"bucket": "b"}
    p = plan(change("aws_s3_bucket.b", after, actions=actions, before={"bucket": "old"}))
    assert len(terraform.resources(p, "plan.json")) == int(judged)
    [r] = terraform.resources(p, "plan.json", all_resources=True)
    assert r.obj["spec"]["bucket"] == ("old" if after is None else "b")


def test_data_sources_and_deposed_objects_are_skipped_unless_all_resources() -> None:
    data = change("data.aws_ami.ubuntu", {"id": "ami-1"}, actions=("read",), mode="data")
    deposed = {**change("aws_instance.web", {"ami": "x"}, actions=("delete",)), "deposed": "00000001"}
    p = plan(data, deposed)
    assert terraform.resources(p, "p") == []
    assert [r.name for r in terraform.resources(p, "p", all_resources=True)] == [
        "data.aws_ami.ubuntu",
        "aws_instance.web",
    ]


def test_nested_modules_name_address_module_and_joined_source() -> None:
    configuration = {
        "root_module": {
            "module_calls": {
                "net": {
                    "source": "terraform-aws-modules/vpc/aws",
                    "version_constraint": "5.1.0",
                    "module": {"module_calls": {"sub": {"source": "./subnets", "module": {}}}},
                },
                "app": {"source": "./modules/app", "module": {"module_calls": {"db": {"source": "../db"}}}},
            }
        }
    }
    p = plan(
        change(
            "module.net.module.sub.aws_subnet.a[0]",
            {"cidr_block": "10.0.0.0/24"},
            module="module.net.module.sub",
        ),
        change('module.app["eu"].module.db.aws_db_instance.main', {"engine": "postgres"}),
        change("module.net.aws_vpc.this[0]", {"cidr_block": "10.0.0.0/16"}, module="module.net"),
        configuration=configuration,
    )
    got = [(r.kind, r.name, r.origin.module, r.origin.module_source) for r in terraform.resources(p, "p")]
    assert got == [
        ("aws_subnet", "module.net.module.sub.aws_subnet.a[0]", "module.net.module.sub", "./subnets"),
        (
            "aws_db_instance",
            'module.app["eu"].module.db.aws_db_instance.main',
            'module.app["eu"].module.db',
            "./modules/db",
        ),
        ("aws_vpc", "module.net.aws_vpc.this[0]", "module.net", "terraform-aws-modules/vpc/aws (5.1.0)"),
    ]


def test_shared_nested_child_modules() -> None:
    rs = terraform.resources(load("runner__plan_nested_child_modules__tfplan.json"), "p")
    assert sorted((r.origin.module, r.origin.module_source) for r in rs) == [
        (f"module.child_0.module.child_1_{c}", "./module/module") for c in "abc"
    ]


def test_object_shape() -> None:
    [r] = terraform.resources(plan(change("aws_instance.web", {"ami": "ami-1", "tags": {"team": "a"}})), "p")
    assert r.obj == {
        "apiVersion": "terraform.io/v1",
        "kind": "aws_instance",
        "metadata": {"name": "aws_instance.web", "labels": {"team": "a"}},
        "spec": {"ami": "ami-1", "tags": {"team": "a"}},
    }
    assert (r.kind, r.namespace, r.origin.module, r.origin.module_source) == ("aws_instance", "", None, None)


# --- tags -> labels -----------------------------------------------------------------------------

LABELS = [
    # (after, after_unknown, labels, unknown label paths)
    ({"tags": {"a": "1"}, "tags_all": {"a": "1", "team": "x"}}, {}, {"a": "1", "team": "x"}, set()),
    ({"tags": {"a": "1"}}, {"tags_all": True}, {"a": "1"}, {("metadata", "labels")}),
    ({"tags": None}, {"tags_all": True}, {}, {("metadata", "labels")}),
    ({"tags": {"a": "1"}, "tags_all": None}, {}, {"a": "1"}, set()),
    ({"tags": None}, {}, {}, set()),
    ({}, {"tags": True}, {}, {("metadata", "labels")}),
    (
        {"tags_all": {"a": "1"}},
        {"tags_all": {"b": True}},
        {"a": "1", "b": None},
        {("metadata", "labels", "b")},
    ),
    ({"labels": {"env": "prod"}}, {}, {"env": "prod"}, set()),
    (
        {"labels": {"env": "prod"}, "terraform_labels": {"env": "prod", "team": "x"}},
        {},
        {"env": "prod", "team": "x"},
        set(),
    ),
    ({"tags": [{"key": "team", "value": "x", "propagate_at_launch": "true"}]}, {}, {"team": "x"}, set()),
    (
        {"tag": [{"key": "team", "value": "x", "propagate_at_launch": True}]},
        {"tag": [{}]},
        {"team": "x"},
        set(),
    ),
    ({"name": "no tags here"}, {}, None, set()),
]


@pytest.mark.parametrize(("after", "unknown", "labels", "unknown_paths"), LABELS)
def test_tags_become_labels(after: Any, unknown: Any, labels: Any, unknown_paths: set[Any]) -> None:
    [r] = terraform.resources(plan(change("aws_thing.x", copy.deepcopy(after), unknown=unknown)), "p")
    assert r.obj["metadata"].get("labels") == labels
    assert {p for p in r.unknown if p[0] == "metadata"} == unknown_paths


def test_shared_plan_default_tags_unknown_until_apply() -> None:
    [r] = terraform.resources(load("image_referencer__aws__ecs_tfplan.json"), "p")
    assert r.labels == {}
    assert r.is_unknown(("metadata", "labels", "team"))


def test_shared_plan_tags_all() -> None:
    by_name = {r.name: r for r in terraform.resources(load("parser__plan_tags_variety__tfplan.json"), "p")}
    assert dict(by_name["aws_dynamodb_table.basic-dynamodb-table"].labels) == {"tag1": "test", "tag2": "test"}
    assert dict(by_name["aws_autoscaling_group.example"].labels) == {"tag1": "test", "tag2": "test"}


# --- unknown values ---------------------------------------------------------------------------


def test_unknown_values_are_null_placeholders_with_their_paths() -> None:
    after = {"encrypted": None, "ingress": [{"from_port": 22, "to_port": 22}]}
    unknown = {"id": True, "kms_key_id": True, "ingress": [{"cidr_blocks": True}], "size": False}
    [r] = terraform.resources(plan(change("aws_ebs_volume.v", after, unknown=unknown)), "p")
    assert r.unknown == {("spec", "id"), ("spec", "kms_key_id"), ("spec", "ingress", 0, "cidr_blocks")}
    assert r.obj["spec"]["id"] is None and "id" in r.obj["spec"]
    assert r.obj["spec"]["ingress"][0] == {"from_port": 22, "to_port": 22, "cidr_blocks": None}
    assert "size" not in r.obj["spec"]
    assert r.is_unknown(("spec", "ingress", 0, "cidr_blocks", 0))
    assert not r.is_unknown(("spec", "ingress", 0, "from_port"))


def test_planned_values_only_plan_is_read_as_creates() -> None:
    p = {
        "format_version": "0.1",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_vpc.a",
                        "type": "aws_vpc",
                        "mode": "managed",
                        "values": {"cidr_block": "10.0.0.0/16"},
                    }
                ],
                "child_modules": [
                    {
                        "address": "module.m",
                        "resources": [{"address": "module.m.aws_vpc.b", "type": "aws_vpc", "values": {}}],
                    }
                ],
            }
        },
    }
    rs = terraform.resources(p, "p")
    assert [(r.name, r.origin.module) for r in rs] == [
        ("aws_vpc.a", None),
        ("module.m.aws_vpc.b", "module.m"),
    ]


def test_json_round_trip_of_objects() -> None:
    """Resources are plain data: reporters may dump them."""
    for r in terraform.resources(load("runner__plan__tfplan.json"), "p"):
        json.dumps(r.obj)


# --- malformed plans: never a traceback ---------------------------------------------------------

EXAMPLE = json.loads(
    (pathlib.Path(__file__).resolve().parents[3] / "examples" / "terraform" / "plan.json").read_text()
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(o: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
    for k, v in items:
        out.extend(_paths(v, (*path, k)))
    return out


PATHS = _paths(EXAMPLE)


def _set(root: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set `value` at `path` if the path still exists (an earlier mutation may have cut it)."""
    target = root
    for i, step in enumerate(path):
        ok = (isinstance(target, dict) and step in target) or (
            isinstance(target, list) and isinstance(step, int) and step < len(target)
        )
        if not ok:
            return
        if i == len(path) - 1:
            target[step] = value
            return
        target = target[step]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON_VALUES), min_size=1, max_size=4), st.booleans())
def test_a_mutated_plan_maps_or_reports_never_raises(
    mutations: list[tuple[tuple[Any, ...], Any]], everything: bool
) -> None:
    p = copy.deepcopy(EXAMPLE)
    for path, value in mutations:
        _set(p, path, value)
    problems: list[SourceError] = []
    found = terraform.resources(p, "plan.json", all_resources=everything, problems=problems)
    assert all(r.origin.path == "plan.json" for r in found)
    assert all(e.location is not None and e.location.path == "plan.json" for e in problems)


def test_a_change_that_cannot_be_mapped_is_reported_and_the_others_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = terraform.terraform_k8s.decode_embedded

    def fragile(rtype: str, values: Any) -> Any:
        if values.get("bucket") == "bad":
            raise TypeError("unexpected shape")
        return real(rtype, values)

    monkeypatch.setattr(terraform.terraform_k8s, "decode_embedded", fragile)
    p = plan(change("aws_s3_bucket.bad", {"bucket": "bad"}), change("aws_s3_bucket.ok", {"bucket": "ok"}))
    problems: list[SourceError] = []
    assert [r.name for r in terraform.resources(p, "plan.json", problems=problems)] == ["aws_s3_bucket.ok"]
    assert [e.render() for e in problems] == [
        "plan.json: malformed Terraform plan: aws_s3_bucket.bad: TypeError: unexpected shape — "
        "write the plan with `terraform show -json plan.out`; the other resources were judged"
    ]
    with pytest.raises(SourceError):
        terraform.resources(p, "plan.json")
