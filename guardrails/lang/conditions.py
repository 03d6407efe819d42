"""Condition blocks: `any`/`all` lists of conditions, the one walker for every dialect.

`any_all` walks the two lists with a `holds(condition)` given by the caller. Kyverno's blocks
(`preconditions`, `deny.conditions`, and the old plain list) are evaluated here with variable
substitution and Kyverno's operators (`check`); native `deny` conditions, precompiled
JMESPath, use the walker in its named variant `every_any` (checks/deny.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from guardrails.lang import operators
from guardrails.lang import templates as variables

__all__ = ["ConditionError", "any_all", "check", "join_non_empty", "validate_block"]

C = TypeVar("C")
M = TypeVar("M")


class ConditionError(Exception):
    """A condition could not be evaluated: a variable did not resolve, an unknown operator."""


def join_non_empty(parts: list[str], sep: str) -> str:
    return sep.join(p for p in parts if p)


def _one(cond: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[bool, str]:
    try:
        key = variables.substitute(cond.get("key"), data)
    except variables.SubstitutionError as e:
        raise ConditionError(f"failed to substitute variables in condition key: {e}") from None
    try:
        value = variables.substitute(cond.get("value"), data)
    except variables.SubstitutionError as e:
        raise ConditionError(f"failed to substitute variables in condition value: {e}") from None
    try:
        fn = operators.resolve(str(cond.get("operator", "")))
    except ValueError as e:
        raise ConditionError(f"failed to create handler for condition operator: {e}") from None
    message = cond.get("message")
    return fn(key, value), message if isinstance(message, str) else ""


def any_all(
    any_: Sequence[C] | None,
    all_: Sequence[C],
    holds: Callable[[C], tuple[bool, M]],
    *,
    every_any: bool = False,
) -> tuple[bool, list[M], list[M]]:
    """(the block holds, messages of the conditions that held, of those that did not).

    An absent `any` holds; `any` holds when one of its conditions does, `all` when each does,
    and the walk stops at the first `all` condition that fails. Kyverno's way: `any` stops at
    its first holding condition, and `all` is walked even when `any` failed (its errors count).
    `every_any` (native rules): every `any` condition is asked, so every one that holds is
    reported, and nothing more is asked once `any` failed.
    """
    held: list[M] = []
    failed: list[M] = []
    any_ok = True
    if any_ is not None:
        any_ok = False
        for cond in any_:
            ok, msg = holds(cond)
            (held if ok else failed).append(msg)
            if ok:
                any_ok = True
                if not every_any:
                    break
        if every_any and not any_ok:
            return False, held, failed
    for cond in all_:
        ok, msg = holds(cond)
        (held if ok else failed).append(msg)
        if not ok:
            return False, held, failed
    return any_ok, held, failed


def check(block: Any, data: Mapping[str, Any]) -> tuple[bool, str]:
    """(result, message) of a condition block; an absent block holds. Raises ConditionError."""
    if block is None:
        return True, ""
    if isinstance(block, list):  # the old form: every condition must hold
        held: list[str] = []
        for cond in block:
            ok, msg = _one(cond, data)
            if not ok:
                return False, msg
            held.append(msg)
        return True, join_non_empty(held, ";")
    ok, held, failed = any_all(block.get("any"), block.get("all") or (), lambda cond: _one(cond, data))
    return (True, join_non_empty(held, "; ")) if ok else (False, join_non_empty(failed, "; "))


def validate_block(block: Any) -> tuple[str, tuple[str | int, ...]] | None:
    """A problem with a condition block's shape or operators, and where it is in the block."""
    if block is None:
        return None
    conds: list[tuple[tuple[str | int, ...], Any]]
    if isinstance(block, list):
        conds = [((i,), c) for i, c in enumerate(block)]
    elif isinstance(block, Mapping):
        unknown = set(block) - {"any", "all"}
        if unknown:
            return f"unknown condition field {sorted(unknown)[0]!r}: use any or all", ()
        conds = [((k, i), c) for k in ("any", "all") for i, c in enumerate(block.get(k) or ())]
    else:
        return "conditions must be a list or an object with any/all", ()
    for where, cond in conds:
        if not isinstance(cond, Mapping):
            return "a condition must be an object with key, operator and value", where
        try:
            operators.resolve(str(cond.get("operator")))
        except ValueError as e:
            return str(e), (*where, "operator")
    return None
