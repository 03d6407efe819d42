"""The reference evaluators: the plain interpreters every compiled fast path is proven against.

Rules compile to fast paths (a pattern into closures, an engine that skips a rule on a resource
without any key the rule could object to); the interpreters they replace are kept, and
`evaluators()` makes everything compiled or built inside it use them instead. Only tests do
that, to hold the two byte-identical on the conformance suites, the library and the bench
corpus (tests/test_reference.py). It is read when a rule or an engine is built, never per
resource, so the fast path pays nothing for it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["active", "evaluators"]

_REFERENCE: contextvars.ContextVar[bool] = contextvars.ContextVar("guardrails_reference", default=False)


def active() -> bool:
    """Whether what is being built now should use the reference evaluators."""
    return _REFERENCE.get()


@contextlib.contextmanager
def evaluators() -> Iterator[None]:
    """Rules compiled and engines built inside use the reference evaluators."""
    token = _REFERENCE.set(True)
    try:
        yield
    finally:
        _REFERENCE.reset(token)
