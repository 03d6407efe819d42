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
    ("guardrails.dev", "Rule"): "guardrails.policy.dialects.native",
    ("guardrails.dev", "Exception"): "guardrails.policy.dialects.native",
    ("templates.gatekeeper.sh", "ConstraintTemplate"): "guardrails.policy.dialects.gatekeeper",
    ("constraints.gatekeeper.sh", "*"): "guardrails.policy.dialects.gatekeeper",
    ("kyverno.io", "ClusterPolicy"): "guardrails.policy.dialects.kyverno",
    ("kyverno.io", "Policy"): "guardrails.policy.dialects.kyverno",
    ("kyverno.io", "PolicyException"): "guardrails.policy.dialects.kyverno",
    ("kyverno.io", "*"): "guardrails.policy.dialects.kyverno",  # other kinds: reported as unsupported
    ("policies.kyverno.io", "*"): "guardrails.policy.dialects.kyverno",  # CEL policies: likewise
}


def find(api_version: str, kind: str) -> ModuleType | None:
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    module = DIALECTS.get((group, kind)) or DIALECTS.get((group, "*"))
    return importlib.import_module(module) if module else None
