"""The JSON Schema of `.guardrails.yaml`, for editors (the modeline `guardrails init` writes) and
for `guardrails schema`. `config.load_config` stays the one reader of the settings (its errors
name file and line); a test keeps this schema and the keys it accepts equal, and checks that the
two agree on a table of good and bad settings.

`settings.schema.json` beside this file is the built schema; regenerate it with
`python -m guardrails.policy.schema`.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from guardrails.context import RFC3339
from guardrails.model import Enforcement, Severity
from guardrails.policy import profiles

__all__ = ["SCHEMA_FILE", "build", "render"]

SCHEMA_FILE = pathlib.Path(__file__).with_name("settings.schema.json")

# `key: value` and `key: [values]` both read as a list of strings.
_STRINGS: dict[str, Any] = {
    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
}
_SWITCH: dict[str, Any] = {"type": ["boolean", "null"]}


def build() -> dict[str, Any]:
    names = [*profiles.PROFILES, profiles.ALL]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://guardrails.dev/schemas/settings.schema.json",
        "title": "guardrails settings (.guardrails.yaml)",
        "description": "Found from the working directory upwards; flags on the command line override them.",
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {
            "rules": {**_STRINGS, "description": "Rule files and folders, relative to this file."},
            "builtin": {**_SWITCH, "description": "Also load the built-in library (default: only when no rules are given)."},
            "profiles": {
                "oneOf": [{"enum": names}, {"type": "array", "items": {"enum": names}}],
                "description": "Built-in profiles added to the default set: " + "; ".join(
                    f"{p.name}: {p.summary}" for p in profiles.PROFILES.values()
                ) + f"; {profiles.ALL}: every built-in rule.",
            },
            "exceptions": {**_STRINGS, "description": "Exception documents (files or folders), relative to this file."},
            "exclude": {**_STRINGS, "description": "Globs of paths not to scan (.gitignore is honoured too)."},
            "fail-on": {
                "enum": [str(s) for s in Severity],
                "description": "Exit 1 when a finding is at least this severe (default: low).",
            },
            "fail-on-unknown": {
                **_SWITCH,
                "description": "Terraform: a value known only after apply fails the rules that read it.",
            },
            "fail-on-skip": {
                **_SWITCH,
                "description": "A rule that matched and could not be evaluated fails the run.",
            },
            "namespaces": {
                "type": "object",
                "description": "Labels of namespaces not scanned along, for rules with a namespaceSelector.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["labels"],
                    "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}},
                },
            },
            "helm": {
                "description": "Render Helm charts with `helm template`: true, or the values files and --set pairs to use.",
                "oneOf": [
                    _SWITCH,
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "values": {**_STRINGS, "description": "--values files, relative to this file."},
                            "set": {**_STRINGS, "description": "--set pairs (key=value)."},
                        },
                    },
                ],
            },
            "kustomize": {**_SWITCH, "description": "Render kustomizations with `kubectl kustomize`."},
            "enforcement": {
                "enum": [e.value for e in Enforcement],
                "description": "guardrails serve: what a rule's denial does (audit: recorded, warn: an admission warning, enforce: denied; the default).",
            },
            "max-inflight-bytes": {
                "type": "integer",
                "minimum": 1,
                "description": "guardrails serve: request body bytes held at once across all requests (default 64 MiB); past it a new request gets 503 and the API server's failurePolicy applies.",
            },
            "isolation": {
                "enum": ["on", "off", True, False],
                "description": "Gatekeeper Rego (native code no deadline can interrupt) runs in supervised worker processes, killed past the deadline or on a crash (on, the default), or in-process, unbounded (off). Overrides GUARDRAILS_ISOLATION; --isolation overrides it.",
            },
            "now": {
                "type": "string",
                "anyOf": [{"const": "wall"}, {"pattern": RFC3339, "format": "date-time"}],
                "description": "The evaluation time of policies that read the clock (Kyverno's CEL time.now(), JMESPath time_now and time_since), RFC 3339 with its zone such as 2026-03-06T00:00:00Z; without it those policies are skipped. guardrails serve also takes wall: the real clock at each admission request. --now overrides it.",
            },
            "gatekeeper-expansion": {
                "enum": ["standard", False, None],
                "description": "standard: Gatekeeper constraints on Pods also judge the Pods of Deployments, Jobs, CronJobs... (guardrails' standard ExpansionTemplates).",
            },
            "parameters": {
                "type": ["object", "null"],
                "description": "Values of rules' parameters, by rule name (guardrails rules show NAME lists them); each value is checked against the rule's own schema when the rules load.",
                "additionalProperties": {"type": "object", "minProperties": 1},
            },
        },
    }


def render() -> str:
    """The built schema as the committed file's text."""
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"
