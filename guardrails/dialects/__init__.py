"""Rule dialects: which module compiles a document, by its apiVersion group and kind.

Each module has `compile_document(doc, *, source, locate, context) -> list[CompiledRule]`.
A literal table, imported lazily: a scan with only native rules never loads the others.
`kind` "*" matches any kind of that group (Gatekeeper constraints have user-defined kinds).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["DIALECTS", "find"]

# (apiVersion group, kind) -> module
DIALECTS: dict[tuple[str, str], str] = {
    ("guardrails.dev", "Rule"): "guardrails.dialects.native",
    ("guardrails.dev", "Exception"): "guardrails.dialects.native",
    ("templates.gatekeeper.sh", "ConstraintTemplate"): "guardrails.dialects.gatekeeper.adapter",
    ("constraints.gatekeeper.sh", "*"): "guardrails.dialects.gatekeeper.adapter",
    ("kyverno.io", "ClusterPolicy"): "guardrails.dialects.kyverno.adapter",
    ("kyverno.io", "Policy"): "guardrails.dialects.kyverno.adapter",
    ("kyverno.io", "PolicyException"): "guardrails.dialects.kyverno.adapter",
    ("kyverno.io", "*"): "guardrails.dialects.kyverno.adapter",  # other kinds: reported as unsupported
    ("policies.kyverno.io", "*"): "guardrails.dialects.kyverno.adapter",  # CEL policies: likewise
}


def find(api_version: str, kind: str) -> ModuleType | None:
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    module = DIALECTS.get((group, kind)) or DIALECTS.get((group, "*"))
    return importlib.import_module(module) if module else None
