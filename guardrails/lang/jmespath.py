"""JMESPath, one interpreter for every dialect: expressions and `{{ expr }}` templates,
compiled once, evaluated with Kyverno's function table, in one of two missing-key modes.

- `NULL` (native rules, the JMESPath specification): a key a map does not have is null.
- `ERROR` (Kyverno): Kyverno runs a fork of go-jmespath in which such a key is an error
  ("Unknown key"). The error travels up through sub-expressions and is absorbed where the fork
  absorbs it: comparisons, function arguments, `||`, `&&`'s left side, `!`, pipes, projections
  and multi-selects. So `request.object.metadata.labels.app` fails when the label is missing,
  and `request.object.metadata.labels.app || ''` does not.

Native rules:

Native rules evaluate every expression against the object itself (`spec.replicas`,
`metadata.labels.team`): a rule reads like the manifest it judges. So that conditions copied
from Kyverno keep working, a rule whose expressions mention `request` also sees Kyverno's
envelope at the top level: `request.object`, `request.oldObject`, `request.operation` (and the
rest of the AdmissionReview request at admission). A string that is one whole `{{ expr }}` stands for the expression's
value with its type; placeholders inside longer text are rendered, strings bare and other
values as JSON. Lists and mappings are templated item by item.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.parser
import jmespath.visitor

from guardrails import reference
from guardrails.errors import ParamError
from guardrails.lang import jmespath_compiled, jmespath_functions
from guardrails.lang.quote import quote
from guardrails.model import FieldPath, Resource

__all__ = [
    "ANY",
    "ERROR",
    "NULL",
    "NotFound",
    "QueryError",
    "Template",
    "compile",
    "compile_expression",
    "compile_message",
    "compile_template",
    "data",
    "field_path",
    "reads",
    "reads_request",
    "search",
    "template_reads",
    "truthy",
    "whole_expression",
]

Template = Callable[[Any], Any]
# The one `{{ expr }}` grammar, Kyverno's: the expression may hold one level of braces (a
# multi-select hash), and `\{{` is a literal `{{`. Native templates below and Kyverno's
# variables (lang.templates) both read placeholders with it.
PLACEHOLDER = r"\{\{(?:\{[^{}]*\}|[^{}])*\}\}"
_PLACEHOLDER = re.compile(r"(?<!\\)" + PLACEHOLDER)


def _inner(m: re.Match[str]) -> str:
    return m[0][2:-2]


def compile_expression(text: Any, path: FieldPath) -> jmespath.parser.ParsedResult:
    """Compile or raise ParamError at `path` naming the column of the syntax error."""
    if not isinstance(text, str) or not text.strip():
        raise ParamError("expected a JMESPath expression", path)
    try:
        parsed = jmespath.compile(text.strip())
    except jmespath.exceptions.JMESPathError as e:
        pos = getattr(e, "lex_position", None)
        if pos is None:
            pos = getattr(e, "lexer_position", None)
        at = f" at column {pos + 1}" if isinstance(pos, int) else ""
        if isinstance(e, jmespath.exceptions.LexerError):
            reason = e.message
        elif isinstance(e, jmespath.exceptions.IncompleteExpressionError):
            reason = "the expression is incomplete"
        else:
            reason = getattr(e, "msg", None) or str(e)
        raise ParamError(f"invalid JMESPath expression {text.strip()!r}{at}: {reason}", path) from None
    if reference.active():
        return parsed
    return Compiled(parsed.expression, parsed.parsed)


class Compiled(jmespath.parser.ParsedResult):  # type: ignore[misc]
    """A parsed expression with its closures for the NULL mode (lang.jmespath_compiled), built
    once; `search` runs them instead of the interpreter."""

    def __init__(self, expression: str, parsed: Any) -> None:
        super().__init__(expression, parsed)
        self.fast = jmespath_compiled.compile_node(parsed, _INTERPRETERS[NULL])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


# Missing-key modes.
NULL = "null"
ERROR = "error"


class NotFound(Exception):
    """A key a map does not have: Kyverno's `Unknown key "x" in path`."""

    def __init__(self, key: str) -> None:
        super().__init__(f'Unknown key "{key}" in path')
        self.key = key


class QueryError(Exception):
    """The expression is malformed, or a function rejected its arguments."""


class _Interpreter(jmespath.visitor.TreeInterpreter):  # type: ignore[misc]
    def _quiet(self, node: Any, value: Any) -> Any:
        try:
            return self.visit(node, value)
        except NotFound:
            return None

    def visit_field(self, node: Any, value: Any) -> Any:
        if isinstance(value, Mapping):
            key = node["value"]
            if key not in value:
                raise NotFound(key)
            return value[key]
        return None

    def visit_comparator(self, node: Any, value: Any) -> Any:
        left = self._quiet(node["children"][0], value)
        right = self._quiet(node["children"][1], value)
        op = node["value"]
        if op in self._EQUALITY_OPS:
            return self.COMPARATOR_FUNC[op](left, right)
        num = (int, float)
        if isinstance(left, bool) or isinstance(right, bool) or not isinstance(left, num) or not isinstance(right, num):
            return None
        return self.COMPARATOR_FUNC[op](left, right)

    def visit_function_expression(self, node: Any, value: Any) -> Any:
        args = [self._quiet(child, value) for child in node["children"]]
        return self._functions.call_function(node["value"], args)

    def visit_filter_projection(self, node: Any, value: Any) -> Any:
        try:
            base = self.visit(node["children"][0], value)
        except NotFound:
            return None
        if not isinstance(base, list):
            return None
        out = []
        for element in base:
            if self._is_true(self._quiet(node["children"][2], element)):
                current = self._quiet(node["children"][1], element)
                if current is not None:
                    out.append(current)
        return out

    def visit_flatten(self, node: Any, value: Any) -> Any:
        try:
            return super().visit_flatten(node, value)
        except NotFound:
            return None

    def visit_multi_select_dict(self, node: Any, value: Any) -> Any:
        if value is None:
            return None
        return {child["value"]: self._quiet(child, value) for child in node["children"]}

    def visit_multi_select_list(self, node: Any, value: Any) -> Any:
        if value is None:
            return None
        return [self._quiet(child, value) for child in node["children"]]

    def visit_or_expression(self, node: Any, value: Any) -> Any:
        matched = self._quiet(node["children"][0], value)
        if self._is_false(matched):
            matched = self._quiet(node["children"][1], value)
        return matched

    def visit_and_expression(self, node: Any, value: Any) -> Any:
        matched = self._quiet(node["children"][0], value)
        if self._is_false(matched):
            return matched
        return self.visit(node["children"][1], value)

    def visit_not_expression(self, node: Any, value: Any) -> Any:
        return self._is_false(self._quiet(node["children"][0], value))

    def visit_pipe(self, node: Any, value: Any) -> Any:
        result = value
        for child in node["children"]:
            result = self._quiet(child, result)
        return result

    def visit_projection(self, node: Any, value: Any) -> Any:
        base = self._quiet(node["children"][0], value)
        if not isinstance(base, list):
            return None
        out = []
        for element in base:
            current = self._quiet(node["children"][1], element)
            if current is not None:
                out.append(current)
        return out

    def visit_value_projection(self, node: Any, value: Any) -> Any:
        try:
            base = self.visit(node["children"][0], value)
        except NotFound:
            return None
        if not isinstance(base, Mapping):
            return None
        out = []
        for element in base.values():
            current = self._quiet(node["children"][1], element)
            if current is not None:
                out.append(current)
        return out


_OPTIONS = jmespath.visitor.Options(custom_functions=jmespath_functions.KyvernoFunctions())
_INTERPRETERS: dict[str, jmespath.visitor.TreeInterpreter] = {
    NULL: jmespath.visitor.TreeInterpreter(_OPTIONS),
    ERROR: _Interpreter(_OPTIONS),
}


@functools.lru_cache(maxsize=4096)  # bounded: policies repeat their few expressions
def compile(expression: str) -> Any:
    """The parsed AST of an expression; QueryError when it does not parse."""
    try:
        return jmespath.parser.Parser().parse(expression).parsed
    except jmespath.exceptions.JMESPathError as e:
        raise QueryError(f"incorrect query {expression}: {e}") from None


def search(expression: str | jmespath.parser.ParsedResult, data: Any, *, missing: str = NULL) -> Any:
    """Evaluate an expression (text, or compiled by `compile_expression`) on `data`.

    NULL: an ordering comparison of mismatched types (`"" > `1``) is null, as the JMESPath
    specification says. ERROR: Kyverno's query; raises NotFound or QueryError.
    """
    if missing == NULL and isinstance(expression, Compiled):
        try:
            return expression.fast(data)
        except TypeError:
            return None
    ast = compile(expression.strip()) if isinstance(expression, str) else expression.parsed
    if missing == NULL:
        try:
            return _INTERPRETERS[NULL].visit(ast, data)
        except TypeError:
            return None
    try:
        return _INTERPRETERS[ERROR].visit(ast, data)
    except NotFound:
        raise
    except (jmespath.exceptions.JMESPathError, jmespath_functions.FunctionError) as e:
        raise QueryError(f"JMESPath query failed: {e}") from None


def compile_message(text: str, path: FieldPath) -> Callable[[Any], str]:
    """A message template: always text, every placeholder's value quoted (`"web"`, `1`, `null`)."""
    template = compile_template(text, path, quote, typed=False)
    return lambda data: str(template(data))


def compile_template(value: Any, path: FieldPath, render: Callable[[Any], str] = _text, *, typed: bool = True) -> Template:
    """A params value with `{{ expr }}` placeholders -> function of the data it is evaluated on.

    `render` turns placeholder values into text inside longer strings; with `typed`, a string
    that is one whole placeholder gives the value itself instead.
    """
    if isinstance(value, Mapping):
        items = {k: compile_template(v, (*path, k), render, typed=typed) for k, v in value.items()}
        return lambda data: {k: t(data) for k, t in items.items()}
    if isinstance(value, list):
        parts = [compile_template(v, (*path, i), render, typed=typed) for i, v in enumerate(value)]
        return lambda data: [t(data) for t in parts]
    if not isinstance(value, str) or "{{" not in value:
        return lambda _: value
    if not _PLACEHOLDER.search(value):
        literal = value.replace("\\{{", "{{")
        return lambda _: literal
    whole = whole_expression(value) if typed else None
    if whole is not None:
        parsed = compile_expression(whole, path)
        return lambda data: search(parsed, data)
    pieces: list[str | jmespath.parser.ParsedResult] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(value):
        pieces.append(value[pos : m.start()])
        pieces.append(compile_expression(_inner(m), path))
        pos = m.end()
    pieces.append(value[pos:])
    pieces = [p.replace("\\{{", "{{") if isinstance(p, str) else p for p in pieces]

    def interpolate(data: Any) -> str:
        return "".join(p if isinstance(p, str) else render(search(p, data)) for p in pieces)

    return interpolate


def whole_expression(text: str) -> str | None:
    """The expression of a string that is exactly one `{{ expr }}`, else None."""
    m = _PLACEHOLDER.fullmatch(text.strip())
    return _inner(m) if m is not None and "{{" not in _inner(m) else None


def truthy(value: Any) -> bool:
    """JMESPath truth: null, false and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, Mapping)):
        return len(value) > 0
    return True


def _mentions_request(node: Mapping[str, Any]) -> bool:
    if node.get("type") == "field" and node.get("value") == "request":
        return True
    return any(_mentions_request(c) for c in node.get("children", ()) if isinstance(c, Mapping))


def reads_request(value: Any) -> bool:
    """Whether an expression (compiled) or a params value with templates mentions `request`."""
    if isinstance(value, jmespath.parser.ParsedResult):
        return _mentions_request(value.parsed)
    if isinstance(value, Mapping):
        return any(reads_request(v) for v in value.values())
    if isinstance(value, list):
        return any(reads_request(v) for v in value)
    if isinstance(value, str):
        return any(_mentions_request(jmespath.compile(_inner(m).strip()).parsed) for m in _PLACEHOLDER.finditer(value))
    return False


def data(resource: Resource, *, envelope: bool) -> Any:
    """What expressions are evaluated on: the object, plus Kyverno's `request` when asked."""
    if not envelope:
        return resource.obj
    request = {**(resource.request or {}), "object": resource.obj, "oldObject": resource.old_obj,
               "operation": resource.operation}
    return {**resource.obj, "request": request}


def field_path(parsed: jmespath.parser.ParsedResult) -> FieldPath | None:
    """The object path an expression reads, when it reads one plainly: `spec.replicas`,
    `spec.containers[0].image`, or the left side of a comparison or a default (`a.b || 'x'`)."""
    node = parsed.parsed
    while node.get("type") in ("comparator", "or_expression"):  # `a.b > x`, `a.b || 'default'`
        node = node["children"][0]
    path = _chain(node)
    if path and path[0] == "request":
        return path[2:] if path[:2] == ("request", "object") else None
    return path


def _chain(node: Mapping[str, Any]) -> FieldPath | None:
    kind = node.get("type")
    if kind == "field":
        return (node["value"],)
    if kind == "subexpression":
        out: list[str | int] = []
        for child in node["children"]:
            part = _chain(child)
            if part is None:
                return None
            out.extend(part)
        return tuple(out)
    if kind == "index_expression":
        left, right = node["children"]
        base = _chain(left) if left.get("type") != "identity" else ()
        if base is None or right.get("type") != "index":
            return None
        return (*base, right["value"])
    return None


# A path step that stands for every item (or value) of a projection or slice.
ANY = "*"


def reads(parsed: jmespath.parser.ParsedResult) -> frozenset[FieldPath]:
    """Every object path an expression reads, `*` for any item of a projection. Conservative:
    a function or pipe over a value reads the whole of it. The engine uses these to tell a
    verdict that rests on a value known only after apply (Terraform) from a definite one."""
    out: set[FieldPath] = set()
    last = _reads(parsed.parsed, (), out)
    if last is not None:
        out.add(last)
    # Kyverno's envelope: `request.object.x` reads the object's x; the rest is not the object.
    return frozenset(p[2:] if p[:2] == ("request", "object") else p for p in out
                     if not p or p[0] != "request" or p[:2] == ("request", "object"))


def template_reads(value: Any) -> frozenset[FieldPath]:
    """What every `{{ expr }}` placeholder in a params value reads (see `reads`)."""
    if isinstance(value, Mapping):
        return frozenset().union(*(template_reads(v) for v in value.values()))
    if isinstance(value, list):
        return frozenset().union(*(template_reads(v) for v in value))
    if not isinstance(value, str) or "{{" not in value:
        return frozenset()
    out: frozenset[FieldPath] = frozenset()
    for m in _PLACEHOLDER.finditer(value):
        try:
            out |= reads(jmespath.compile(_inner(m).strip()))
        except jmespath.exceptions.JMESPathError:
            continue  # compile_template reports it with its position
    return out


def _reads(node: Mapping[str, Any], base: FieldPath | None, out: set[FieldPath]) -> FieldPath | None:
    """The path of the value `node` yields from `base` (None once it is computed), recording
    in `out` every path read along the way."""
    kind = node.get("type")
    children = node.get("children") or []
    if kind == "field":
        return None if base is None else (*base, node["value"])
    if kind in ("identity", "current"):
        return base
    if kind == "subexpression":
        cur = base
        for child in children:
            cur = _reads(child, cur, out)
        return cur
    if kind == "index_expression":
        left = _reads(children[0], base, out)
        right = children[1]
        if left is None:
            return None
        if right.get("type") == "index" and isinstance(right.get("value"), int) and right["value"] >= 0:
            return (*left, right["value"])
        return (*left, ANY)
    if kind in ("projection", "value_projection", "filter_projection"):
        left = _reads(children[0], base, out)
        item = None if left is None else (*left, ANY)
        for child in children[1:]:  # the projected expression, and the filter's condition
            got = _reads(child, item, out)
            # `[?cond]` and `[*]` yield the items themselves: what of them is read, the
            # condition or the consumer (a function, a comparison) says.
            if got is not None and got != item:
                out.add(got)
        return None
    if kind == "flatten":
        inner = _reads(children[0], base, out)
        if inner is not None:
            out.add(inner)
        return None if inner is None else (*inner, ANY)
    if kind == "pipe":
        left = _reads(children[0], base, out)
        if left is not None:
            out.add(left)
        _reads(children[1], None, out)
        return None
    if kind == "expref":
        _reads(children[0], None, out)
        return None
    for child in children:  # comparisons, and/or/not, functions, multi-selects, key-value pairs
        got = _reads(child, base, out)
        if got is not None:
            out.add(got)
    return None
