"""How checks quote values in messages: JSON-style, so `"nginx"`, `3`, `true`, `null` read the
same as in the manifest and a string is never confused with a number."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["quote"]


def quote(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):  # circular or non-string keys: fall back to Python's form
        return repr(value)
