"""JSON documents written as their findings arrive: the one encoder of the JSON reporters.

A report of 10,000 resources can carry 60,000 findings; building every finding's dict and then
the whole document's text held both at once (SARIF took ~9 KB per finding). Here the document's
frame is encoded once with one list left open, and that list's items are encoded one at a time
(orjson, with the standard library as the fallback for what orjson refuses or would write
differently) and written straight to the stream. The bytes are exactly those of
`json.dumps(document, indent=2, ensure_ascii=...)` with the list in place: readers and golden
files cannot tell the difference, memory holds one item at a time.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import IO, Any

__all__ = ["write"]

try:  # a core dependency; the fallback keeps a broken wheel from taking the reports down
    import orjson

    _OPTIONS = orjson.OPT_INDENT_2
except ImportError:  # pragma: no cover - orjson is installed with the package
    orjson = None  # type: ignore[assignment]


def _encode(item: Any, ensure_ascii: bool) -> str:
    if orjson is not None:
        try:
            text: str = orjson.dumps(item, option=_OPTIONS).decode()
        except (TypeError, orjson.JSONEncodeError):
            pass  # non-string keys, integers beyond 64 bits: the standard encoder takes them
        else:
            # orjson never escapes non-ASCII and writes floats its own way (1e16, not 1e+16):
            # such items go through the standard encoder so the bytes never depend on the path.
            # DEL is ASCII, yet the standard encoder escapes it under ensure_ascii (\u007f).
            if (not ensure_ascii or (text.isascii() and "\x7f" not in text)) and "e" not in _numbers(item):
                return text
    return json.dumps(item, indent=2, ensure_ascii=ensure_ascii)


def _numbers(item: Any) -> str:
    """A marker that is 'e' when `item` holds a float (the only values whose text may differ)."""
    stack = [item]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, float):
            return "e"
    return ""


def write(
    stream: IO[str],
    document: dict[str, Any],
    path: tuple[str | int, ...],
    items: Iterable[Any],
    *,
    ensure_ascii: bool = True,
) -> None:
    """Write `document` indented by two, with the list at `path` (keys and list indexes from the
    root, its placeholder value ignored) taken from `items` as they come; then a newline."""
    token = f"guardrails-stream-{secrets.token_hex(8)}"
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = token
    try:
        frame = json.dumps(document, indent=2, ensure_ascii=ensure_ascii)
    finally:
        parent[path[-1]] = []
    head, _, tail = frame.partition(f'"{token}"')
    line = head.rsplit("\n", 1)[-1]  # '    "results": ': the open list's own indentation
    indent = line[: len(line) - len(line.lstrip())]
    inner = "\n" + indent + "  "
    stream.write(head)
    first = True
    for item in items:
        stream.write(("[" if first else ",") + inner + _encode(item, ensure_ascii).replace("\n", inner))
        first = False
    stream.write("[]" if first else "\n" + indent + "]")
    stream.write(tail)
    stream.write("\n")
