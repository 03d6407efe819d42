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

__all__ = ["Check", "CheckFn"]

CheckFn = Callable[[Resource], Iterable[Violation]]




@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    key: str
    schema: Mapping[str, Any]  # JSON Schema of the params under `spec.<key>`
    compile: Callable[[Any], CheckFn]
    summary: str  # one line for `guardrails rules` docs
