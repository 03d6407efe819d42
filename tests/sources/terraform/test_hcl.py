"""Plan findings at their .tf lines: resource blocks and attributes, local modules (nested,
with count and for_each), modules.json, dynamic blocks; every line checked against the .tf
text; and SARIF, GitHub annotations and JUnit carrying those lines."""

from __future__ import annotations

import json
import pathlib
import textwrap
from typing import Any

import pytest

from guardrails.sources.terraform.hcl import parse_blocks
from tests.sources.terraform.plans import R, plan

MAIN = textwrap.dedent('''\
    provider "aws" {
      region = "eu-west-1"
    }

    resource "aws_ebs_volume" "absent" {
      availability_zone = "eu-west-1a"
      size              = 10
    }

    resource "aws_instance" "web" {
      ami = "ami-1"

      root_block_device {
        volume_size = 8
        encrypted   = false
      }
    }

    resource "aws_security_group" "open" {
      name = "open"

      dynamic "ingress" {
        for_each = var.ports
        content {
          from_port   = ingress.value
          to_port     = ingress.value
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
        }
      }
    }

    module "store" {
      source   = "./modules/store"
      for_each = toset(["a", "b"])
    }
    ''')

STORE = textwrap.dedent('''\
    variable "size" {
      default = 10
    }

    resource "aws_ebs_volume" "data" {
      count = 2
      size  = var.size

      encrypted = false
    }

    module "inner" {
      source = "./inner"
    }
    ''')

INNER = textwrap.dedent('''\
    # an inner module, two levels down

    resource "aws_db_instance" "db" {
      engine            = "postgres"
      storage_encrypted = false
    }
    ''')


def _line_of(path: pathlib.Path, needle: str, after: str | None = None) -> int:
    lines = path.read_text().splitlines()
    start = 0
    if after is not None:
        start = next(i for i, t in enumerate(lines) if after in t)
    return next(i for i, t in enumerate(lines) if i >= start and needle in t) + 1


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "main.tf").write_text(MAIN)
    (tmp_path / "modules" / "store" / "inner").mkdir(parents=True)
    (tmp_path / "modules" / "store" / "main.tf").write_text(STORE)
    (tmp_path / "modules" / "store" / "inner" / "db.tf").write_text(INNER)
    resources = [
        R("aws_ebs_volume.absent", {"availability_zone": "eu-west-1a", "size": 10}, unknown={"encrypted": True}),
        R("aws_instance.web", {"ami": "ami-1", "root_block_device": [{"volume_size": 8, "encrypted": False}]}),
        R("aws_security_group.open", {"name": "open", "ingress": [
            {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": []},
            {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}]},
          expressions={"name": {"constant_value": "open"}, "dynamic": {"ingress": {"for_each": {"references": ["var.ports"]}}}}),
    ]
    for key in ("a", "b"):
        for i in range(2):
            resources.append(R(f'module.store["{key}"].aws_ebs_volume.data[{i}]', {"size": 10, "encrypted": False},
                               expressions={"size": {"references": ["var.size"]}, "encrypted": {"constant_value": False}},
                               count=True))
        resources.append(R(f'module.store["{key}"].module.inner.aws_db_instance.db', {"engine": "postgres", "storage_encrypted": False}))
    p = plan(*resources, sources={"store": "./modules/store", "store.inner": "./inner"})
    (tmp_path / "plan.json").write_text(json.dumps(p))
    return tmp_path


def _scan(root: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[dict[str, Any]]:
    monkeypatch.chdir(root)
    result = run_cli(["scan", "plan.json", "--profile", "terraform", "--only", "terraform-encryption-at-rest",
                      "--only", "terraform-no-public-ssh", "--format", "json", *args])
    assert result.code == 1, result
    return list(json.loads(result.out)["findings"])


def test_findings_are_at_their_tf_lines(root: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    found = {(f["address"], f["rule"]): (f["file"], f["line"]) for f in _scan(root, run_cli, monkeypatch)}
    main, store, inner = root / "main.tf", root / "modules/store/main.tf", root / "modules/store/inner/db.tf"
    enc, ssh = "terraform-encryption-at-rest", "terraform-no-public-ssh"
    # left out: the resource block's line
    assert found[("aws_ebs_volume.absent", enc)] == ("main.tf", _line_of(main, 'resource "aws_ebs_volume" "absent"'))
    # written in a nested block: the attribute's line
    assert found[("aws_instance.web", enc)] == ("main.tf", _line_of(main, "encrypted   = false"))
    # a dynamic block: the attribute in its content
    assert found[("aws_security_group.open", ssh)] == ("main.tf", _line_of(main, "cidr_blocks = ", after="dynamic"))
    # every count instance of every for_each instance of a local module: the one attribute
    for key in ("a", "b"):
        for i in range(2):
            assert found[(f'module.store["{key}"].aws_ebs_volume.data[{i}]', enc)] == (
                "modules/store/main.tf", _line_of(store, "encrypted = false"))
        assert found[(f'module.store["{key}"].module.inner.aws_db_instance.db', enc)] == (
            "modules/store/inner/db.tf", _line_of(inner, "storage_encrypted = false"))


def test_tf_dir_from_elsewhere(root: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> None:
    elsewhere = tmp_path_factory.mktemp("ci")
    (elsewhere / "plan.json").write_text((root / "plan.json").read_text())
    monkeypatch.chdir(elsewhere)
    result = run_cli(["scan", "plan.json", "--profile", "terraform", "--only", "terraform-encryption-at-rest",
                      "--format", "json", "--tf-dir", str(root)])
    files = {f["file"] for f in json.loads(result.out)["findings"]}
    assert files == {str(root / "main.tf"), str(root / "modules/store/main.tf"), str(root / "modules/store/inner/db.tf")}
    # without the configuration beside the plan, the findings stay at the plan
    result = run_cli(["scan", "plan.json", "--profile", "terraform", "--only", "terraform-encryption-at-rest", "--format", "json"])
    assert {f["file"] for f in json.loads(result.out)["findings"]} == {"plan.json"}
    # a --tf-dir without .tf files is a usage error, not a quiet scan without lines
    result = run_cli(["scan", "plan.json", "--tf-dir", str(elsewhere)])
    assert result.code == 2 and "no .tf files" in result.err


def test_modules_json_finds_installed_modules(root: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`terraform init` records where each module is (registry modules too)."""
    installed = root / ".terraform" / "modules" / "store"
    installed.mkdir(parents=True)
    (installed / "main.tf").write_text("\n\n" + STORE)
    (root / ".terraform" / "modules" / "modules.json").write_text(json.dumps(
        {"Modules": [{"Key": "", "Source": "", "Dir": "."}, {"Key": "store", "Source": "x/y/aws", "Dir": ".terraform/modules/store"}]}))
    found = _scan(root, run_cli, monkeypatch)
    lines = {(f["file"], f["line"]) for f in found if ".data[" in f["address"]}
    assert lines == {(".terraform/modules/store/main.tf", _line_of(installed / "main.tf", "encrypted = false"))}


def test_a_broken_tf_file_is_reported_and_findings_stay(root: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "main.tf").write_text(MAIN.replace('resource "aws_instance" "web" {', 'resource "aws_instance" "web" {{{'))
    monkeypatch.chdir(root)
    result = run_cli(["scan", "plan.json", "--profile", "terraform", "--only", "terraform-encryption-at-rest", "--format", "json"])
    doc = json.loads(result.out)
    assert any(p["file"] == "main.tf" for p in doc["problems"]), doc["problems"]
    assert {f["file"] for f in doc["findings"] if "module." not in f["address"]} == {"plan.json"}


def test_sarif_github_and_junit_carry_the_lines(root: pathlib.Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    line = _line_of(root / "main.tf", "encrypted   = false")
    result = run_cli(["scan", "plan.json", "--profile", "terraform", "--only", "terraform-encryption-at-rest",
                      "--format", "sarif", "--output", "out.sarif", "--format", "junit", "--output", "out.xml",
                      "--format", "github"])
    sarif = json.loads((root / "out.sarif").read_text())
    regions = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"].get("region", {}).get("startLine"))
               for r in sarif["runs"][0]["results"]}
    assert ("main.tf", line) in regions
    assert all(start for _, start in regions)  # every result has a region
    assert f"file=main.tf,line={line}" in result.out
    assert f"main.tf:{line}" in (root / "out.xml").read_text()


@pytest.mark.parametrize(
    ("text", "key", "steps", "needle"),
    [
        (MAIN, ("resource", "aws_instance", "web"), ("root_block_device", 0, "encrypted"), "encrypted   = false"),
        (MAIN, ("resource", "aws_instance", "web"), ("root_block_device", 0, "iops"), "root_block_device {"),
        (MAIN, ("resource", "aws_instance", "web"), ("ebs_block_device", 0, "encrypted"), 'resource "aws_instance"'),
        (MAIN, ("resource", "aws_ebs_volume", "absent"), ("size",), "size              = 10"),
        (MAIN, ("module", "store"), ("for_each",), "for_each = toset"),
    ],
)
def test_parse_blocks(text: str, key: tuple[str, ...], steps: tuple[Any, ...], needle: str) -> None:
    block = parse_blocks(text)[key]
    assert text.splitlines()[block.locate(steps) - 1].strip().startswith(needle.strip())
