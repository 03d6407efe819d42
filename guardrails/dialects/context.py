"""State shared by the dialects while one rule set loads (pure: no I/O).

Gatekeeper constraints need their templates, which may come later or from another file, so a
dialect can keep state here and compile the rest in its `finalize(context)`, which returns the
rules it could compile and reports each document it refuses with `context.refuse`: one broken
document never takes its good neighbours down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.model import Location
from guardrails.waivers import Waiver

__all__ = ["SHAPE_ERRORS", "LoadContext", "shape_error"]

# What a dialect raises when an author put a type it did not check somewhere (a string where a
# list goes): the document's error, never a traceback. The property tests hunt for these.
SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)


def shape_error(doc: Mapping[str, Any], e: BaseException, location: Location) -> RuleFileError:
    """A located error for one document whose compile met a type or shape it did not expect."""
    meta = doc.get("metadata")
    name = str(meta.get("name") or "") if isinstance(meta, Mapping) else ""
    return RuleFileError(
        f"{doc.get('kind')} {name!r}: a field has a type or shape that cannot be compiled "
        f"({type(e).__name__}: {str(e)[:200]})",
        location=location,
        hint="check the document against its schema (guardrails rules lint)",
    )


@dataclasses.dataclass
class LoadContext:
    waivers: list[Waiver] = dataclasses.field(default_factory=list)
    # Problems that do not stop loading (an unsupported Kyverno feature, a Rego builtin gap).
    warnings: list[GuardrailsError] = dataclasses.field(default_factory=list)
    # Per-dialect scratch space, keyed by the dialect's module name.
    state: dict[str, Any] = dataclasses.field(default_factory=dict)
    # How the loading edge checks a document part against an OpenAPI schema: (message, path)
    # of each problem. Given by policy/load, so jsonschema stays out of the dialects.
    schema_problems: Callable[[Mapping[str, Any], Any], list[tuple[str, tuple[str | int, ...]]]] | None = None
    # Kubernetes objects in rule files that no dialect claims (ConfigMaps, CRDs, custom
    # resources): a ValidatingAdmissionPolicy's params and CRDs for its resource names.
    objects: list[Any] = dataclasses.field(default_factory=list)
    # Documents a dialect took (counted as loaded) and refused in `finalize`, and why.
    refused: int = 0
    refusals: list[GuardrailsError] = dataclasses.field(default_factory=list)

    def refuse(self, documents: int, *problems: GuardrailsError) -> None:
        """`documents` deferred documents did not compile; `problems` say why (one problem may
        stand for several documents, as a broken template for each of its constraints)."""
        self.refused += documents
        self.refusals.extend(problems)
