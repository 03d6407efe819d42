"""Every path a scan is given is read or reported, with the exit code the README's table gives."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.conftest import REPO, CliRunner
from tests.unprivileged import as_nobody, world_dir

BAD = (REPO / "examples" / "bad" / "public-images.yaml").read_text()
GUARDRAILS = str(pathlib.Path(sys.executable).with_name("guardrails"))


def _unreadable_file(d: pathlib.Path) -> None:
    (d / "locked.yaml").write_text(BAD)
    (d / "locked.yaml").chmod(0)


def _unreadable_folder(d: pathlib.Path) -> None:
    (d / "locked").mkdir()
    (d / "locked" / "x.yaml").write_text(BAD)
    (d / "locked").chmod(0)


def _fifo(d: pathlib.Path) -> None:
    os.mkfifo(d / "pipe.yaml")


def _loop(d: pathlib.Path) -> None:
    (d / "sub").mkdir()
    (d / "sub" / "up").symlink_to(d)


# case -> (setup, exit code, text that must show)
CASES: dict[str, tuple[Callable[[pathlib.Path], None], int, str]] = {
    "unreadable file": (_unreadable_file, 2, "locked.yaml\n  error  cannot read: Permission denied"),
    "unreadable folder": (_unreadable_folder, 2, "locked\n  error  cannot read folder: Permission denied"),
    "fifo in a folder": (_fifo, 1, "notice: pipe.yaml: a named pipe: skipped"),
    "symlink loop": (_loop, 1, "notice: sub/up: a symbolic link loop: not followed"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_inputs_not_read_are_reported_and_the_rest_still_judged(run_cli: CliRunner, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    setup, code, shown = CASES[case]
    run_cli(["scan", str(REPO / "examples" / "bad")])  # every lazy import done before dropping privileges
    with world_dir() as d:
        # The library as a rules folder `nobody` can read: a checkout inside a private folder
        # (mktemp -d is 0700) would hide the built-in rules from it.
        shutil.copytree(REPO / "rules", d / "rules")
        work = d / "work"
        work.mkdir()
        monkeypatch.chdir(work)
        (work / "app.yaml").write_text(BAD)
        setup(work)
        with as_nobody():
            r = run_cli(["scan", ".", "--rules", str(d / "rules"), "--color", "never"])
    assert r.code == code, r
    assert shown in r.out, r.out
    assert "approved-registries" in r.out  # the readable file was judged


def test_zero_files_is_a_notice_and_fail_on_empty_an_error(tmp_path: pathlib.Path, run_cli: CliRunner) -> None:
    (tmp_path / "README.md").write_text("no manifests\n")
    r = run_cli(["scan", str(tmp_path)])
    assert r.code == 0 and f"notice: no files to scan under {tmp_path}" in r.out
    r = run_cli(["scan", str(tmp_path), "--fail-on-empty"])
    assert r.code == 2 and "no files to scan" in r.err


def test_a_named_device_is_refused(run_cli: CliRunner) -> None:
    r = run_cli(["scan", "/dev/null", str(REPO / "examples" / "bad" / "public-images.yaml")])
    assert r.code == 2 and "/dev/null\n  error  a device" in r.out and "approved-registries" in r.out


@pytest.mark.parametrize(
    "command",
    [
        "{g} scan --color never <(cat {f})",
        "cat {f} | {g} scan --color never /dev/stdin",
        "cat {f} | {g} scan --color never -",
    ],
    ids=["process substitution", "/dev/stdin on a pipe", "- on a pipe"],
)
def test_pipes_are_read_as_streams(command: str) -> None:
    if shutil.which("bash") is None:
        pytest.fail("bash is needed for process substitution")
    f = REPO / "examples" / "bad" / "public-images.yaml"
    r = subprocess.run(["bash", "-c", command.format(g=GUARDRAILS, f=f)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    assert "approved-registries" in r.stdout and "in 1 of 1 file" in r.stdout
