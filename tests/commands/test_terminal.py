"""The CLI as a person meets it: on a real terminal (a pty), with NO_COLOR / FORCE_COLOR, --quiet,
did-you-mean for subcommands, flags and formats, and the format inferred from --output's name."""

from __future__ import annotations

import os
import pathlib
import pty
import select
import subprocess
import sys

import pytest

from tests.conftest import REPO, CliRunner

ESC = "\x1b["


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `guardrails ARGS` with standard output on a pty, as a terminal would; stderr piped."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardrails", *args], stdout=child, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        cwd=REPO, env={**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}, **env},
    )
    os.close(child)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            proc.kill()
            pytest.fail("no output from the CLI for 60 s")
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=60)
    os.close(main)
    assert proc.stderr is not None
    with proc.stderr:
        proc.stderr.read()
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("env", "flag", "coloured"),
    [
        ({}, [], True),
        ({"NO_COLOR": "1"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
        ({}, ["--color", "never"], False),
    ],
)
def test_colour_on_a_terminal(env: dict[str, str], flag: list[str], coloured: bool) -> None:
    code, out = _on_a_terminal(["scan", "examples/bad", *flag], env)
    assert code == 1
    assert (ESC in out) is coloured
    assert "findings" in out.splitlines()[-1]


def test_force_color_when_piped(run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    run = subprocess.run(
        [sys.executable, "-m", "guardrails", "scan", "examples/bad"], capture_output=True, text=True, cwd=REPO,
        env={**os.environ, "FORCE_COLOR": "1"}, check=False,
    )
    assert ESC in run.stdout
    plain = subprocess.run(
        [sys.executable, "-m", "guardrails", "scan", "examples/bad"], capture_output=True, text=True, cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}, check=False,
    )
    assert ESC not in plain.stdout and plain.returncode == run.returncode == 1


def test_quiet_prints_findings_only() -> None:
    code, out = _on_a_terminal(["scan", "--quiet", "examples/bad"], {"NO_COLOR": "1"})
    assert code == 1 and "findings" not in out.splitlines()[-1] and "notice:" not in out
    assert "require-ownership-labels" in out
    code, out = _on_a_terminal(["scan", "-q", "examples/good"], {})
    assert code == 0 and out.strip() == ""


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["scna"], "did you mean 'scan'?"),
        (["scan", "--fial-on", "high", "examples/good"], "scan: unrecognized arguments: --fial-on — did you mean --fail-on?"),
        (["rules", "lsit"], "did you mean 'list'?"),
        (["scan", "--format", "sarf", "examples/good"], "did you mean 'sarif'?"),
        (["scan", "--profile", "restriced", "examples/good"], "did you mean 'restricted'?"),
    ],
)
def test_did_you_mean(run_cli: CliRunner, argv: list[str], says: str) -> None:
    r = run_cli(argv)
    assert r.code == 2 and says in r.err
    assert not r.err.startswith("guardrails: guardrails:")


@pytest.mark.parametrize(
    ("name", "starts"),
    [("out.sarif", '{\n  "$schema": "https://docs.oasis-open.org/sarif'), ("out.json", '{\n  "version"'),
     ("out.xml", "<?xml"), ("out.html", "<!doctype html>"), ("out.txt", "examples/bad")],
)
def test_the_format_follows_the_output_name(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, name: str, starts: str) -> None:
    monkeypatch.chdir(REPO)
    target = tmp_path / name
    r = run_cli(["scan", "examples/bad", "--output", str(target)])
    assert r.code == 1 and r.out == ""
    assert target.read_text().lower().startswith(starts.lower())


def test_an_output_name_without_a_format_is_an_error(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    r = run_cli(["scan", "examples/good", "--output", str(tmp_path / "report.out")])
    assert r.code == 2 and "cannot tell the format" in r.err and "--format" in r.err
    assert not (tmp_path / "report.out").exists()
