"""A parsed JMESPath expression turned into nested closures, once: the fast path of native
rules' expressions (`lang.jmespath`'s NULL mode).

The reference is the jmespath package's TreeInterpreter, which looks up a visitor method by the
node's type at every node of every evaluation. Each closure here does what that node's visitor
does, with the children already resolved; a node type without a closure (expression
references, which functions such as `sort_by` hand back to the interpreter) is evaluated by the
interpreter itself, so nothing is ever evaluated differently. Tests hold both equal on every
expression of the library and the conformance suites (tests/test_reference.py,
tests/lang/test_jmespath_compiled.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jmespath import visitor

__all__ = ["Fn", "compile_node"]

Fn = Callable[[Any], Any]
Builder = Callable[[Any, Any], Fn]


def compile_node(node: Any, interpreter: Any) -> Fn:
    """The closure evaluating `node` as `interpreter.visit(node, value)` does."""
    build = _BUILDERS.get(node["type"])
    if build is None:
        return lambda value: interpreter.visit(node, value)
    return build(node, interpreter)


def _children(node: Any, interpreter: Any) -> list[Fn]:
    return [compile_node(c, interpreter) for c in node["children"]]


def _field(node: Any, interpreter: Any) -> Fn:
    key = node["value"]

    def field(value: Any) -> Any:
        try:
            return value.get(key)
        except AttributeError:
            return None

    return field


def _chain(node: Any, interpreter: Any) -> Fn:
    """subexpression, index_expression and pipe: each child on the result of the one before."""
    steps = _children(node, interpreter)
    if len(steps) == 2:
        first, second = steps

        def pair(value: Any) -> Any:
            return second(first(value))

        return pair

    def chain(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return chain


def _comparator(node: Any, interpreter: Any) -> Fn:
    left, right = _children(node, interpreter)
    op = node["value"]
    if op == "eq":
        return lambda value: visitor._equals(left(value), right(value))
    if op == "ne":
        return lambda value: not visitor._equals(left(value), right(value))
    func = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}[op]

    def ordered(value: Any) -> Any:
        a, b = left(value), right(value)
        if not (visitor._is_comparable(a) and visitor._is_comparable(b)):
            return None
        return func(a, b)

    return ordered


def _identity(node: Any, interpreter: Any) -> Fn:
    return lambda value: value


def _literal(node: Any, interpreter: Any) -> Fn:
    literal = node["value"]
    return lambda value: literal


def _function(node: Any, interpreter: Any) -> Fn:
    name, args = node["value"], _children(node, interpreter)
    call = interpreter._functions.call_function
    return lambda value: call(name, [a(value) for a in args])


def _is_false(value: Any) -> bool:
    # TreeInterpreter._is_false, equality checks and all.
    return value == "" or value == [] or value == {} or value is None or value is False


def _filter_projection(node: Any, interpreter: Any) -> Fn:
    base, project, condition = _children(node, interpreter)

    def filtered(value: Any) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        out = []
        for element in items:
            if not _is_false(condition(element)):
                current = project(element)
                if current is not None:
                    out.append(current)
        return out

    return filtered


def _flatten(node: Any, interpreter: Any) -> Fn:
    (base,) = _children(node, interpreter)

    def flatten(value: Any) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        out: list[Any] = []
        for element in items:
            if isinstance(element, list):
                out.extend(element)
            else:
                out.append(element)
        return out

    return flatten


def _index(node: Any, interpreter: Any) -> Fn:
    at = node["value"]

    def index(value: Any) -> Any:
        if not isinstance(value, list):
            return None
        try:
            return value[at]
        except IndexError:
            return None

    return index


def _slice(node: Any, interpreter: Any) -> Fn:
    bounds = node["children"]

    def sliced(value: Any) -> Any:
        if not isinstance(value, list):
            return None
        return value[slice(*bounds)]

    return sliced


def _key_val_pair(node: Any, interpreter: Any) -> Fn:
    return compile_node(node["children"][0], interpreter)


def _multi_select_dict(node: Any, interpreter: Any) -> Fn:
    pairs = [(c["value"], compile_node(c, interpreter)) for c in node["children"]]
    make = interpreter._dict_cls

    def select(value: Any) -> Any:
        if value is None:
            return None
        out = make()
        for key, fn in pairs:
            out[key] = fn(value)
        return out

    return select


def _multi_select_list(node: Any, interpreter: Any) -> Fn:
    items = _children(node, interpreter)

    def select(value: Any) -> Any:
        if value is None:
            return None
        return [fn(value) for fn in items]

    return select


def _or(node: Any, interpreter: Any) -> Fn:
    left, right = _children(node, interpreter)

    def either(value: Any) -> Any:
        matched = left(value)
        if _is_false(matched):
            matched = right(value)
        return matched

    return either


def _and(node: Any, interpreter: Any) -> Fn:
    left, right = _children(node, interpreter)

    def both(value: Any) -> Any:
        matched = left(value)
        if _is_false(matched):
            return matched
        return right(value)

    return both


def _not(node: Any, interpreter: Any) -> Fn:
    (inner,) = _children(node, interpreter)

    def negated(value: Any) -> Any:
        original = inner(value)
        if visitor._is_actual_number(original) and original == 0:
            return False  # !0 is false: 0 is not special in JMESPath
        return not original

    return negated


def _projection(node: Any, interpreter: Any) -> Fn:
    base, project = _children(node, interpreter)

    def projected(value: Any) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        out = []
        for element in items:
            current = project(element)
            if current is not None:
                out.append(current)
        return out

    return projected


def _value_projection(node: Any, interpreter: Any) -> Fn:
    base, project = _children(node, interpreter)

    def projected(value: Any) -> Any:
        items = base(value)
        try:
            items = items.values()
        except AttributeError:
            return None
        out = []
        for element in items:
            current = project(element)
            if current is not None:
                out.append(current)
        return out

    return projected


_BUILDERS: dict[str, Builder] = {
    "and_expression": _and,
    "comparator": _comparator,
    "current": _identity,
    "field": _field,
    "filter_projection": _filter_projection,
    "flatten": _flatten,
    "function_expression": _function,
    "identity": _identity,
    "index": _index,
    "index_expression": _chain,
    "key_val_pair": _key_val_pair,
    "literal": _literal,
    "multi_select_dict": _multi_select_dict,
    "multi_select_list": _multi_select_list,
    "not_expression": _not,
    "or_expression": _or,
    "pipe": _chain,
    "projection": _projection,
    "slice": _slice,
    "subexpression": _chain,
    "value_projection": _value_projection,
}
