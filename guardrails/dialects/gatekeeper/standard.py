"""Where guardrails' standard ExpansionTemplates are: the settings' `gatekeeper-expansion:
standard` adds this file to the rule paths (a rule file like any other, no second mechanism)."""

from __future__ import annotations

import pathlib

__all__ = ["STANDARD_EXPANSION"]

STANDARD_EXPANSION = pathlib.Path(__file__).with_name("standard-expansion.yaml")
