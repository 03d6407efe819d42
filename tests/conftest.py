"""Shared fixtures: the repository and shared/ paths, an in-process CLI runner, golden updates."""

from __future__ import annotations

import io
import pathlib
from collections.abc import Callable, Sequence

import pytest

from guardrails import cli

REPO = pathlib.Path(__file__).resolve().parents[1]


def _find_shared() -> pathlib.Path:
    # shared/ sits beside the repository (../shared from the project root), in CI and locally.
    for base in (REPO, *REPO.parents):
        candidate = base.parent / "shared" if base == REPO else base / "shared"
        if (candidate / "DESIGN.md").is_file():
            return candidate
    return REPO.parent / "shared"


SHARED = _find_shared()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from actual output")


@pytest.fixture
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture
def shared() -> pathlib.Path:
    return SHARED


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


CliRunner = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> CliRunner:
    """Run `guardrails ARGS` in-process with in-memory streams (stdin text optional)."""

    def runner(args: Sequence[str], stdin: str = "") -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        stdin_stream = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        code = cli.run(list(args), stdin=stdin_stream, stdout=out, stderr=err)
        return CliResult(code, out.getvalue(), err.getvalue())

    return runner
