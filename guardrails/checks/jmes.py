"""JMESPath for native rules: expressions and `{{ expr }}` templates, compiled once.

Native rules evaluate every expression against the object itself (`spec.replicas`,
`metadata.labels.team`), not against Kyverno's `request.object` envelope: a rule reads like
the manifest it judges. A string that is one whole `{{ expr }}` stands for the expression's
value with its type; placeholders inside longer text are rendered, strings bare and other
values as JSON. Lists and mappings are templated item by item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.parser

from guardrails.checks.base import ParamError
from guardrails.model import FieldPath

__all__ = ["Template", "compile_expression", "compile_template", "field_path", "truthy", "whole_expression"]

Template = Callable[[Any], Any]
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def compile_expression(text: Any, path: FieldPath) -> jmespath.parser.ParsedResult:
    """Compile or raise ParamError at `path` naming the column of the syntax error."""
    if not isinstance(text, str) or not text.strip():
        raise ParamError("expected a JMESPath expression", path)
    try:
        return jmespath.compile(text.strip())
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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def compile_template(value: Any, path: FieldPath, render: Callable[[Any], str] = _text) -> Template:
    """A params value with `{{ expr }}` placeholders -> function of the data it is evaluated on.

    `render` turns placeholder values into text inside longer strings (messages quote them).
    """
    if isinstance(value, Mapping):
        items = {k: compile_template(v, (*path, k), render) for k, v in value.items()}
        return lambda data: {k: t(data) for k, t in items.items()}
    if isinstance(value, list):
        parts = [compile_template(v, (*path, i), render) for i, v in enumerate(value)]
        return lambda data: [t(data) for t in parts]
    if not isinstance(value, str) or "{{" not in value:
        return lambda _: value
    whole = whole_expression(value)
    if whole is not None:
        search: Template = compile_expression(whole, path).search
        return search
    pieces: list[str | jmespath.parser.ParsedResult] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(value):
        pieces.append(value[pos : m.start()])
        pieces.append(compile_expression(m[1], path))
        pos = m.end()
    pieces.append(value[pos:])

    def interpolate(data: Any) -> str:
        return "".join(p if isinstance(p, str) else render(p.search(data)) for p in pieces)

    return interpolate


def whole_expression(text: str) -> str | None:
    """The expression of a string that is exactly one `{{ expr }}`, else None."""
    m = _PLACEHOLDER.fullmatch(text.strip())
    return m[1] if m is not None and "{{" not in m[1] else None


def truthy(value: Any) -> bool:
    """JMESPath truth: null, false and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, Mapping)):
        return len(value) > 0
    return True


def field_path(parsed: jmespath.parser.ParsedResult) -> FieldPath | None:
    """The object path an expression reads, when it reads one plainly: `spec.replicas`,
    `spec.containers[0].image`, or the left side of a comparison or a default (`a.b || 'x'`)."""
    node = parsed.parsed
    while node.get("type") in ("comparator", "or_expression"):  # `a.b > x`, `a.b || 'default'`
        node = node["children"][0]
    return _chain(node)


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
