"""tests/shared.py: without ../shared a test skips with the one reason, and in CI it fails."""

from __future__ import annotations

import pathlib

import pytest

from tests import shared

CASES = [
    # CI value, what require() raises
    ("", pytest.skip.Exception),
    ("false", pytest.skip.Exception),
    ("true", pytest.fail.Exception),
    ("1", pytest.fail.Exception),
]


@pytest.mark.parametrize(("ci", "raised"), CASES)
def test_absent_shared_skips_or_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, ci: str, raised: type[BaseException]) -> None:
    monkeypatch.setattr(shared, "SHARED", tmp_path / "shared")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(raised) as err:
        shared.require("admission")
    assert shared.REASON in str(err.value)
    with pytest.raises(raised):
        shared.require_module("schemas")
    (param,) = shared.names("admission", pattern="*.json")
    assert param.values == (shared.MISSING,)
    assert bool(param.marks) is (raised is pytest.skip.Exception)


def test_present_shared_gives_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    (tmp_path / "DESIGN.md").write_text("x")
    (tmp_path / "admission").mkdir()
    (tmp_path / "admission" / "b.json").write_text("{}")
    (tmp_path / "admission" / "a.json").write_text("{}")
    monkeypatch.setattr(shared, "SHARED", tmp_path)
    monkeypatch.setenv("CI", "true")
    assert shared.require("admission") == tmp_path / "admission"
    assert shared.names("admission", pattern="*.json") == ["a.json", "b.json"]
