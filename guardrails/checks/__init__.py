"""The check vocabulary: one YAML key of a native rule -> the module attribute implementing it.

A literal table with no import side effects: `get(key)` imports the module on first use, so a
scan loads only the checks its rules use. Tests build their own rules and never mutate this.
"""

from __future__ import annotations

import importlib

from guardrails.checks.base import Check, CheckFn

__all__ = ["CHECKS", "Check", "CheckFn", "get"]

# key -> (module, attribute)
CHECKS: dict[str, tuple[str, str]] = {
    "requiredLabels": ("guardrails.checks.labels", "REQUIRED_LABELS"),
    "requiredAnnotations": ("guardrails.checks.labels", "REQUIRED_ANNOTATIONS"),
    "images": ("guardrails.checks.images", "IMAGES"),
    "resources": ("guardrails.checks.resources", "RESOURCES"),
    "pattern": ("guardrails.checks.pattern", "PATTERN"),
    "anyPattern": ("guardrails.checks.pattern", "ANY_PATTERN"),
    "deny": ("guardrails.checks.deny", "DENY"),
    "assert": ("guardrails.checks.assertion", "ASSERT"),
    "podSecurity": ("guardrails.checks.podsecurity", "POD_SECURITY"),
}


def get(key: str) -> Check:
    module, attr = CHECKS[key]
    check = getattr(importlib.import_module(module), attr)
    assert isinstance(check, Check)
    return check
