"""The shape every check shares: a declared key, a parameter schema and a compile step.

`compile(params)` validates and precompiles (regexes, globs, JMESPath) once, at rule load,
and returns a pure function `Resource -> Iterable[Violation]`. A bad parameter raises
`errors.ParamError` naming the offending sub-path of the params; the rule loader turns it into a
RuleFileError with the rule file's line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.model import Resource, Violation

__all__ = ["Check", "CheckFn", "Keyed", "required_keys"]

CheckFn = Callable[[Resource], Iterable[Violation]]


@dataclasses.dataclass(frozen=True, slots=True)
class Keyed:
    """A check that finds nothing in an object holding none of `keys` as a map key (at any
    depth): the engine skips it there (a PASS, as the check itself would give), so a rule
    against hostPath volumes costs nothing on the many pods that have none."""

    fn: CheckFn
    keys: frozenset[str]

    def __call__(self, resource: Resource) -> Iterable[Violation]:
        return self.fn(resource)


def required_keys(fn: CheckFn) -> frozenset[str] | None:
    """The keys a check needs one of (`Keyed`), or None: no such promise."""
    return fn.keys if isinstance(fn, Keyed) else None


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    key: str
    schema: Mapping[str, Any]  # JSON Schema of the params under `spec.<key>`
    compile: Callable[[Any], CheckFn]
    summary: str  # one line for `guardrails rules` docs
