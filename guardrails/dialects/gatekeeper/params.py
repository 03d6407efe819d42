"""A constraint's `spec.parameters` checked against its template's openAPIV3Schema.

jsonschema is imported here, at rule load, never on the evaluation path. Kubernetes prunes
unknown fields rather than rejecting them, so only what the schema states is enforced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ParamProblem", "problems"]

ParamProblem = tuple[str, tuple[str | int, ...]]  # message, path under spec.parameters


def _strip_extensions(schema: Any) -> Any:
    """Drop `x-kubernetes-*` keys and OpenAPI's `nullable`, which JSON Schema does not know."""
    if isinstance(schema, Mapping):
        out = {k: _strip_extensions(v) for k, v in schema.items() if not str(k).startswith("x-kubernetes-")}
        if out.pop("nullable", False) and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_strip_extensions(v) for v in schema]
    return schema


def problems(schema: Mapping[str, Any] | None, parameters: Any) -> list[ParamProblem]:
    if not schema or parameters is None:
        return []
    import jsonschema

    validator = jsonschema.Draft7Validator(_strip_extensions(schema))
    out: list[ParamProblem] = []
    for err in sorted(validator.iter_errors(parameters), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))):
        where = ".".join(str(p) for p in err.absolute_path)
        prefix = f"spec.parameters.{where}" if where else "spec.parameters"
        out.append((f"{prefix}: {err.message}", tuple(err.absolute_path)))
    return out
