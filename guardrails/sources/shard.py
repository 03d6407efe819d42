"""`--shard I/N`: a deterministic share of the inputs, so N CI jobs scan one repository together.

A file belongs to shard `hash(relative path) mod N`: the same on every machine and run, stable
when other files come and go, and the N shards together are exactly the whole file set.
Standard input belongs to the first shard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from guardrails.errors import UsageError
from guardrails.sources.walk import Input

__all__ = ["Shard", "category", "parse", "select", "shard_of"]

Shard = tuple[int, int]  # (index from 1, count)


def parse(text: str) -> Shard:
    """`"2/4"` -> (2, 4); anything else is a UsageError saying what is expected."""
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = 0, 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N", hint="for example --shard 2/4")
    return i, n


def shard_of(display: str, count: int) -> int:
    """The shard (from 1) a relative path belongs to."""
    if display == "-":
        return 1
    digest = hashlib.sha256(display.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(inputs: Sequence[Input], shard: Shard) -> list[Input]:
    index, count = shard
    return [i for i in inputs if shard_of(i.display, count) == index]


def category(shard: Shard | None) -> str:
    """The run category reporters show (SARIF automationDetails.id), per shard."""
    return f"guardrails/shard-{shard[0]}-of-{shard[1]}" if shard else ""
