"""Unreadable files for tests that run as root (root reads everything): drop the effective user.

`as_nobody()` switches the effective uid/gid to `nobody` for the duration of the block (the real
uid stays, so it switches back); as a normal user it does nothing, since `chmod 000` already
refuses that user. `world_dir()` is a folder `nobody` can traverse (pytest's tmp_path is not).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator

NOBODY = 65534


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@contextlib.contextmanager
def world_dir() -> Iterator[pathlib.Path]:
    d = pathlib.Path(tempfile.mkdtemp(prefix="guardrails-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        for p in d.rglob("*"):
            with contextlib.suppress(OSError):
                if not p.is_symlink():
                    p.chmod(0o755)
        shutil.rmtree(d, ignore_errors=True)
