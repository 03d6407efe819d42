"""The package as users install it: a wheel built from this tree carries the LICENSE, `py.typed`,
the data files, and no top-level import package but `guardrails`; installed alone, its command
scans. The distribution name is not PyPI's `guardrails` (another project)."""

from __future__ import annotations

import email
import os
import pathlib
import subprocess
import sys
import tomllib
import zipfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: the build backend comes from the test environment, no network.
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", str(REPO), "-w", str(out)],
        capture_output=True, text=True, check=False, cwd=out,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (built,) = out.glob("*.whl")
    return built


def test_distribution_name_is_not_another_projects() -> None:
    assert PYPROJECT["project"]["name"] == "kube-guardrails"
    assert PYPROJECT["project"]["scripts"] == {"guardrails": "guardrails.cli:main"}


def test_wheel_carries_license_types_and_data(wheel: pathlib.Path) -> None:
    assert wheel.name.startswith("kube_guardrails-")
    names = zipfile.ZipFile(wheel).namelist()
    licenses = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licenses, names
    text = zipfile.ZipFile(wheel).read(licenses[0]).decode()
    assert "Apache License" in text and "Version 2.0" in text and "END OF TERMS AND CONDITIONS" in text
    assert "guardrails/py.typed" in names
    assert any(n.startswith("guardrails/builtin_rules/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("guardrails/policy/schema/") for n in names)


def test_wheel_installs_only_the_guardrails_package(wheel: pathlib.Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if ".dist-info/" not in n}
    assert tops == {"guardrails"}, tops
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    info = email.message_from_bytes(zipfile.ZipFile(wheel).read(meta))
    assert info["Name"] == "kube-guardrails"
    assert info["License"] == "Apache-2.0" or "Apache" in (info.get("License-Expression") or info["License"] or "")


def test_the_installed_wheel_scans(wheel: pathlib.Path, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import guardrails, sys; print(guardrails.__file__); from guardrails import cli; sys.exit(cli.run(['scan', sys.argv[1]]))"
    run = subprocess.run([sys.executable, "-c", code, str(REPO / "examples" / "good")],
                         capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[0].startswith(str(target)), run.stdout


def test_the_image_carries_every_extra_its_rules_need() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    extras = set(PYPROJECT["project"]["optional-dependencies"]) - {"dev"}
    assert f"'.[{','.join(sorted(extras, key=['webhook', 'gatekeeper'].index))}]'" in dockerfile
    assert "LICENSE" in dockerfile
