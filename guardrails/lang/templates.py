"""`{{ }}` variables in Kyverno policies: find, resolve with JMESPath, substitute.

A string that is exactly one variable becomes the variable's value (any type); otherwise the
value is spliced in as text (JSON for non-strings, as Go marshals it). Inner variables resolve
first, so `{{ divide('{{ a }}', '{{ b }}') }}` works; `\\{{` escapes a variable; `{{- x }}`
substitutes once without resolving what the value itself contains; `{{ @ }}` is the value at the
same place in the object; on DELETE `request.object` reads `request.oldObject`. Map keys are
substituted too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from guardrails.lang import golang
from guardrails.lang import jmespath as query

__all__ = ["SubstitutionError", "go_json", "has_variables", "substitute", "substitute_string"]


def go_json(value: Any) -> str:
    """A value spliced into text, as Go marshals it; a value JSON cannot hold is an error here."""
    try:
        return golang.json_text(value)
    except ValueError as e:
        raise SubstitutionError(str(e)) from None

# The one placeholder grammar (lang.jmespath.PLACEHOLDER), in the two places Kyverno's
# substitution looks for it: after any character but a backslash, and at the start.
_VAR = re.compile(r"(^|[^\\])(" + query.PLACEHOLDER + ")")
_VAR_AT_START = re.compile(query.PLACEHOLDER)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SubstitutionError(Exception):
    """A variable could not be resolved (an unknown key, a bad expression)."""


def has_variables(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, Mapping):
        return any(has_variables(k) or has_variables(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_variables(v) for v in value)
    return False


def _jmespath_of(path: tuple[str | int, ...], prefix: str) -> str:
    parts = list(path)
    if "foreach" in parts:
        parts = parts[len(parts) - parts[::-1].index("foreach"):]
    parts = parts[2:]
    out = prefix
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _IDENT.match(p):
            out += f".{p}"
        else:
            out += "." + json.dumps(p)
    return out


def substitute_string(value: str, data: Mapping[str, Any], *, path: tuple[str | int, ...] = ()) -> Any:
    """Substitute every variable in one string. Raises SubstitutionError."""
    delete = _operation(data) == "DELETE"
    found = [m.group(0) for m in _VAR.finditer(value)]
    while found:
        original = value
        shallow = False
        for whole in found:
            initial = _VAR_AT_START.match(whole) is not None
            v = whole if initial else whole[1:]
            variable = v.replace("{{", "").replace("}}", "").strip()
            shallow = variable.startswith("-")
            if shallow:
                variable = variable[1:].strip()
            if variable == "@":
                prefix_path = "target" if "target" in data else "request.object"
                variable = _jmespath_of(path, prefix_path)
            if delete:
                variable = variable.replace("request.object", "request.oldObject")
            try:
                resolved = query.search(variable, data, missing=query.ERROR)
            except query.NotFound as e:
                raise SubstitutionError(f"failed to resolve {variable} at path {_pointer(path)}: {e}") from None
            except query.QueryError as e:
                raise SubstitutionError(f"failed to resolve {variable} at path {_pointer(path)}: {e}") from None
            if original == v:
                return resolved
            lead = "" if initial else whole[0]
            if shallow and isinstance(resolved, str):
                resolved = resolved.replace("{{", "\\{{")
            text = resolved if isinstance(resolved, str) else go_json(resolved)
            value = value.replace(lead + v, lead + text, 1)
        found = [] if shallow else [m.group(0) for m in _VAR.finditer(value)]
    return value.replace("\\{{", "{{")


def _pointer(path: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(p).replace("/", "\\/") for p in path) if path else ""


def _operation(data: Mapping[str, Any]) -> str:
    req = data.get("request")
    op = req.get("operation") if isinstance(req, Mapping) else None
    return op if isinstance(op, str) else ""


def substitute(document: Any, data: Mapping[str, Any], *, path: tuple[str | int, ...] = ()) -> Any:
    """A copy of a JSON-like document with every variable (in values and keys) substituted."""
    if isinstance(document, str):
        return substitute_string(document, data, path=path) if "{{" in document else document.replace("\\{{", "{{")
    if isinstance(document, Mapping):
        out: dict[str, Any] = {}
        for k, v in document.items():
            key = k
            if isinstance(k, str) and "{{" in k:
                key = substitute_string(k, data, path=path)
                if not isinstance(key, str):
                    raise SubstitutionError(f'expected string after substituting variables in key "{k}"')
            out[key] = substitute(v, data, path=(*path, str(k)))
        return out
    if isinstance(document, list):
        return [substitute(v, data, path=(*path, i)) for i, v in enumerate(document)]
    return document
