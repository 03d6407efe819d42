"""Load-time rewrites that make rego-cpp evaluate library Rego the way OPA does.

rego-cpp reads a pre-1.0 partial set rule (`name[term] { body }`) as a partial *object* whose
values are `true`: iterating it (`x := name[_]`) yields `true`, and printing it shows an
object. Written with the `contains` keyword (same meaning in OPA) it is a real set. Each
rewrite is exact: the module means the same to OPA before and after.
"""

from __future__ import annotations

import re

__all__ = ["rewrite"]

_HEAD = re.compile(r"^([ \t]*)([A-Za-z_]\w*)\[", re.MULTILINE)


def _close(text: str, start: int) -> int | None:
    """Index just past the `]` matching the `[` at `start`, skipping strings."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "`":
            i = text.find("`", i + 1)
            if i < 0:
                return None
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
            if depth == 0:
                return i + 1 if ch == "]" else None
        i += 1
    return None


def _partial_sets(module: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _HEAD.finditer(module):
        if m.start() < pos:
            continue
        end = _close(module, m.end() - 1)
        if end is None:
            continue
        rest = module[end:]
        after = rest.lstrip(" \t")
        # A set rule's head is followed by its body; `=`/`:=` make it an object rule, `if` a v1 rule.
        if not after.startswith("{"):
            continue
        out.append(module[pos : m.start()])
        out.append(f"{m.group(1)}{m.group(2)} contains {module[m.end() : end - 1]} ")
        pos = end + (len(rest) - len(after))
    out.append(module[pos:])
    return "".join(out)


def rewrite(module: str) -> str:
    return _partial_sets(module)
