"""The JSON Schema of native rule documents, built from the base below and every check's own
parameter schema. `rule.schema.json` beside this file is the built schema, shipped for
validation and for editors (yaml-language-server modeline); a test keeps it in sync.

Regenerate with `python -m guardrails.policy.schema`.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

__all__ = ["SCHEMA_FILE", "build", "load", "render"]

SCHEMA_FILE = pathlib.Path(__file__).with_name("rule.schema.json")

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}

_LABEL_SELECTOR: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}

_MATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kinds": {**_STRINGS, "description": "Kind, version/Kind or group/version/Kind; * globs allowed."},
        "namespaces": {**_STRINGS, "description": "Namespace globs."},
        "excludeNamespaces": {**_STRINGS, "description": "Namespace globs never matched."},
        "names": {**_STRINGS, "description": "Name globs."},
        "selector": {**_LABEL_SELECTOR, "description": "Label selector on the resource's labels."},
        "namespaceSelector": {**_LABEL_SELECTOR, "description": "Label selector on the namespace's labels."},
        "operations": {"type": "array", "items": {"enum": ["CREATE", "UPDATE", "DELETE", "CONNECT"]}},
    },
}

_METADATA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "labels": {"type": "object"},
        "annotations": {"type": "object"},
    },
}

RULE_SPEC_KEYS: dict[str, Any] = {
    "title": {"type": "string"},
    "description": {"type": "string"},
    "remediation": {"type": "string"},
    "message": {
        "type": "string",
        "minLength": 1,
        "description": "What a failure means, shown before the check's own detail (path and value found).",
    },
    "severity": {"enum": ["info", "low", "medium", "high", "critical"]},
    "action": {"enum": ["deny", "warn", "audit"]},
    "category": {"type": "string"},
    "references": _STRINGS,
    "profiles": _STRINGS,
    "match": _MATCH,
    "exclude": _MATCH,
    "unknown": {
        "enum": ["fail", "warn", "unknown"],
        "description": (
            "Terraform: what a value known only after apply means for this rule: fail (a failure"
            " at the rule's severity), warn (a warning at the rule's severity) or unknown (info, the default)."
        ),
    },
    "parameters": {
        "type": "object",
        "description": (
            "Values an organisation sets for this rule in .guardrails.yaml (`parameters: {RULE: {NAME: value}}`)"
            " without copying it. Each names the field of this rule it sets (whose value is the default) and"
            " the JSON Schema a value must satisfy."
        ),
        "propertyNames": {"pattern": "^[a-z][a-zA-Z0-9-]*$"},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "required": ["field", "schema"],
            "properties": {
                "field": {
                    "type": "string",
                    "pattern": "^[A-Za-z][A-Za-z0-9]*(\\.([A-Za-z][A-Za-z0-9]*|[0-9]+))*$",
                    "description": (
                        "The field of this rule's spec the value replaces, dotted, list items by index:"
                        " images.allow, match.selector.matchExpressions.0.values."
                    ),
                },
                "schema": {"type": "object", "description": "JSON Schema a value must satisfy."},
                "description": {"type": "string"},
                "placeholder": {
                    "type": "string",
                    "minLength": 1,
                    "description": (
                        "The default is an example to replace (a registry, a label key): what to set,"
                        " e.g. 'your registries'. A scan on it says so once."
                    ),
                },
            },
        },
    },
    "defaults": {
        "type": "object",
        "description": (
            "Terraform: the provider's documented defaults, by resource type, for attributes the"
            " configuration leaves out and the provider computes, e.g. {aws_ebs_volume: {encrypted: false}};"
            " a list of one object stands for every block."
        ),
        "additionalProperties": {"type": "object"},
    },
}


def _document(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The envelope every native document shares: apiVersion, kind, metadata, spec."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "guardrails.dev/v1"},
            "kind": {"const": kind},
            "metadata": _METADATA,
            "spec": spec,
        },
    }


def build() -> dict[str, Any]:
    """The full schema: base vocabulary plus each check's parameter schema under its key."""
    from guardrails import checks

    check_props = {key: {"$ref": f"#/$defs/check.{key}"} for key in checks.CHECKS}
    defs = {f"check.{key}": dict(checks.get(key).schema) for key in checks.CHECKS}
    rule = _document(
        "Rule",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {**RULE_SPEC_KEYS, **check_props},
        },
    )
    exception = _document(
        "Exception",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["rules", "reason"],
            "properties": {
                "rules": {**_STRINGS, "minItems": 1, "description": "Rule names or globs waived."},
                "match": _MATCH,
                "reason": {"type": "string", "minLength": 1},
                "expires": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            },
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://guardrails.dev/schemas/rule.schema.json",
        "title": "guardrails native rule documents (Rule, Exception)",
        "$defs": {"Rule": rule, "Exception": exception, **defs},
        "oneOf": [{"$ref": "#/$defs/Rule"}, {"$ref": "#/$defs/Exception"}],
    }


def load() -> dict[str, Any]:
    if not SCHEMA_FILE.is_file():  # a source checkout before the first `python -m guardrails.policy.schema`
        return build()
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data



def render() -> str:
    """The built schema as the committed file's text."""
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"
