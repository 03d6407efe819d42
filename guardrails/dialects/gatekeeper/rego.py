"""A template's Rego, compiled once by regopy (rego-cpp) and queried once per object.

One interpreter and one prepared bundle per template (per inventory, for referential
templates); each evaluation only sets `input` and runs the prepared query. rego-cpp lacks some
OPA builtins: `missing_builtins` names the ones a template calls so the dialect can warn.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.dialects.gatekeeper import rewrite

__all__ = ["IsolatedProgram", "RegoError", "RegoProgram", "RegopyProgram", "RegorusProgram", "compiles", "missing_builtins"]

_CALL = re.compile(r"(?<![\w.\"])([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(")
_HEAD = re.compile(r"^\s*([A-Za-z_][\w]*)\s*\(", re.MULTILINE)
_IMPORT = re.compile(r"^\s*import\s+data\.([\w.]+?)(?:\s+as\s+(\w+))?\s*$", re.MULTILINE)
_log = logging.getLogger(__name__)

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
    """Functions the modules call that are neither defined in them nor rego-cpp builtins
    (regorus reports an unknown builtin when the template compiles)."""
    regorus = _import_regorus()
    regopy = None if regorus is not None else _import_rego()
    defined: set[str] = set()
    for m in modules:
        defined.update(_HEAD.findall(m))
        for path, alias in _IMPORT.findall(m):
            defined.add(alias or path.rsplit(".", 1)[-1])
    probe = regopy.Interpreter() if regopy is not None else None
    missing: set[str] = set()
    for m in modules:
        body = re.sub(r"#.*", "", m)
        body = re.sub(r'"(?:\\.|[^"\\])*"|`[^`]*`', '""', body)
        for name in _CALL.findall(body):
            head = name.split(".")[0]
            if name in _KEYWORDS or name in defined or head in defined or head in ("data", "input") or name in rewrite.DEPRECATED:
                continue
            if not (probe.is_builtin(name) if probe is not None else _regorus_has(name)):
                missing.add(name)
    return sorted(missing)


@functools.cache
def _regorus_has(name: str) -> bool:
    """regorus names an unknown function when a rule calling it is evaluated."""
    regorus = _import_regorus()
    engine = regorus.Engine()
    engine.set_rego_v0(True)
    engine.set_gather_prints(True)  # probing print() must not write to our stdout
    try:
        engine.add_policy("probe.rego", f"package probe\np {{ {name}(1) }}")
        engine.eval_query("data.probe.p")
    except RuntimeError as e:
        return "could not find function" not in str(e)
    return True


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


class RegopyProgram:
    """`violation` of one template, prepared once by regopy (rego-cpp). `evaluate(input)` -> list of results.

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
        data = data or _NO_DATA  # every constraint without inventory hands in its own {}
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


def _import_regorus() -> Any:
    try:
        import regorus
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return regorus


class RegorusProgram:
    """`violation` of one template on regorus (Microsoft's Rust Rego interpreter, the
    `gordon-to-regorus` build, pinned): the same interface as RegopyProgram.

    regorus and Google's CEL runtime share a process safely; rego-cpp and cel-cpp do not (their
    bundled abseil builds clash: the process aborts on the first CEL error after a Rego query).
    """

    shares_input = True  # takes the request's input as JSON text made once per request

    def __init__(self, rego: str, libs: Sequence[str], package: str) -> None:
        self._modules = tuple(_missing_arguments(rewrite.rewrite(m)) for m in (rego, *libs))
        # The rule itself, not a query: regorus compiles a query on every call (3x the time).
        self._rule = f"data.{package}.violation"
        # A regorus Engine is bound to the thread that made it (pyo3 `unsendable`: another
        # thread's call panics), and the webhook judges in a pool of threads and reloads rules
        # in another: one engine per thread, made on its first use there.
        self._local = threading.local()
        self._prepare(_NO_DATA)

    def _prepare(self, data: Mapping[str, Any]) -> Any:
        data = data or _NO_DATA  # every constraint without inventory hands in its own {}
        local = self._local
        if getattr(local, "data", None) is data:
            return local.engine
        regorus = _import_regorus()
        engine = regorus.Engine()
        engine.set_rego_v0(True)
        # A template's print() is gathered, never written to our stdout or stderr (it would
        # corrupt `--format json` and the webhook's logs); evaluate() drops it each time.
        engine.set_gather_prints(True)
        try:
            for i, m in enumerate(self._modules):
                engine.add_policy(f"module{i}.rego", m)
            if data:
                engine.add_data_json(json.dumps(data, default=str))
        except RuntimeError as e:
            raise RegoError(f"regorus cannot compile the Rego: {_first_error(str(e))}") from None
        local.engine, local.data = engine, data
        return engine

    def evaluate(self, input_: Mapping[str, Any] | None, data: Mapping[str, Any] | None = None,
                 encoded: str | None = None) -> list[Any]:
        """The `msg` of each member of the `violation` set; `encoded`: the input already as
        JSON text (built once per request and shared by every template)."""
        engine = self._prepare(_NO_DATA if data is None else data)
        engine.set_input_json(encoded if encoded is not None else
                              json.dumps(input_, separators=(",", ":"), default=str))
        try:
            text = engine.eval_rule_as_json(self._rule)
        except RuntimeError as e:
            raise RegoError(_first_error(str(e))) from None
        finally:
            prints = engine.take_prints()  # bounded: emptied on every evaluation
            if prints and _log.isEnabledFor(logging.DEBUG):
                _log.debug("rego print: %s", " | ".join(str(p) for p in prints[:20])[:2000])
        members = json.loads(text) if text else None
        if not isinstance(members, list):
            return []
        out = []
        for m in members:
            msg = m.get("msg") if isinstance(m, dict) else None
            if msg is not None:
                out.append(msg if isinstance(msg, str) else json.dumps(msg))
        return out


_SPRINTF = re.compile(r'\bsprintf\(\s*"((?:\\.|[^"\\])*)"\s*,\s*\[')
_VERB = re.compile(r"%[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]")


def _array_items(text: str, start: int) -> int | None:
    """How many top-level items the array literal opening at `start` - 1 holds."""
    depth, items, seen, i, quote = 0, 0, False, start, False
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote, seen = True, True
        elif c in "([{":
            depth, seen = depth + 1, True
        elif c in ")]}":
            if depth == 0:
                return items + (1 if seen else 0) if c == "]" else None
            depth -= 1
        elif c == "," and depth == 0:
            items, seen = items + 1, False
        elif not c.isspace():
            seen = True
        i += 1
    return None


def _missing_arguments(module: str) -> str:
    """Go's fmt (OPA's sprintf) prints `%!v(MISSING)` for a verb without an argument, where
    regorus stops with an error: a literal format with more verbs than its literal argument
    array gets the surplus verbs spelled out, so the message reads as OPA's."""
    out, last = [], 0
    for m in _SPRINTF.finditer(module):
        n = _array_items(module, m.end())
        verbs = [v for v in _VERB.finditer(m.group(1)) if v.group(0) != "%%"]
        if n is None or len(verbs) <= n:
            continue
        fmt = m.group(1)
        for v in reversed(verbs[n:]):
            fmt = fmt[: v.start()] + f"%%!{v.group(0)[-1]}(MISSING)" + fmt[v.end():]
        out.append(module[last: m.start(1)] + fmt)
        last = m.end(1)
    return "".join(out) + module[last:] if out else module


def _first_error(text: str) -> str:
    keep = [ln.strip() for ln in text.split("Stack backtrace")[0].splitlines()
            if ln.strip() and ln.strip() not in ("|", "^") and not ln.strip().startswith("| ")]
    return " | ".join(keep[:4])[:400]


# The engine behind RegoProgram: regorus where installed (measured faster and more faithful on
# the library's suites), else regopy.
RegoProgram: Any = RegorusProgram if _import_regorus() is not None else RegopyProgram


def compiles(rego: str, libs: Sequence[str], package: str) -> None:
    """Compile the template and throw the program away: run in an isolated worker first, so a
    template that crashes or hangs the native compiler is a load error, not a dead process."""
    RegoProgram(rego, libs, package)


class _Bound:
    """One program with one inventory, as a worker calls it (shared whole: the worker forked
    after it was made inherits both)."""

    def __init__(self, program: Any, data: Mapping[str, Any] | None) -> None:
        self.program, self.data = program, data

    def run(self, input_: Mapping[str, Any] | None, encoded: str | None) -> list[Any]:
        out: list[Any] = self.program.evaluate(input_, self.data, encoded=encoded) if encoded is not None \
            else self.program.evaluate(input_, self.data)
        return out


class IsolatedProgram:
    """A RegoProgram evaluated in a supervised worker process (guardrails/isolation.py): a Rego
    loop past the budget is killed there, a crash is the rule's ERROR. Only the input's JSON
    text goes over the pipe; the compiled program and the inventory are inherited."""

    def __init__(self, rego: str, libs: Sequence[str], package: str) -> None:
        from guardrails import isolation

        self._isolation = isolation
        self.program = RegoProgram(rego, libs, package)
        self.shares_input = getattr(self.program, "shares_input", False)
        # Shared now, at load: the first worker forked after the rules are loaded knows every
        # template (sharing lazily would make each worker too old for the next template).
        first = _Bound(self.program, None)
        self._bound: tuple[_Bound, int] | None = (first, isolation.share(first))

    def _key(self, data: Mapping[str, Any] | None) -> int:
        bound = self._bound  # swapped whole: threads never see a torn pair
        data = data or None
        if bound is None or bound[0].data is not data:
            b = _Bound(self.program, data)
            bound = self._bound = (b, self._isolation.share(b))
        return bound[1]

    def evaluate(self, input_: Mapping[str, Any] | None, data: Mapping[str, Any] | None = None,
                 encoded: str | None = None) -> list[Any]:
        key = self._key(data)
        if encoded is None and self.shares_input:
            encoded = json.dumps(input_, separators=(",", ":"), default=str)
            input_ = None
        out: list[Any] = self._isolation.call(key, "run", input_, encoded)
        return out
