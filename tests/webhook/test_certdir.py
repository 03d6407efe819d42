"""--cert-dir: created private; a symlink, a folder others can enter or someone else owns, or a
planted file in it is refused at start-up with what to change (never a traceback)."""

from __future__ import annotations

import os
import pathlib
import stat
from collections.abc import Callable

import pytest

from guardrails.webhook.certdir import private_dir
from tests.conftest import CliRunner


def test_a_missing_folder_is_created_private(tmp_path: pathlib.Path) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        private_dir(str(tmp_path / "a" / "tls"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "tls").st_mode) == 0o700
    private_dir(str(tmp_path / "a" / "tls"))  # and is accepted the next time


def _symlink(d: pathlib.Path) -> pathlib.Path:
    real = d / "real"
    real.mkdir(mode=0o700)
    (d / "link").symlink_to(real)
    return d / "link"


def _open_to_group(d: pathlib.Path) -> pathlib.Path:
    (d / "tls").mkdir()
    os.chmod(d / "tls", 0o770)
    return d / "tls"


def _a_file(d: pathlib.Path) -> pathlib.Path:
    (d / "tls").write_text("")
    return d / "tls"


def _planted_key(d: pathlib.Path) -> pathlib.Path:
    (d / "tls").mkdir(mode=0o700)
    (d / "elsewhere.key").write_text("")
    (d / "tls" / "tls.key").symlink_to(d / "elsewhere.key")
    return d / "tls"


def _someone_elses(d: pathlib.Path) -> pathlib.Path:
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root (CI runs as root)")
    (d / "tls").mkdir(mode=0o700)
    os.chown(d / "tls", 65534, 65534)
    return d / "tls"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_symlink, "a symbolic link"),
        (_open_to_group, "group or others have access (mode 770)"),
        (_a_file, "not a folder"),
        (_planted_key, "tls.key is not a regular file"),
        (_someone_elses, "owned by uid 65534"),
    ],
)
def test_unsafe_cert_dirs_are_refused(
    tmp_path: pathlib.Path, run_cli: CliRunner, make: Callable[[pathlib.Path], pathlib.Path], says: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ValueError, match="--cert-dir"):
        private_dir(str(path))
    r = run_cli(["serve", "--port", "0", "--cert-dir", str(path)])
    assert r.code == 2 and says in r.err and "Traceback" not in r.err, r.err
