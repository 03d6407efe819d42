"""Objects as the API server stores them: a map entry set to null is unset. Pure.

The API server decodes a built-in object into its Go types and encodes it again, so
`securityContext: null` (what Helm renders from an empty value) reaches a webhook as no
securityContext at all; a scan reads a manifest the same way. One reading for both keeps a
scan's verdict and the admission decision on the same object equal (issue 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["unset_nulls"]


def _has_null_entry(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for v in item.values():
                if v is None:
                    return True
                if isinstance(v, Mapping | list):
                    stack.append(v)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, Mapping | list))
    return False


def unset_nulls(data: Any) -> Any:
    """`data` without its map entries set to null (list items stay: a null item is the list's).

    Returns `data` itself when it holds none, else a copy of the containers (iterative: an
    object nested as deep as a JSON decoder allows is no recursion error)."""
    if not _has_null_entry(data):
        return data
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(data, root, 0)]
    while stack:
        src, target, key = stack.pop()
        if isinstance(src, Mapping):
            new: dict[Any, Any] = {}
            target[key] = new
            for k, v in src.items():
                if v is None:
                    continue
                new[k] = v
                if isinstance(v, Mapping | list):
                    stack.append((v, new, k))
        elif isinstance(src, list):
            items = list(src)
            target[key] = items
            for i, v in enumerate(items):
                if isinstance(v, Mapping | list):
                    stack.append((v, items, i))
        else:
            target[key] = src
    return root[0]
