"""`Exception` documents: which rules they waive, for which resources, until when.

Expiry is judged against a `today` argument, never the clock, so tests and reruns agree.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.kube import selectors
from guardrails.model import Location, Resource

__all__ = ["Waiver", "compile_waiver"]


@dataclasses.dataclass(frozen=True, slots=True)
class Waiver:
    name: str
    reason: str
    rules: Callable[[str], bool]
    match: Callable[[Resource], bool]
    expires: datetime.date | None = None
    source: Location | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and today > self.expires

    def covers(self, rule: str, resource: Resource) -> bool:
        return self.rules(rule) and self.match(resource)


def compile_waiver(name: str, spec: Mapping[str, Any], *, source: Location | None) -> Waiver:
    """Compile a schema-valid Exception spec. Raises ValueError for a bad selector or date."""
    from guardrails.policy.compile import compile_match  # same match vocabulary as rules

    expires = spec.get("expires")
    if isinstance(expires, str):
        expires = datetime.date.fromisoformat(expires)
    elif isinstance(expires, datetime.datetime):
        expires = expires.date()
    return Waiver(
        name=name,
        reason=str(spec.get("reason", "")),
        rules=selectors.compile_globs(list(spec.get("rules", []))),
        match=compile_match(spec.get("match"), empty=True),
        expires=expires,
        source=source,
    )
