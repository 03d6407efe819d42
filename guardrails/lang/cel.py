"""CEL as Kubernetes runs it: one runtime for every dialect (ValidatingAdmissionPolicy, Kyverno's
ValidatingPolicy and `validate.cel`, Gatekeeper's K8sNativeValidation).

The runtime is `cel-expr-python`, Google's CEL (the C++ implementation), chosen by measurement
(`make bench`, bench/bench_cel.py): it parses Kubernetes' optional syntax (`.?field`, `[?key]`,
`orValue`, `optional.of`) and carries the strings, math, bindings and encoders extensions; what
Kubernetes adds (its lists, sets, regex, URL, quantity, IP/CIDR and semver libraries) is
declared here in `guardrails.lang.cel_k8s` and implemented in Python, on plain values.

Variables (`variables.<name>`) are compiled into each expression that reads them as lazy
`cel.bind`s, so a variable is evaluated only where it is used (a failing variable that nothing
reads is harmless, as in Kubernetes) and the environment is never rebuilt per variable.
The environment is built once per set of declared names; an activation once per resource.

Cost: Kubernetes bounds every expression (1,000,000 cost units per call) and every policy
evaluation (10,000,000). The C++ runtime does not count cost, so each program carries a static
upper bound of its own shape (its size times the longest list or map in the input, raised to its
comprehension nesting depth), checked before it runs; an expression over the bound is an error,
never a pass. Evaluation errors are errors, never silently true or false.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "PER_CALL_LIMIT",
    "PER_EVALUATION_LIMIT",
    "Activation",
    "Budget",
    "CelCompileError",
    "CelError",
    "CelEvalError",
    "Environment",
    "Program",
    "environment",
    "plain",
]

PER_CALL_LIMIT = 1_000_000  # Kubernetes' PerCallLimit
PER_EVALUATION_LIMIT = 10_000_000  # Kubernetes' RuntimeCELCostBudget, per policy evaluation


class CelError(RuntimeError):
    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class CelCompileError(CelError):
    """The expression does not compile (syntax, an undeclared name or function)."""


class CelEvalError(CelError):
    """The expression could not be evaluated on this input (a missing key, a type error, the
    cost budget)."""


# --- the runtime, imported lazily (scans without CEL rules never load it) --------------------


@functools.cache
def _runtime() -> Any:
    try:
        from cel_expr_python import cel
    except ImportError:  # pragma: no cover - depends on the environment
        raise CelCompileError(
            "CEL rules need cel-expr-python: pip install 'guardrails[cel]'"
        ) from None
    return cel


@functools.cache
def _extensions() -> tuple[Any, ...]:
    from cel_expr_python.ext import ext_bindings, ext_encoders, ext_math, ext_optional, ext_strings

    return (ext_optional.ExtOptional(), ext_strings.ExtStrings(), ext_math.ExtMath(),
            ext_bindings.ExtBindings(), ext_encoders.ExtEncoders())


# --- source rewriting: variables as lazy bindings, presence chains (a named variant) ----------

# Strings (with their prefixes and triple quotes) are masked before any rewriting, so a
# `variables.x` inside a literal is left alone.
_STRING = re.compile(
    r"""(?:[rR][bB]?|[bB][rR]?)?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")""",
    re.S,
)
_VARIABLE = re.compile(r"(?<![\w.])variables\s*\.\s*([A-Za-z_]\w*)")
_HAS = re.compile(r"\bhas\(\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*){2,})\s*\)")
# (The one-element map of the orValue rewrite, over `__ov` names, does not multiply the cost.)
_COMPREHENSION = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter|sortBy|transformList|transformMap)\s*\((?!__ov)")
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _masked(text: str) -> tuple[str, list[str]]:
    literals: list[str] = []

    def keep(m: re.Match[str]) -> str:
        literals.append(m.group(0))
        return f"\x00{len(literals) - 1}\x00"

    return _STRING.sub(keep, text), literals


def _unmasked(text: str, literals: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))], text)


def variable_name(name: str) -> str:
    """The identifier a `variables.<name>` reference becomes in compiled source."""
    return f"__v_{name}"


def referenced_variables(text: str) -> list[str]:
    masked, _ = _masked(text)
    seen: list[str] = []
    for m in _VARIABLE.finditer(masked):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


_HAS_VARIABLE = re.compile(r"\bhas\(\s*variables\s*\.\s*[A-Za-z_]\w*\s*\)")


def _rewrite(text: str, *, presence_chains: bool, tag: str = "") -> str:
    """`tag` keeps the names this introduces apart from those of the other parts compiled into
    one source (cel-cpp's lazy bindings mix up a name bound again inside its own scope)."""
    masked, literals = _masked(text)
    masked = _or_value_compat(masked, tag)
    # `variables` holds every declared name: presence of one is always true (an undeclared one
    # is refused before this, as Kubernetes refuses it at compile time).
    masked = _HAS_VARIABLE.sub("true", masked)
    masked = _VARIABLE.sub(lambda m: variable_name(m.group(1)), masked)
    if presence_chains:
        masked = _HAS.sub(_expand_has, masked)
    return _unmasked(masked, literals)


_OR_VALUE = re.compile(r"\.\s*orValue\s*\(")
_OPEN = {")": "(", "]": "[", "}": "{"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def _or_value_compat(masked: str, tag: str = "") -> str:
    """`x.orValue(y)` as Kyverno reads it (a receiver macro over every one-argument call, in
    ValidatingPolicy, validate.cel and its ValidatingAdmissionPolicy evaluation): an optional `x`
    gives its value or `y`, any other `x` is itself, and both sides are evaluated (Kyverno's
    replacement is an ordinary strict function). cel-go before v0.28, which Kubernetes through
    1.35 ships, also hands back a non-optional receiver; cel-cpp and cel-go v0.28 refuse it, which
    would turn policies written against those clusters into errors. Written in CEL (the pair is
    built first, so an error on either side is the call's error)."""
    out = masked
    count = 0
    pos = 0
    while True:
        m = _OR_VALUE.search(out, pos)
        if m is None:
            break
        start = _receiver_start(out, m.start())
        end = _closing(out, m.end() - 1)
        if start is None or end is None or start == m.start() or not out[m.end():end].strip():
            pos = m.end()  # not a one-argument member call we can read: left to the compiler
            continue
        count += 1
        v = f"__ov{tag}_{count}"
        receiver, default = out[start:m.start()], out[m.end():end]
        # `\x01` keeps the inner call from being found again; removed at the end.
        # A one-element map, not cel.bind: cel-cpp's lazy binding inside a comprehension can
        # read a slot another comprehension reused (a bound value seen as a string).
        call = (f"[[dyn({receiver}), dyn({default})]].map({v}, type({v}[0]) == optional_type "
                f"? {v}[0].\x01orValue({v}[1]) : {v}[0])[0]")
        out = out[:start] + call + out[end + 1:]
        pos = start
    return out.replace("\x01", "")


def _receiver_start(s: str, dot: int) -> int | None:
    """Where the postfix expression ending just before `s[dot]` (a member call's `.`) begins:
    identifiers, `.`/`.?` selections, calls, indexing, literals and masked strings."""
    j = dot
    while j > 0 and s[j - 1] in " \t\r\n":
        j -= 1
    while j > 0:
        c = s[j - 1]
        if c == "\x00":  # a masked string literal: \x00N\x00
            k = s.rfind("\x00", 0, j - 1)
            if k < 0:
                return None
            j = k
        elif c in _OPEN:
            opened = _opening(s, j - 1)
            if opened is None:
                return None
            j = opened
        elif c.isalnum() or c == "_":
            while j > 0 and (s[j - 1].isalnum() or s[j - 1] == "_"):
                j -= 1
        elif c == "." or (c == "?" and j > 1 and s[j - 2] == "."):
            j -= 1 if c == "." else 2
            while j > 0 and s[j - 1] in " \t\r\n":
                j -= 1
        else:
            break
    return j


def _opening(s: str, close: int) -> int | None:
    depth: list[str] = []
    for k in range(close, -1, -1):
        c = s[k]
        if c in _OPEN:
            depth.append(_OPEN[c])
        elif c in _CLOSE:
            if not depth or depth.pop() != c:
                return None
            if not depth:
                return k
    return None


def _closing(s: str, open_: int) -> int | None:
    depth: list[str] = []
    for k in range(open_, len(s)):
        c = s[k]
        if c in _CLOSE:
            depth.append(_CLOSE[c])
        elif c in _OPEN:
            if not depth or depth.pop() != c:
                return None
            if not depth:
                return k
    return None


def _expand_has(m: re.Match[str]) -> str:
    """`has(a.b.c.d)` -> `(has(a.b) && has(a.b.c) && has(a.b.c.d))`: Gatekeeper's templates
    rely on a presence test that is false, not an error, when a map in the middle is absent."""
    parts = m.group(1).split(".")
    return "(" + " && ".join(f"has({'.'.join(parts[: i + 1])})" for i in range(1, len(parts))) + ")"


def _depth(text: str) -> int:
    """Comprehension nesting depth: how many macro calls are open at the deepest point."""
    masked, _ = _masked(text)
    depth = best = 0
    stack: list[bool] = []
    i = 0
    while i < len(masked):
        m = _COMPREHENSION.match(masked, i)
        if m:
            stack.append(True)
            depth += 1
            best = max(best, depth)
            i = m.end()
            continue
        c = masked[i]
        if c == "(":
            stack.append(False)
        elif c == ")" and stack and stack.pop():
            depth -= 1
        i += 1
    return best


# --- values --------------------------------------------------------------------------------

_INT64 = (-(2**63), 2**63 - 1)


def plain(value: Any, _depth: int = 0) -> tuple[Any, int]:
    """A decoded object as CEL sees JSON: str keys, int64 or double numbers, timestamps as
    strings. Returns the value and the length of its longest list or map (for the cost bound)."""
    if _depth > 200:
        raise CelEvalError("the input nests deeper than 200 levels")
    if value is None or isinstance(value, bool | str | float):
        return value, 0
    if isinstance(value, int):
        return (value if _INT64[0] <= value <= _INT64[1] else float(value)), 0
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        longest = len(value)
        for k, v in value.items():
            out[k if isinstance(k, str) else str(k)], n = plain(v, _depth + 1)
            longest = max(longest, n)
        return out, longest
    if isinstance(value, list | tuple):
        items = []
        longest = len(value)
        for v in value:
            item, n = plain(v, _depth + 1)
            items.append(item)
            longest = max(longest, n)
        return items, longest
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat(), 0
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace"), 0
    return str(value), 0


@dataclasses.dataclass
class Budget:
    """The cost left for one policy evaluation."""

    left: int = PER_EVALUATION_LIMIT

    def spend(self, cost: int, text: str) -> None:
        if cost > PER_CALL_LIMIT:
            raise CelEvalError(f"expression {text!r} exceeds the per-expression cost limit "
                               f"({cost} > {PER_CALL_LIMIT}) on this input")
        self.left -= cost
        if self.left < 0:
            raise CelEvalError(f"the evaluation exceeds its cost budget ({PER_EVALUATION_LIMIT}) "
                               f"at expression {text!r}")


class Activation:
    """The input of one evaluation, converted once and shared by every program of a policy."""

    __slots__ = ("_act", "longest")

    def __init__(self, env: Environment, data: Mapping[str, Any], *, converted: bool = False) -> None:
        if converted:
            values, longest = dict(data), 0
            for v in values.values():
                if isinstance(v, Mapping | list):
                    longest = max(longest, len(v))
        else:
            values, longest = {}, 0
            for k, v in data.items():
                values[k], n = plain(v)
                longest = max(longest, n)
        for name in env.names:
            if not name.startswith("__v_"):  # a variable left out is unset: reading it fails
                values.setdefault(name, None)
        self.longest = longest
        self._act = env.native.Activation(values)


class Program:
    __slots__ = ("_expr", "cost_factor", "depth", "text")

    def __init__(self, expr: Any, text: str, depth: int) -> None:
        self._expr = expr
        self.text = text
        self.depth = depth
        # Kubernetes counts roughly one unit per node visited; the source length stands for the
        # node count (an over-estimate, which errs on the side of stopping).
        self.cost_factor = max(1, len(text) // 4)

    def cost(self, activation: Activation) -> int:
        return int(self.cost_factor * (1 + activation.longest) ** self.depth)

    def _run(self, activation: Activation, budget: Budget | None) -> Any:
        (budget or Budget()).spend(self.cost(activation), self.text)
        value = self._expr.eval(activation._act)
        kind = value.type().name()
        return value, kind

    def _error(self, value: Any) -> CelEvalError:
        try:
            detail = str(value.value())
        except Exception:  # an optional or other non-plain result
            detail = "the expression gave a value of an unsupported type"
        detail = re.sub(r"^[A-Z_]+: ", "", detail)
        detail = re.sub(r"__v_(\w+)", r"variables.\1", detail)
        return CelEvalError(detail)

    def boolean(self, activation: Activation, budget: Budget | None = None) -> bool:
        value, kind = self._run(activation, budget)
        if kind == "BOOL":
            return bool(value.value())
        if kind == "ERROR":
            raise self._error(value)
        raise CelEvalError(f"expression gave {kind.lower()}, not bool")

    def string(self, activation: Activation, budget: Budget | None = None) -> str:
        value, kind = self._run(activation, budget)
        if kind == "STRING":
            return str(value.value())
        if kind == "ERROR":
            raise self._error(value)
        raise CelEvalError(f"expression gave {kind.lower()}, not string")

    def value(self, activation: Activation, budget: Budget | None = None) -> Any:
        """A plain result (bool, number, string, list or map of those)."""
        value, kind = self._run(activation, budget)
        if kind == "ERROR":
            raise self._error(value)
        if "OPTIONAL" in kind.upper():
            raise CelEvalError("expression gave an optional value")
        return value.plain_value()


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    text: str


class Environment:
    """Declared names and the libraries, built once; compiles expressions."""

    def __init__(self, names: Sequence[str], *, presence_chains: bool = False,
                 libraries: Sequence[str] = ("kubernetes",)) -> None:
        cel = _runtime()
        from guardrails.lang import cel_k8s

        if "kyverno" in libraries:
            from guardrails.lang import cel_kyverno  # noqa: F401  (registers its library)
        if "authz" in libraries:
            from guardrails.lang import cel_authz  # noqa: F401  (registers its library)

        self.names = tuple(names)
        self.presence_chains = presence_chains
        decls = cel_k8s.declarations(cel, libraries)
        try:
            self.native = cel.NewEnv(variables={n: cel.Type.DYN for n in self.names},
                                     extensions=[*_extensions(), *decls])
        except Exception as e:  # pragma: no cover - a declaration bug, not user input
            raise CelCompileError(f"CEL environment: {e}") from None

    def activation(self, data: Mapping[str, Any], *, converted: bool = False) -> Activation:
        return Activation(self, data, converted=converted)

    def compile(self, text: Any, path: tuple[str | int, ...] = (),
                variables: Sequence[Variable] = ()) -> Program:
        """One expression, with the `variables` defined before it inlined as lazy bindings."""
        if not isinstance(text, str) or not text.strip():
            raise CelCompileError("expression must be a non-empty string", path)
        source = self._with_variables(text, variables, path)
        try:
            expr = self.native.compile(source)
        except Exception as e:
            raise CelCompileError(f"CEL does not compile: {_compile_message(str(e), text)}", path) from None
        return Program(expr, text, _depth(source))

    def _with_variables(self, text: str, variables: Sequence[Variable], path: tuple[str | int, ...]) -> str:
        defined = {v.name: i for i, v in enumerate(variables)}
        preset = {n[len("__v_"):] for n in self.names if n.startswith("__v_")}
        needed: set[int] = set()
        todo = list(referenced_variables(text))
        while todo:
            name = todo.pop()
            if name in preset:
                continue
            if name not in defined:
                raise CelCompileError(f"variables.{name} is not defined (before this expression)", path)
            i = defined[name]
            if i in needed:
                continue
            needed.add(i)
            for ref in referenced_variables(variables[i].text):
                if ref not in preset and (ref not in defined or defined[ref] >= i):
                    raise CelCompileError(
                        f"variable {name!r} reads variables.{ref}, which is not defined before it", path)
                todo.append(ref)
        body = _rewrite(text, presence_chains=self.presence_chains)
        for i in sorted(needed, reverse=True):
            v = variables[i]
            inner = _rewrite(v.text, presence_chains=self.presence_chains, tag=str(i))
            body = f"cel.bind({variable_name(v.name)}, ({inner}), ({body}))"
        return body


def _compile_message(raw: str, text: str) -> str:
    raw = re.sub(r"^[A-Z_]+: ", "", raw.strip())
    raw = re.sub(r"\s*\[[A-Z_]+\]$", "", raw)
    first = raw.splitlines()[0] if raw else raw
    first = first.replace("ERROR: <input>:", "at ")
    for mangled in re.findall(r"__v_\w+", first):
        first = first.replace(mangled, "variables." + mangled[len("__v_"):])
    return f"{first} (in {text.strip()[:200]!r})" if first else text


@functools.lru_cache(maxsize=32)
def environment(names: tuple[str, ...], *, presence_chains: bool = False,
                libraries: tuple[str, ...] = ("kubernetes",)) -> Environment:
    """The shared environment for a dialect's set of names (built once per process)."""
    return Environment(names, presence_chains=presence_chains, libraries=libraries)


def compile_variables(env: Environment, raw: Iterable[Any], base: tuple[str | int, ...]) -> list[Variable]:
    """`variables: [{name, expression}]` -> checked Variables (each compiles on its own)."""
    out: list[Variable] = []
    for i, v in enumerate(raw):
        if not isinstance(v, Mapping) or not isinstance(v.get("name"), str) or not v.get("name"):
            raise CelCompileError("variable needs a name and an expression", (*base, i))
        if not _IDENT.fullmatch(v["name"]):
            raise CelCompileError(f"variable name {v['name']!r} is not a CEL identifier", (*base, i, "name"))
        env.compile(v.get("expression"), (*base, i, "expression"), out)
        out.append(Variable(v["name"], str(v["expression"])))
    return out


# Beyond this many variables, inlining them as nested bindings would pass the parser's nesting
# limit (32): the variables are evaluated in order into the activation instead.
INLINE_LIMIT = 8


class Scope:
    """The variables of one policy (or template) and the environment its expressions compile
    in, built once. Up to INLINE_LIMIT variables are inlined as lazy bindings; past that, each
    variable is evaluated once per activation, in order, and read as data (one that fails is
    left unset, so only an expression that reads it fails, as in Kubernetes)."""

    def __init__(self, names: Sequence[str], raw: Iterable[Any], base: tuple[str | int, ...], *,
                 presence_chains: bool = False, libraries: tuple[str, ...] = ("kubernetes",)) -> None:
        raw = list(raw)
        declared = _declared_variables(raw, base)
        preset = tuple(n for n in names if n.startswith("__v_"))
        self.materialized = len(declared) > INLINE_LIMIT
        if not self.materialized:
            self.env = environment(tuple(names), presence_chains=presence_chains, libraries=libraries)
            self.variables = compile_variables(self.env, raw, base)
            self.programs: list[tuple[str, Program]] = []
            return
        names = (*names, *(variable_name(n) for n in declared if variable_name(n) not in preset))
        self.env = environment(tuple(names), presence_chains=presence_chains, libraries=libraries)
        self.variables = []
        self.programs = []
        known = {p[len("__v_"):] for p in preset}
        # Variables are evaluated by levels: each level reads only earlier levels, so one
        # activation serves a whole level (a few rebuilds, not one per variable).
        level_of: dict[str, int] = dict.fromkeys(known, 0)
        self.levels: list[list[tuple[str, Program]]] = []
        for i, (name, v) in enumerate(zip(declared, raw)):
            text = v.get("expression")
            level = 0
            for ref in referenced_variables(text if isinstance(text, str) else ""):
                if ref not in known:
                    raise CelCompileError(f"variable {name!r} reads variables.{ref}, which is not defined before it",
                                          (*base, i, "expression"))
                level = max(level, level_of[ref] + (0 if ref in preset_names(preset) else 1))
            prog = self.env.compile(text, (*base, i, "expression"))
            self.programs.append((name, prog))
            while len(self.levels) <= level:
                self.levels.append([])
            self.levels[level].append((name, prog))
            level_of[name] = level
            known.add(name)
        self._known = known

    def compile(self, text: Any, path: tuple[str | int, ...] = ()) -> Program:
        if self.materialized:
            for ref in referenced_variables(text if isinstance(text, str) else ""):
                if ref not in self._known:
                    raise CelCompileError(f"variables.{ref} is not defined (before this expression)", path)
            return self.env.compile(text, path)
        return self.env.compile(text, path, self.variables)

    def activation(self, data: Mapping[str, Any], *, converted: bool = False, budget: Budget | None = None) -> Activation:
        act = self.env.activation(data, converted=converted)
        if not self.programs:
            return act
        values = dict(data) if converted else {k: plain(v)[0] for k, v in data.items()}
        for k in self.env.names:
            if not k.startswith("__v_"):
                values.setdefault(k, None)
        budget = budget or Budget()
        for level in self.levels:
            changed = False
            for name, prog in level:
                budget.spend(prog.cost(act), prog.text)
                value = prog._expr.eval(act._act)
                if value.type().name() == "ERROR":
                    continue  # an error (or an optional, which cannot be carried as data): left unset
                values[variable_name(name)] = value.plain_value()
                changed = True
            if changed:
                act._act = self.env.native.Activation(values)
        return act


def preset_names(preset: Sequence[str]) -> set[str]:
    return {p[len("__v_"):] for p in preset}


def _declared_variables(raw: list[Any], base: tuple[str | int, ...]) -> list[str]:
    out = []
    for i, v in enumerate(raw):
        if not isinstance(v, Mapping) or not isinstance(v.get("name"), str) or not v.get("name"):
            raise CelCompileError("variable needs a name and an expression", (*base, i))
        if not _IDENT.fullmatch(v["name"]):
            raise CelCompileError(f"variable name {v['name']!r} is not a CEL identifier", (*base, i, "name"))
        out.append(str(v["name"]))
    return out
