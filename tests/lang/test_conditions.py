"""The one any/all walker: Kyverno's short-circuits and the native variant that reports every
holding `any` condition."""

from __future__ import annotations

import pytest

from guardrails.lang.conditions import any_all

ASKED: list[str] = []


def holds(c: str) -> tuple[bool, str]:
    ASKED.append(c)
    return c.startswith("t"), c


@pytest.mark.parametrize(
    ("any_", "all_", "every_any", "result", "asked"),
    [
        (None, ["t1", "t2"], False, (True, ["t1", "t2"], []), ["t1", "t2"]),
        (["f1", "t1", "t2"], [], False, (True, ["t1"], ["f1"]), ["f1", "t1"]),
        (["f1", "t1", "t2"], [], True, (True, ["t1", "t2"], ["f1"]), ["f1", "t1", "t2"]),
        (["f1"], ["t1", "f2", "t3"], False, (False, ["t1"], ["f1", "f2"]), ["f1", "t1", "f2"]),  # all walked anyway
        (["f1"], ["t1"], True, (False, [], ["f1"]), ["f1"]),  # native: nothing more once any failed
        ([], [], False, (False, [], []), []),  # an empty any never holds
    ],
)
def test_any_all(any_: list[str] | None, all_: list[str], every_any: bool, result: tuple[object, ...], asked: list[str]) -> None:
    ASKED.clear()
    assert any_all(any_, all_, holds, every_any=every_any) == result
    assert asked == ASKED
