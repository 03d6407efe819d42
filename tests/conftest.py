"""Shared fixtures: the repository and shared/ paths, an in-process CLI runner, golden updates."""

from __future__ import annotations

import io
import pathlib
from collections.abc import Callable, Sequence

import pytest

from guardrails import cli
from tests import shared as shared_data

REPO = pathlib.Path(__file__).resolve().parents[1]




def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from actual output")


@pytest.fixture
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture
def shared() -> pathlib.Path:
    """../shared/: skips the test with one reason when absent, fails it in CI (tests/shared.py)."""
    return shared_data.require()


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
