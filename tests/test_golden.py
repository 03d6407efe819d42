"""CLI output compared whole against golden files: tests/golden/<case>/{args,stdin,stdout,stderr,exit}.

`args` holds the command line (shell syntax, without `guardrails`); the run happens in the
repository root. Timings are normalised. `pytest --update-golden` rewrites the files; on a
mismatch the actual output is written beside the expected one as `<file>.actual` (gitignored).
"""

from __future__ import annotations

import pathlib
import re
import shlex

import pytest

from tests.conftest import REPO, CliRunner

GOLDEN = pathlib.Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "args").is_file()) if GOLDEN.is_dir() else []


def normalise(text: str) -> str:
    text = re.sub(r"\b\d+\.\d+s\b", "X.XXs", text)
    return re.sub(r'"seconds": [0-9]+\.[0-9]+', '"seconds": 0.0', text)  # JSON's run time (a float), not a timestamp


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    d = GOLDEN / case
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # PolicyReport timestamps
    stdin = (d / "stdin").read_text() if (d / "stdin").is_file() else ""
    result = run_cli(shlex.split((d / "args").read_text()), stdin=stdin)
    actual = {"stdout": normalise(result.out), "stderr": normalise(result.err), "exit": f"{result.code}\n"}
    update = request.config.getoption("--update-golden")
    mismatched = []
    for name, text in actual.items():
        path = d / name
        if update:
            path.write_text(text)
            continue
        expected = path.read_text() if path.is_file() else ""
        if expected != text:
            (d / f"{name}.actual").write_text(text)
            mismatched.append(name)
        elif (d / f"{name}.actual").exists():
            (d / f"{name}.actual").unlink()
    assert not mismatched, f"{case}: {', '.join(mismatched)} differ; see tests/golden/{case}/*.actual or run pytest --update-golden"
