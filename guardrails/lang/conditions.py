"""Kyverno condition blocks (`preconditions`, `deny.conditions`): `any`/`all` lists, or the old
plain list, evaluated with variable substitution and Kyverno's operators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.lang import operators
from guardrails.lang import templates as variables

__all__ = ["ConditionError", "check", "join_non_empty", "validate_block"]


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
    any_ok, all_ok = True, True
    true_msgs: list[str] = []
    false_msgs: list[str] = []
    any_conds = block.get("any")
    if any_conds is not None:
        any_ok = False
        for cond in any_conds:
            ok, msg = _one(cond, data)
            if ok:
                any_ok = True
                true_msgs.append(msg)
                break
            false_msgs.append(msg)
    for cond in block.get("all") or ():
        ok, msg = _one(cond, data)
        if not ok:
            all_ok = False
            false_msgs.append(msg)
            break
        true_msgs.append(msg)
    if any_ok and all_ok:
        return True, join_non_empty(true_msgs, "; ")
    return False, join_non_empty(false_msgs, "; ")


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
