"""Schema validation of native rule documents: every problem, each with file:line:col.

Errors are rewritten into words a rule author recognises ("unknown key 'reqiredLabels' — did
you mean 'requiredLabels'?") and located with the loader's marks. `best` orders them the way
jsonschema's best_match does: shallow, concrete problems first.
"""

from __future__ import annotations

import datetime
import difflib
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema
    import jsonschema.exceptions

from guardrails.errors import RuleFileError
from guardrails.kube.paths import display as show_path
from guardrails.model import FieldPath, Location

__all__ = ["best", "jsonable", "validate_native"]


def jsonable(data: Any) -> Any:
    """YAML dates and timestamps as ISO strings, so the schema sees what the author wrote."""
    if isinstance(data, Mapping):
        return {k: jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [jsonable(v) for v in data]
    if isinstance(data, (datetime.date, datetime.datetime)):
        return data.isoformat()
    return data


@functools.cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    import jsonschema  # 30 ms to import: only when a user's rule file is validated

    from guardrails.policy import schema

    full = schema.load()
    sub = {"$ref": f"#/$defs/{kind}", "$defs": full["$defs"]}
    cls = jsonschema.validators.validator_for(full)
    return cls(sub, format_checker=cls.FORMAT_CHECKER)


def _explain(err: jsonschema.exceptions.ValidationError) -> tuple[str, FieldPath, str | None]:
    """(message, path of the offending field, hint)."""
    path: FieldPath = tuple(err.absolute_path)
    where = show_path(path) or "document"
    v = err.validator
    if v in ("oneOf", "anyOf") and err.context:
        # Explain the alternative the author meant: not the ones whose very type differs.
        import jsonschema.exceptions

        meant = [e for e in err.context if not (e.validator == "type" and tuple(e.absolute_path) == path)]
        sub = jsonschema.exceptions.best_match(meant or err.context)
        if sub is not None:
            return _explain(sub)
    if v == "additionalProperties" and isinstance(err.instance, Mapping):
        allowed = list((err.schema.get("properties") or {}).keys())
        extra = [k for k in err.instance if k not in allowed]
        key = str(extra[0]) if extra else "?"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else (f"allowed: {', '.join(allowed)}" if allowed else None)
        return f"{where}: unknown key {key!r}", (*path, key), hint
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"{where}: missing required key {missing!r}", path, None
    if v == "enum":
        opts = [str(o) for o in err.validator_value]
        close = difflib.get_close_matches(str(err.instance), opts, n=1) if isinstance(err.instance, str) else []
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(opts)}"
        return f"{where}: {err.instance!r} is not allowed", path, hint
    if v == "const":
        return f"{where}: must be {err.validator_value!r}, found {err.instance!r}", path, None
    if v == "type":
        return f"{where}: expected {err.validator_value}, found {type(err.instance).__name__} {err.instance!r}", path, None
    if v == "pattern" and path and path[-1] == "name":
        return f"{where}: {err.instance!r} is not a valid name", path, "use lowercase letters, digits, '-' and '.'"
    return f"{where}: {err.message}", path, None


def validate_native(
    doc: Mapping[str, Any], *, locate: Callable[[FieldPath], Location]
) -> list[RuleFileError]:
    """All schema problems of one `Rule` or `Exception` document, located."""
    kind = doc.get("kind")
    validator = _validator("Exception" if kind == "Exception" else "Rule")
    errors = list(validator.iter_errors(jsonable(doc)))
    if not errors:
        return []
    import jsonschema.exceptions

    top = max(errors, key=jsonschema.exceptions.relevance)
    # The most relevant first (it is what a one-line message shows), the rest in file order.
    ordered = [top, *sorted((e for e in errors if e is not top), key=lambda e: locate(tuple(e.absolute_path)).line)]
    out = []
    for err in ordered:
        message, path, hint = _explain(err)
        out.append(RuleFileError(message, location=locate(path), hint=hint))
    return out


def best(errors: list[RuleFileError]) -> RuleFileError:
    """The one error to show in a one-line message, carrying the others as `more`."""
    first = errors[0]
    return RuleFileError(first.message, location=first.location, hint=first.hint, more=errors[1:])


# OpenAPI schemas carried by rule documents (a ConstraintTemplate's openAPIV3Schema): checked
# here, at the loading edge, for the dialects (LoadContext.schema_problems), so jsonschema never
# reaches the core. Kubernetes prunes unknown fields rather than rejecting them, so only what
# the schema states is enforced.


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


def openapi_problems(schema: Mapping[str, Any], instance: Any) -> list[tuple[str, FieldPath]]:
    """(message, path inside `instance`) of every way `instance` breaks the OpenAPI schema,
    shallowest first."""
    import jsonschema

    validator = jsonschema.Draft7Validator(_strip_extensions(schema))
    errors = sorted(validator.iter_errors(instance), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    return [(err.message, tuple(err.absolute_path)) for err in errors]
