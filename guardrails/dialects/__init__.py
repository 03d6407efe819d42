"""Rule dialects: which module compiles a document, by its apiVersion group and kind.

Each module has `compile_document(doc, *, source, locate, context) -> list[CompiledRule]`.
A literal table, imported lazily: a scan with only native rules never loads the others.
`kind` "*" matches any kind of that group (Gatekeeper constraints have user-defined kinds).
Kinds no dialect takes are sorted out by `guardrails.policy.kinds`: a visible skip, a neighbour
(tests, kustomizations) or an error with "did you mean".
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
    ("expansion.gatekeeper.sh", "ExpansionTemplate"): "guardrails.dialects.gatekeeper.adapter",
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"): "guardrails.dialects.vap",
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"): "guardrails.dialects.vap",
    ("kyverno.io", "ClusterPolicy"): "guardrails.dialects.kyverno.adapter",
    ("kyverno.io", "Policy"): "guardrails.dialects.kyverno.adapter",
    ("kyverno.io", "PolicyException"): "guardrails.dialects.kyverno.adapter",
    ("policies.kyverno.io", "ValidatingPolicy"): "guardrails.dialects.kyverno.adapter",
    ("policies.kyverno.io", "NamespacedValidatingPolicy"): "guardrails.dialects.kyverno.adapter",
    ("policies.kyverno.io", "PolicyException"): "guardrails.dialects.kyverno.adapter",
}


def find(api_version: str, kind: str) -> ModuleType | None:
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    module = DIALECTS.get((group, kind)) or DIALECTS.get((group, "*"))
    return importlib.import_module(module) if module else None
