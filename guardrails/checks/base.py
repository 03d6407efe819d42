"""The shape every check shares: a declared key, a parameter schema and a compile step.

`compile(params)` validates and precompiles (regexes, globs, JMESPath) once, at rule load,
and returns a pure function `Resource -> Iterable[Violation]`. A bad parameter raises
`ParamError` naming the offending sub-path of the params; the rule loader turns it into a
RuleFileError with the rule file's line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.model import FieldPath, Resource, Violation

__all__ = ["Check", "CheckFn", "ParamError"]

CheckFn = Callable[[Resource], Iterable[Violation]]


class ParamError(ValueError):
    """A check parameter is invalid. `path` is relative to the check's params."""

    def __init__(self, message: str, path: FieldPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    key: str
    schema: Mapping[str, Any]  # JSON Schema of the params under `spec.<key>`
    compile: Callable[[Any], CheckFn]
    summary: str  # one line for `guardrails rules` docs
