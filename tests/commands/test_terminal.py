"""The CLI as a person meets it: on a real terminal (a pty), with NO_COLOR / FORCE_COLOR, --quiet,
did-you-mean for subcommands, flags and formats, and the format inferred from --output's name."""

from __future__ import annotations

import io as io_
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
        (["scan", "--profile", "resticted", "examples/good"], "unknown profile 'resticted' — did you mean 'restricted'?"),
        (["rules", "list", "--profile", "best-practice"], "did you mean 'best-practices'?"),
        (["rules", "docs", "--profile", "terraform-aws"], "did you mean 'terraform'?"),
        (["audit", "--profile", "resticted", "--kubeconfig", "/nonexistent"], "did you mean 'restricted'?"),
        (["serve", "--profile", "resticted"], "did you mean 'restricted'?"),
        (["rules", "show", "no-latest-tagg"], "no rule named 'no-latest-tagg' — did you mean 'no-latest-tag'?"),
        (["rules", "show", "disallow-privileged"], "did you mean 'disallow-privileged-containers'?"),
        (["schema", "setings"], "did you mean 'settings'?"),
    ],
)
def test_did_you_mean(run_cli: CliRunner, argv: list[str], says: str) -> None:
    r = run_cli(argv)
    assert r.code == 2 and says in r.err
    assert not r.err.startswith("guardrails: guardrails:")


@pytest.mark.parametrize("command", [["scan"], ["rules", "list"], ["rules", "show"], ["rules", "docs"], ["audit"], ["serve"]])
def test_every_profile_in_help(run_cli: CliRunner, command: list[str]) -> None:
    from guardrails.policy import profiles

    r = run_cli([*command, "--help"])
    assert r.code == 0
    words = " ".join(r.out.split()) + " "  # argparse wraps the help text
    for name in [*profiles.PROFILES, profiles.ALL]:
        assert f" {name}," in words or f" {name} " in words or f" {name})" in words, f"{command}: {name} missing from --help"


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


def _stderr_on_a_terminal(run_args: list[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `guardrails ARGS` in-process with stderr on a pty (stdout in memory), the progress
    line's wait and throttle at zero so that every file redraws it."""
    import io

    from guardrails import cli
    from guardrails.commands import progress

    monkeypatch.chdir(REPO)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    for name in ("CI", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    main, child = pty.openpty()
    # The pty's buffer is small: drain it while the scan runs, from a thread.
    import threading

    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out = io.StringIO()
    with os.fdopen(child, "w", encoding="utf-8", closefd=True) as err:
        code = cli.run(run_args, stdin=io.StringIO(""), stdout=out, stderr=err)
    reader.join(timeout=10)
    os.close(main)
    return code, out.getvalue(), b"".join(chunks).decode("utf-8", "replace")


def test_progress_line_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    code, out, err = _stderr_on_a_terminal(["scan", "examples/bad", "--format", "json"], monkeypatch, {})
    assert code == 1
    summary = json.loads(out)["summary"]
    lines = [part for part in err.split("\r\x1b[K") if part]
    assert lines and all(line.startswith("scanning: ") for line in lines)
    # One redraw per file here, the counts growing to the report's own; then the line erased.
    assert len(lines) == summary["files"]
    last = lines[-1]
    assert last == f"scanning: {summary['files']} files, {summary['resources']} resources, {sum(1 for _ in json.loads(out)['findings'])} findings"
    assert err.endswith("\r\x1b[K") and "\n" not in err


@pytest.mark.parametrize(
    ("env", "flags"),
    [({"CI": "true"}, []), ({}, ["--quiet"]), ({}, ["--no-progress"]), ({"TERM": "dumb"}, [])],
    ids=["CI", "quiet", "no-progress", "dumb-terminal"],
)
def test_no_progress_line(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], flags: list[str]) -> None:
    code, _, err = _stderr_on_a_terminal(["scan", "examples/bad", *flags], monkeypatch, env)
    assert code == 1 and "scanning:" not in err and "\x1b" not in err


def test_no_progress_line_when_stderr_is_not_a_terminal(run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails.commands import progress

    monkeypatch.chdir(REPO)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.delenv("CI", raising=False)
    r = run_cli(["scan", "examples/bad"])
    assert r.code == 1 and "scanning:" not in r.err and "\x1b" not in r.err


def test_progress_line_is_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan shorter than the wait draws nothing; once drawn, redraws are at most one an INTERVAL."""
    from guardrails.commands import progress
    from guardrails.scan import FileResult

    class Tty(io_.StringIO):
        def isatty(self) -> bool:
            return True

    quick = Tty()
    line = progress.Progress(quick)
    for _ in range(100):
        line(FileResult("f.yaml", resources=1))
    line.clear()
    assert quick.getvalue() == ""  # well under DELAY: a quick scan prints nothing extra
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "INTERVAL", 3600.0)
    slow = Tty()
    line = progress.Progress(slow)
    for _ in range(100):
        line(FileResult("f.yaml", resources=2))
    assert line.files == 100 and line.resources == 200
    line.clear()
    assert slow.getvalue() == "\r\x1b[Kscanning: 1 file, 2 resources, 0 findings\r\x1b[K"
