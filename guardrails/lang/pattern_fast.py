"""A compiled pattern tree turned into nested closures, once per pattern: the fast path of
`pattern.match`.

The reference is `pattern._Walk` without `collect`, which re-reads the tree at every node (its
type, each entry's anchor kind, the order of phases). Here those choices are made once, when
the closures are built, and what is left per object is the lookups and comparisons. Every
result, error kind and message, and every `seen` mark (which anchored keys the object had, for
the ERROR-or-FAIL decision) is the walk's own, in the same order: tests hold both equal on the
conformance suites, the library's tests and the bench corpus (tests/lang/test_pattern_fast.py).
The collecting walk (`match_all`, every failing field of a failed match) stays the reference's:
it runs only on failures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from guardrails.lang import golang
from guardrails.lang.pattern import (
    _ANCHOR_MSG,
    COND,
    EQ,
    EXIST,
    GLOBAL,
    NEG,
    ListNode,
    MapNode,
    Node,
    Result,
    Scalar,
    _Entry,
    _Err,
    path_text,
)
from guardrails.lang.pattern import _anchor_err as _anchor_text
from guardrails.lang.pattern import _skips as _skips_by_text
from guardrails.model import FieldPath

__all__ = ["Fn", "compile_node"]

# value, its path, the anchored keys seen so far -> (failing path, error) or (None, None)
Fn = Callable[[Any, FieldPath, dict[str, bool]], Result]
_OK: Result = (None, None)
_MISSING_CONDITION = _anchor_text(COND, "conditional anchor key doesn't exist in the resource")


def compile_node(node: Node) -> Fn:
    """The closure that matches `node` exactly as `_Walk().element(value, node, path)` does."""
    if isinstance(node, MapNode):
        return _map_element(node)
    if isinstance(node, ListNode):
        return _list_element(node)
    assert isinstance(node, Scalar)
    return _scalar_element(node)


def _not_a_map(value: Any, path: FieldPath) -> Result:
    return path, _Err("plain", make=lambda: (
        f"pattern and resource have different structures. Path: {path_text(path)}. "
        f"Expected map[string]interface {{}}, found {golang.type_name(value)}"))


def _skips(err: _Err) -> bool:
    """`pattern._skips`, without writing out a combined skip's text: its parts were skips, so
    the text holds an anchor's mismatch words and it is one too."""
    return err.kind == "pattern" or _skips_by_text(err)


def _combined(errs: list[_Err]) -> _Err:
    """`pattern._combined`, its text written when read (the list is never touched again)."""
    return _Err("pattern", make=lambda: "; ".join(e.msg for e in errs))


def _anchor_err(kind: str, err: _Err) -> _Err:
    """`pattern._anchor_err` of an inner error, its text written when read."""
    return _Err(kind, make=lambda: f"{_ANCHOR_MSG[kind]}: {err.msg}")


def _map_element(node: MapNode) -> Fn:
    tracked = tuple(node.tracked)
    body = _map_body(node)
    if node.metadata_key is not None:
        # Wildcard labels take their names from the object: the node to match is chosen per
        # object (itself when nothing expands; else a node without wildcards, cached).
        def expanded(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
            if not isinstance(value, Mapping):
                return _not_a_map(value, path)
            for raw_key, key in tracked:
                if not seen.get(raw_key):
                    seen[raw_key] = key in value
            chosen = node.expanded(value)
            if chosen is node:
                return body(value, path, seen)
            fn = chosen.fast
            if fn is None:
                fn = chosen.fast = _map_body(chosen)
            result: Result = fn(value, path, seen)
            return result

        return expanded
    if tracked:
        def element(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
            if not isinstance(value, Mapping):
                return _not_a_map(value, path)
            for raw_key, key in tracked:
                if not seen.get(raw_key):
                    seen[raw_key] = key in value
            return body(value, path, seen)

        return element

    def plain_element(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
        if not isinstance(value, Mapping):
            return _not_a_map(value, path)
        return body(value, path, seen)

    return plain_element


def _map_body(node: MapNode) -> Fn:
    """`_Walk.map` without collecting: anchors first (skips gathered), then the other keys."""
    anchors = tuple(_entry(e) for e in node.anchors)
    plain = tuple(_entry(e) for e in node.plain)

    def body(obj: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
        skips: list[_Err] | None = None
        applied = 0
        for handle in anchors:
            p, err = handle(obj, path, seen)
            if err is not None:
                if _skips(err):
                    if skips is None:
                        skips = [err]
                    else:
                        skips.append(err)
                    continue
                if skips is None or not any(s.kind != "pattern" for s in skips):
                    return p, err
                continue
            applied += 1
        if skips is not None and (applied == 0 or any(s.kind != "pattern" for s in skips)):
            return path, _combined(skips)
        for handle in plain:
            p, err = handle(obj, path, seen)
            if err is not None:
                return p, err
        return _OK

    return body


Handler = Callable[[Mapping[str, Any], FieldPath, dict[str, bool]], Result]


def _entry(e: _Entry) -> Handler:
    """`_Walk.handle` for one entry, its anchor kind decided now."""
    key, kind = e.key, e.kind
    if kind == EXIST:
        return _existence(e)
    if kind == NEG:
        def negation(obj: Mapping[str, Any], path: FieldPath, seen: dict[str, bool]) -> Result:
            if key in obj:
                here = (*path, key)
                return here, _Err(NEG, make=lambda: f"{_ANCHOR_MSG[NEG]}: {path_text(here)} is not allowed")
            return _OK

        return negation
    inner = compile_node(e.node)
    if kind in (COND, GLOBAL):
        def conditional(obj: Mapping[str, Any], path: FieldPath, seen: dict[str, bool]) -> Result:
            if key not in obj:
                if kind == GLOBAL:
                    return _OK
                return (*path, key), _MISSING_CONDITION
            p, err = inner(obj[key], (*path, key), seen)
            return (p, _anchor_err(kind, err)) if err is not None else _OK

        return conditional
    if kind == EQ:
        def equality(obj: Mapping[str, Any], path: FieldPath, seen: dict[str, bool]) -> Result:
            return inner(obj[key], (*path, key), seen) if key in obj else _OK

        return equality
    if isinstance(e.node, Scalar) and e.node.star:
        def present(obj: Mapping[str, Any], path: FieldPath, seen: dict[str, bool]) -> Result:
            if obj.get(key) is not None:
                return _OK
            return path, _Err("plain", make=lambda: f"{path_text(path)}/{key} not found")

        return present

    def plain(obj: Mapping[str, Any], path: FieldPath, seen: dict[str, bool]) -> Result:
        return inner(obj.get(key), (*path, key), seen)

    return plain


def _existence(e: _Entry) -> Handler:
    """`_Walk.existence`: a list some item of which matches each of the anchor's maps."""
    key, node = e.key, e.node
    items = tuple((item, compile_node(item)) for item in node.items) if isinstance(node, ListNode) else ()

    def existence(obj: Mapping[str, Any], path: FieldPath, seen: dict[str, bool]) -> Result:
        if key not in obj:
            return _OK
        here = (*path, key)
        value = obj[key]
        if not isinstance(value, list):
            return here, _Err("plain", (
                f"invalid resource type {golang.type_name(value)}: "
                "Existence ^ () anchor can be used only on list/array type resource"))
        if not isinstance(node, ListNode):
            return here, _Err("plain", (
                f"invalid pattern type {golang.type_name(node.raw)}: "
                "Pattern has to be of list to compare against resource"))
        for item, fn in items:
            if not isinstance(item, MapNode):
                return here, _Err("plain", (
                    f"invalid pattern type {golang.type_name(node.raw)}: "
                    "Pattern has to be of type map to compare against items in resource"))
            if not any(fn(v, (*here, i), seen)[1] is None for i, v in enumerate(value)):
                return here, _Err("plain", f"existence anchor validation failed at path {path_text(here)}")
        return _OK

    return existence


def _list_element(node: ListNode) -> Fn:
    """`_Walk.element` on a list pattern, then `_Walk.array`."""
    items = tuple(compile_node(n) for n in node.items)

    def not_a_list(path: FieldPath) -> Result:
        return path, _Err("plain", (
            f"validation rule failed at path {path_text(path)}, "
            "resource does not satisfy the expected overlay pattern"))

    if not items:
        def empty(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
            if not isinstance(value, list):
                return not_a_list(path)
            return path, _Err("plain", "pattern Array empty")

        return empty
    first, head = node.items[0], items[0]
    if isinstance(first, MapNode):
        def each_item(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
            if not isinstance(value, list):
                return not_a_list(path)
            return _each(((head, v, i) for i, v in enumerate(value)), path, seen)

        return each_item
    if isinstance(first, Scalar):
        def scalars(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
            if not isinstance(value, list):
                return not_a_list(path)
            return head(value, path, seen)

        return scalars
    size = len(items)

    def positional(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
        if not isinstance(value, list):
            return not_a_list(path)
        if len(value) < size:
            return None, _Err("plain", (
                "validate Array failed, array length mismatch, resource Array len is "
                f"{len(value)} and pattern Array len is {size}"))
        return _each(((fn, value[i], i) for i, fn in enumerate(items)), path, seen)

    return positional


def _each(items: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
    """`_Walk.each` without collecting: the first failure that is not a skip, else a combined
    skip when no item applied."""
    skips: list[_Err] | None = None
    applied = 0
    for fn, v, i in items:
        p, err = fn(v, (*path, i), seen)
        if err is not None:
            if _skips(err):
                if skips is None:
                    skips = [err]
                else:
                    skips.append(err)
                continue
            return p, err
        applied += 1
    if applied == 0 and skips is not None:
        return path, _combined(skips)
    return _OK


def _scalar_element(node: Scalar) -> Fn:
    pred, raw = node.pred, node.raw

    def scalar(value: Any, path: FieldPath, seen: dict[str, bool]) -> Result:
        if isinstance(value, list):
            if all(pred(v) for v in value):
                return _OK
        elif pred(value):
            return _OK
        return path, _Err("plain", make=lambda: (
            f"resource value '{golang.format_v(value)}' does not match "
            f"'{golang.format_v(raw)}' at path {path_text(path)}"))

    return scalar
