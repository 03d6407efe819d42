"""The native `guardrails.dev/v1` dialect: `Rule` -> CompiledRule, `Exception` -> Waiver."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.errors import RuleFileError
from guardrails.model import FieldPath, Location
from guardrails.policy.compile import CompiledRule, compile_native
from guardrails.policy.dialects.context import LoadContext
from guardrails.policy.waivers import compile_waiver

__all__ = ["compile_document"]


def compile_document(
    doc: Mapping[str, Any],
    *,
    source: Location,
    locate: Callable[[FieldPath], Location],
    context: LoadContext,
) -> list[CompiledRule]:
    """Compile one schema-valid native document. Exceptions go to `context.waivers`."""
    name = str(doc["metadata"]["name"])
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Exception":
        try:
            context.waivers.append(compile_waiver(name, spec, source=source))
        except (ValueError, TypeError) as e:
            raise RuleFileError(f"exception {name!r}: {e}", location=source) from None
        return []
    if isinstance(spec.get("expires"), datetime.date):  # pragma: no cover - schema rejects it
        raise RuleFileError(f"rule {name!r}: rules do not expire; use an Exception", location=source)
    return [compile_native(name, spec, source=source, locate=locate)]
