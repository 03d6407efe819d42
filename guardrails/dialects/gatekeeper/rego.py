"""A template's Rego, compiled once by regopy (rego-cpp) and queried once per object.

One interpreter and one prepared bundle per template (per inventory, for referential
templates); each evaluation only sets `input` and runs the prepared query. rego-cpp lacks some
OPA builtins: `missing_builtins` names the ones a template calls so the dialect can warn.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.dialects.gatekeeper import rewrite

__all__ = ["RegoError", "RegoProgram", "missing_builtins"]

_CALL = re.compile(r"(?<![\w.\"])([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(")
_HEAD = re.compile(r"^\s*([A-Za-z_][\w]*)\s*\(", re.MULTILINE)
_IMPORT = re.compile(r"^\s*import\s+data\.([\w.]+?)(?:\s+as\s+(\w+))?\s*$", re.MULTILINE)
# Words that look like calls in Rego but are not builtins.
_NO_DATA: Mapping[str, Any] = {}
_KEYWORDS = frozenset({"not", "some", "every", "with", "else", "default", "in", "if", "contains"})


class RegoError(RuntimeError):
    """The Rego could not be compiled or evaluated."""


def _import_rego() -> Any:
    try:
        import regopy
    except ImportError:  # pragma: no cover - depends on the environment
        raise RegoError(
            "Gatekeeper templates need regopy: pip install 'kube-guardrails[gatekeeper]'"
        ) from None
    return regopy


def missing_builtins(modules: Sequence[str]) -> list[str]:
    """Functions the modules call that are neither defined in them nor rego-cpp builtins."""
    regopy = _import_rego()
    defined: set[str] = set()
    for m in modules:
        defined.update(_HEAD.findall(m))
        for path, alias in _IMPORT.findall(m):
            defined.add(alias or path.rsplit(".", 1)[-1])
    probe = regopy.Interpreter()
    missing: set[str] = set()
    for m in modules:
        body = re.sub(r"#.*", "", m)
        body = re.sub(r'"(?:\\.|[^"\\])*"|`[^`]*`', '""', body)
        for name in _CALL.findall(body):
            head = name.split(".")[0]
            if name in _KEYWORDS or name in defined or head in defined or head in ("data", "input"):
                continue
            if not probe.is_builtin(name):
                missing.add(name)
    return sorted(missing)


def _errors(text: str) -> str:
    """The first error lines of rego-cpp's report, without its AST dump."""
    keep = [ln.strip() for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= set("~-")]
    return " | ".join(keep[:4])[:400]


def _text(encoded: str) -> str:
    """rego-cpp keeps strings JSON-escaped inside (quotes in a sprintf'd object arrive as \\");
    undo that so messages read as OPA prints them."""
    raw = base64.b64decode(encoded).decode("utf-8", "replace")
    if "\\" not in raw:
        return raw
    try:
        out = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return out if isinstance(out, str) else raw


class RegoProgram:
    """`violation` of one template, prepared once. `evaluate(input)` -> list of results.

    `data` (the inventory, for referential templates) is part of the prepared bundle, so a new
    inventory means one rebuild, never one per object.
    """

    def __init__(self, rego: str, libs: Sequence[str], package: str) -> None:
        self._modules = tuple(rewrite.rewrite(m) for m in (rego, *libs))
        # Only the messages, base64-encoded: rego-cpp prints strings without escaping their
        # quotes (and sets in `details` as non-JSON), which would make the answer unreadable.
        self._query = f'x := [m | data.{package}.violation[v]; m := base64.encode(sprintf("%v", [v.msg]))]'
        self._lock = threading.Lock()
        self._data: Mapping[str, Any] | None = None
        self._interp: Any = None
        self._bundle: Any = None
        self._prepare(_NO_DATA)

    def _prepare(self, data: Mapping[str, Any]) -> None:
        # The same inventory object is handed in for every object of a scan: identity is enough.
        if data is self._data:
            return
        regopy = _import_rego()
        interp = regopy.Interpreter()
        try:
            for i, m in enumerate(self._modules):
                interp.add_module(f"module{i}.rego", m)
            if data:
                interp.add_data_json(json.dumps(data, default=str))
            bundle = interp.build(self._query)
        except regopy.RegoError as e:
            raise RegoError(f"rego-cpp cannot compile the Rego: {_errors(str(e))}") from None
        if not bundle.ok():
            raise RegoError(f"rego-cpp cannot compile the Rego: {_errors(str(bundle.node()))}")
        self._interp, self._bundle, self._data = interp, bundle, data

    def evaluate(self, input_: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> list[Any]:
        """The `msg` of each member of the `violation` set."""
        with self._lock:
            self._prepare(_NO_DATA if data is None else data)
            interp = self._interp
            # As JSON text: regopy's value conversion keeps backslashes raw, and rego-cpp then
            # rejects strings such as the regexes of requiredannotations ("invalid escape").
            interp.set_input_term(json.dumps(input_, separators=(",", ":"), default=str))
            out = interp.query_bundle(self._bundle)
            if not out.ok():
                raise RegoError(str(out).strip()[:500])
            if not len(out):
                return []
            value = out[0].bindings.get("x", [])
        if not isinstance(value, list):
            return []
        return [_text(v) for v in value if isinstance(v, str)]
