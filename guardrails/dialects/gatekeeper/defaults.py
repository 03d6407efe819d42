"""Structural defaulting, as the Kubernetes API server applies a CRD schema's `default:` values to
an object it stores: a ConstraintTemplate's openAPIV3Schema becomes its constraint kind's schema
for `spec.parameters`, so a constraint in a cluster carries those defaults.

For a mapping: every property with a `default` that is absent (or null where the property is not
`nullable`) gets a copy of the default; then every value is defaulted by its property's schema,
or by `additionalProperties`. For a list: every item by `items`. Defaults are copied, never
shared, and the input is never changed. Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["apply"]

# Deeper than any parameter schema; a schema nested past it is left as it is there.
_MAX_DEPTH = 64


def apply(schema: Mapping[str, Any] | None, value: Any) -> Any:
    """`value` with the schema's defaults filled in (a new object where anything changed)."""
    if not isinstance(schema, Mapping):
        return value
    return _default(value, schema, 0)


def _mapping(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _default(value: Any, schema: Mapping[str, Any], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        props = _mapping(schema.get("properties"))
        extra = schema.get("additionalProperties")
        out = dict(value)
        for key, prop in props.items():
            prop = _mapping(prop)
            if "default" not in prop:
                continue
            if key not in out or (out[key] is None and not prop.get("nullable")):
                out[key] = copy.deepcopy(prop["default"])
        for key, v in out.items():
            sub = props.get(key)
            if isinstance(sub, Mapping):
                out[key] = _default(v, sub, depth + 1)
            elif isinstance(extra, Mapping):
                out[key] = _default(v, extra, depth + 1)
        return out
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            return [_default(v, items, depth + 1) for v in value]
    return value
