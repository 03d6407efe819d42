"""THE way tests reach `../shared/`: the peer conformance suites, schemas, recorded AdmissionReviews
and Terraform plans that sit beside the repository (never copied in).

A fresh clone has no `../shared/`: tests that need it skip with the one reason below. In CI
(`CI=true`) the data must be there, so its absence fails those tests instead of skipping them.

- `SHARED`: the folder (it may not exist); `path(*parts)` joins onto it.
- `require(*parts)`: in a test body or fixture, the path, or skip/fail.
- `require_module(*parts)`: at the top of a module that is nothing but shared data.
- `names(*parts, pattern=)`: file names for `parametrize`; when absent, one placeholder whose
  test then calls `require` and skips (or fails in CI) with the reason, never an empty set.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import pytest

__all__ = ["MISSING", "REASON", "SHARED", "available", "names", "path", "require", "require_module"]

_REPO = pathlib.Path(__file__).resolve().parents[1]


def _locate() -> pathlib.Path:
    # Beside the repository (../shared), or beside a parent folder (worktrees under wt/).
    for base in _REPO.parents:
        if (base / "shared" / "DESIGN.md").is_file():
            return base / "shared"
    return _REPO.parent / "shared"


SHARED = _locate()
REASON = f"needs ../shared/ (peer suites, schemas, recorded reviews, plans), not found beside {_REPO}"
MISSING = "<../shared absent>"


def available() -> bool:
    return (SHARED / "DESIGN.md").is_file()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def path(*parts: str) -> pathlib.Path:
    return SHARED.joinpath(*parts)


def require(*parts: str) -> pathlib.Path:
    """The path; when ../shared is absent, skip the test (fail it in CI)."""
    if not available():
        if _in_ci():
            pytest.fail(f"CI=true: {REASON}", pytrace=False)
        pytest.skip(REASON)
    return path(*parts)


def require_module(*parts: str) -> pathlib.Path:
    """`require` for module level: the whole module skips (or errors in CI) at collection."""
    if not available():
        if _in_ci():
            pytest.fail(f"CI=true: {REASON}", pytrace=False)
        pytest.skip(REASON, allow_module_level=True)
    return path(*parts)


def names(*parts: str, pattern: str = "*") -> list[Any]:
    """Sorted file names under `parts` matching `pattern`, for `parametrize`. When ../shared is
    absent: one placeholder that skips with REASON (in CI it runs, and fails in `require`)."""
    if not available():
        marks = () if _in_ci() else (pytest.mark.skip(reason=REASON),)
        return [pytest.param(MISSING, marks=marks, id="no-shared")]
    return sorted(p.name for p in path(*parts).glob(pattern))
