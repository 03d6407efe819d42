"""Native fast paths: library templates re-implemented in Python, proven equal to their Rego.

A template qualifies only when its Rego (and libs) hash to a version whose fast path was
checked against the library's suites (tests/gatekeeper/test_native.py), so an edited
template always runs its own code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.gatekeeper.template import Template

__all__ = ["FAST_PATHS", "compile", "fingerprint", "supports"]

NativeFn = Callable[[Mapping[str, Any]], Iterable[str]]  # review -> messages

# template name -> (fingerprints of the proven Rego versions, compile(parameters) -> NativeFn)
FAST_PATHS: dict[str, tuple[frozenset[str], Callable[[Any], NativeFn]]] = {}


def fingerprint(template: Template) -> str:
    h = hashlib.sha256()
    for part in (template.rego or "", *template.libs):
        h.update(part.strip().encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def supports(template: Template, parameters: Any) -> bool:
    entry = FAST_PATHS.get(template.name)
    return entry is not None and fingerprint(template) in entry[0]


def compile(template: Template, parameters: Any) -> NativeFn:
    return FAST_PATHS[template.name][1](parameters)
