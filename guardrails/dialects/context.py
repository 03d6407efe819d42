"""State shared by the dialects while one rule set loads (pure: no I/O).

Gatekeeper constraints need their templates, which may come later or from another file, so a
dialect can keep state here and compile the rest in its `finalize(context)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.errors import GuardrailsError
from guardrails.waivers import Waiver

__all__ = ["LoadContext"]


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
