"""`Exception` documents: which rules they waive, for which resources, until when.

Expiry is judged against a `today` argument, never the clock, so tests and reruns agree.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Collection, Mapping
from typing import Any

from guardrails.kube import selectors
from guardrails.model import INLINE_WAIVER, Location, Resource

__all__ = ["IGNORE", "IGNORE_REASON", "INLINE", "INLINE_MODES", "Waiver", "compile_waiver", "inline_waiver"]


@dataclasses.dataclass(frozen=True, slots=True)
class Waiver:
    name: str
    reason: str
    rules: Callable[[str], bool]
    match: Callable[[Resource], bool]
    expires: datetime.date | None = None
    source: Location | None = None
    # True when `rules` names rules by their unique id only (Kyverno's PolicyException names a
    # policy and its rules); an Exception document may also use a rule's name.
    by_id: bool = False
    namespace_labels: bool = False  # the match reads the namespace's labels (namespaceSelector)

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and today > self.expires

    def names(self, rule_id: str, rule_name: str) -> bool:
        """True when the waiver names the rule, by id (or by name, unless it names ids only)."""
        return self.rules(rule_id) or (not self.by_id and rule_name != rule_id and self.rules(rule_name))

    def covers(self, rule_id: str, rule_name: str, resource: Resource) -> bool:
        return self.names(rule_id, rule_name) and self.match(resource)


def compile_waiver(name: str, spec: Mapping[str, Any], *, source: Location | None) -> Waiver:
    """Compile a schema-valid Exception spec. Raises ValueError for a bad selector or date."""
    from guardrails.kube.match import compile_match  # same match vocabulary as rules

    expires = spec.get("expires")
    if isinstance(expires, str):
        expires = datetime.date.fromisoformat(expires)
    elif isinstance(expires, datetime.datetime):
        expires = expires.date()
    return Waiver(
        name=name,
        reason=str(spec.get("reason", "")),
        rules=selectors.compile_globs(list(spec.get("rules", []))),
        match=compile_match(spec.get("match"), empty=True, unknown_labels=False),
        expires=expires,
        source=source,
        namespace_labels="namespaceSelector" in (spec.get("match") or {}),
    )


# Inline waivers: an annotation on the object itself, for scans.
IGNORE = "guardrails.dev/ignore"
IGNORE_REASON = "guardrails.dev/ignore-reason"
INLINE = INLINE_WAIVER  # how an inline waiver's reason starts in a Finding (f"inline annotation {IGNORE}")
# "scan": honoured for every rule; "admission": never for a deny rule, since the object's author
# would otherwise waive the very rule meant to stop them; "off": ignored.
INLINE_MODES = ("scan", "admission", "off")


def inline_waiver(
    rule: Collection[str], deny: bool, annotations: Mapping[str, Any], mode: str
) -> tuple[str | None, str | None]:
    """(waiver reason, None) when the object's annotations waive the rule (named by its id or
    its name, both in `rule`); (None, why not) when they name it but cannot waive it; (None,
    None) when they do not name it."""
    if mode == "off":
        return None, None
    names = annotations.get(IGNORE)
    if not isinstance(names, str) or not set(rule) & {n.strip() for n in names.split(",")}:
        return None, None
    reason = annotations.get(IGNORE_REASON)
    if not isinstance(reason, str) or not reason.strip():
        return None, f"not waived: {IGNORE} names this rule but {IGNORE_REASON} is missing"
    if mode == "admission" and deny:
        return None, f"not waived: {IGNORE} cannot waive a deny rule at admission"
    return f"{INLINE}: {reason.strip()}", None
