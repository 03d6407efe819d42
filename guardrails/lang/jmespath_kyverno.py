"""JMESPath queries as Kyverno evaluates them, with Kyverno's own functions.

Kyverno runs a fork of go-jmespath in which looking up a key that a map does not have is an
error ("Unknown key"), not null. The error travels up through sub-expressions and is
absorbed where the fork absorbs it: comparisons, function arguments, `||`, `&&`'s left side,
`!`, pipes, projections and multi-selects. So `request.object.metadata.labels.app` fails
when the label is missing, and `request.object.metadata.labels.app || ''` does not.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jmespath.exceptions
import jmespath.parser
import jmespath.visitor

from guardrails.lang import jmespath_functions

__all__ = ["NotFound", "QueryError", "compile", "search"]


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
_INTERPRETER = _Interpreter(_OPTIONS)


@functools.lru_cache(maxsize=4096)
def compile(expression: str) -> Any:
    """The parsed AST of an expression; QueryError when it does not parse."""
    try:
        return jmespath.parser.Parser().parse(expression).parsed
    except jmespath.exceptions.JMESPathError as e:
        raise QueryError(f"incorrect query {expression}: {e}") from None


def search(expression: str, data: Any) -> Any:
    """Evaluate like Kyverno's context query. Raises NotFound or QueryError."""
    ast = compile(expression.strip())
    try:
        return _INTERPRETER.visit(ast, data)
    except NotFound:
        raise
    except (jmespath.exceptions.JMESPathError, jmespath_functions.FunctionError) as e:
        raise QueryError(f"JMESPath query failed: {e}") from None
