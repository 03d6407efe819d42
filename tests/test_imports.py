"""The layering holds at run time: the engine and the scan path import no web or cluster package."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fastapi", "uvicorn", "kubernetes", "cryptography", "prometheus_client", "starlette", "regopy")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_engine_imports_no_edge_packages() -> None:
    mods = _modules_after("import guardrails.engine")
    leaked = {m for m in ("yaml", "jsonschema", *HEAVY) if m in mods}
    assert not leaked, f"importing the engine loaded {sorted(leaked)}"


@pytest.mark.parametrize(
    "code",
    [
        "import guardrails.cli, guardrails.commands.scan, guardrails.scan, guardrails.reporters.text",
        "from guardrails import cli; cli.build_parser()",
    ],
)
def test_scan_path_imports_no_web_or_cluster_packages(code: str) -> None:
    mods = _modules_after(code)
    leaked = {m for m in HEAVY if m in mods}
    assert not leaked, f"the scan path loaded {sorted(leaked)}"


def test_a_subcommand_imports_only_its_own_module() -> None:
    mods = _modules_after("from guardrails import cli; cli.build_parser('scan')")
    others = {m for m in mods if m.startswith("guardrails.commands.") and m != "guardrails.commands.scan"}
    assert not others, f"guardrails scan imported {sorted(others)}"
