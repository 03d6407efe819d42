"""guardrails: policy-as-code guardrails for Kubernetes manifests, admission and Terraform plans.

The public API. Heavier pieces (rule loading, scanning) are imported on first use so that
`import guardrails` stays cheap for the webhook and the CLI alike.
"""

from __future__ import annotations

from typing import Any

from guardrails.engine import Engine
from guardrails.errors import ConfigError, GuardrailsError, RuleFileError, SourceError, UsageError
from guardrails.model import (
    Action,
    Finding,
    Location,
    Origin,
    Resource,
    ResourceRef,
    RuleInfo,
    RuleResult,
    Severity,
    Status,
    Violation,
)
from guardrails.rule import CompiledRule
from guardrails.version import __version__

__all__ = [
    "Action",
    "CompiledRule",
    "ConfigError",
    "Engine",
    "Finding",
    "GuardrailsError",
    "Location",
    "Origin",
    "Resource",
    "ResourceRef",
    "RuleFileError",
    "RuleInfo",
    "RuleResult",
    "RuleSet",
    "ScanReport",
    "Severity",
    "SourceError",
    "Status",
    "UsageError",
    "Violation",
    "__version__",
    "load_rules",
    "scan",
]

_LAZY = {
    "load_rules": ("guardrails.policy.load", "load_rules"),
    "RuleSet": ("guardrails.policy.load", "RuleSet"),
    "scan": ("guardrails.scan", "scan"),
    "ScanReport": ("guardrails.report", "ScanReport"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'guardrails' has no attribute {name!r}")
