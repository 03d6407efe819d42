"""Field paths: walking an object by path and showing a path the way kubectl users write it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.model import FieldPath

__all__ = ["MISSING", "display", "get", "nearest_existing"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def get(obj: Any, path: FieldPath) -> Any:
    """The value at `path`, or MISSING."""
    cur = obj
    for step in path:
        if isinstance(step, int):
            if isinstance(cur, Sequence) and not isinstance(cur, str) and -len(cur) <= step < len(cur):
                cur = cur[step]
            else:
                return MISSING
        elif isinstance(cur, Mapping) and step in cur:
            cur = cur[step]
        else:
            return MISSING
    return cur


def nearest_existing(obj: Any, path: FieldPath) -> FieldPath:
    """The longest prefix of `path` that exists in `obj` (a missing field points at its parent)."""
    cur = obj
    for i, step in enumerate(path):
        nxt = get(cur, (step,))
        if nxt is MISSING:
            return path[:i]
        cur = nxt
    return path


def display(path: FieldPath) -> str:
    """`spec.containers[0].image`; keys with dots are bracketed: `metadata.labels["app.kubernetes.io/name"]`."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif step and all(c.isalnum() or c in "_-" for c in step):
            out.append(f".{step}" if out else step)
        else:
            out.append(f"[{step!r}]".replace("'", '"'))
    return "".join(out)
