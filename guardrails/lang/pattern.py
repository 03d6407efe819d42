"""A Kyverno validation pattern compiled into a tree, and matched against an object.

`compile_pattern(pattern)` parses anchors, orders keys and compiles every scalar once;
`match(node, obj)` walks the object the way Kyverno's validate package does and returns an
`Outcome`: pass, fail with the path of the first mismatch, skip (a conditional or global
anchor did not hold) or error. Anchors: `(key)` conditional, `<(key)` global, `=(key)`
equality, `^(key)` existence, `X(key)` negation; `+(key)` means nothing to validation.

Which mismatch is found first, and whether a nested conditional anchor turns a failure into
a skip, depend on Kyverno's evaluation order (anchors first, sorted; then keys holding
nested anchors; then the rest), so that order is reproduced exactly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails import reference
from guardrails.kube import paths, selectors
from guardrails.lang import golang, pattern_value
from guardrails.lang.quote import quote
from guardrails.model import FieldPath, Status

__all__ = ["Miss", "Node", "Outcome", "compile_pattern", "expected_words", "match", "match_all", "path_text"]

_ANCHOR = re.compile(r"([+<=X^])?\((.+)\)\Z", re.DOTALL)
COND, GLOBAL, NEG, ADD, EQ, EXIST = "", "<", "X", "+", "=", "^"
_PHASE_ONE = (COND, EXIST, EQ, NEG)


def parse_anchor(key: str) -> tuple[str, str] | None:
    """(modifier, key) of an anchored map key, or None for a plain key."""
    m = _ANCHOR.match(key.strip())
    if m is None:
        return None
    return m.group(1) or "", m.group(2)


def path_text(path: FieldPath) -> str:
    """Kyverno's form of a path: `/spec/containers/0/image/`."""
    return "/" + "".join(f"{p}/" for p in path)


# --- errors, as Kyverno tells them apart (by type, or by the text they carry) ---------------


class _Err:
    """`kind`: "plain", "pattern" (a combined skip), or an anchor kind: COND, GLOBAL, NEG.
    `msg` is Kyverno's text; the fast path (lang.pattern_fast) gives a function that writes it,
    called only when the text is read (most skipped anchors' never is)."""

    __slots__ = ("_make", "_msg", "kind")

    def __init__(self, kind: str, msg: str | None = None, make: Callable[[], str] | None = None) -> None:
        self.kind = kind
        self._msg = msg
        self._make = make

    @property
    def msg(self) -> str:
        if self._msg is None:
            assert self._make is not None
            self._msg, self._make = self._make(), None
        return self._msg


_ANCHOR_MSG = {
    COND: "conditional anchor mismatch",
    GLOBAL: "global anchor mismatch",
    NEG: "negation anchor matched in resource",
}


def _is(err: _Err, kind: str) -> bool:
    if err.kind in _ANCHOR_MSG:
        return err.kind == kind
    return _ANCHOR_MSG[kind] in err.msg


def _skips(err: _Err) -> bool:
    return _is(err, COND) or _is(err, GLOBAL)


def _anchor_err(kind: str, msg: str) -> _Err:
    return _Err(kind, f"{_ANCHOR_MSG[kind]}: {msg}")


def _combined(errs: list[_Err]) -> _Err:
    return _Err("pattern", "; ".join(e.msg for e in errs))


Result = tuple[FieldPath | None, _Err | None]
_OK: Result = (None, None)


# --- the compiled tree ---------------------------------------------------------------------


class Node:
    """`fast`: the node's closure (lang.pattern_fast), built on its first match (for a node
    `MapNode.expanded` built, the closure of its body); `interpreted`: built under
    `reference.evaluators()`, so matched by the reference walk instead."""

    __slots__ = ("fast", "interpreted", "raw")
    raw: Any
    fast: Any
    interpreted: bool

    def _init(self, raw: Any) -> None:
        self.raw = raw
        self.fast = None
        self.interpreted = reference.active()


class Scalar(Node):
    __slots__ = ("pred", "star")

    def __init__(self, raw: Any) -> None:
        self._init(raw)
        self.pred = pattern_value.compile_scalar(raw)
        self.star = raw == "*" and isinstance(raw, str)


class ListNode(Node):
    __slots__ = ("items",)

    def __init__(self, raw: Sequence[Any]) -> None:
        self._init(raw)
        self.items = [compile_pattern(v) for v in raw]


@dataclasses.dataclass(slots=True)
class _Entry:
    raw: str
    kind: str | None  # anchor modifier, None for a plain key
    key: str  # the key looked up in the object
    node: Node


def _has_anchors(pattern: Any) -> bool:
    if isinstance(pattern, Mapping):
        for k, v in pattern.items():
            a = parse_anchor(str(k))
            if a is not None and a[0] != ADD:
                return True
            if _has_anchors(v):
                return True
        return False
    if isinstance(pattern, list):
        return any(_has_anchors(v) for v in pattern)
    return False


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


class MapNode(Node):
    __slots__ = ("_expanded", "anchors", "metadata_key", "plain", "tracked")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._init(raw)
        self.anchors: list[_Entry] = []
        front: list[_Entry] = []
        back: list[_Entry] = []
        self.tracked: list[tuple[str, str]] = []  # (raw key, key) of cond/existence/negation
        for k in sorted(raw, key=lambda s: str(s).encode()):
            raw_key = str(k)
            a = parse_anchor(raw_key)
            kind, key = (a[0], a[1]) if a else (None, raw_key)
            entry = _Entry(raw_key, kind, key if kind in (COND, GLOBAL, NEG, EQ, EXIST) else raw_key,
                           compile_pattern(raw[k]))
            if kind in (COND, EXIST, NEG):
                self.tracked.append((raw_key, key))
            if kind in _PHASE_ONE:
                self.anchors.append(entry)
            elif kind == GLOBAL or _has_anchors(raw[k]):
                front.insert(0, entry)
            else:
                back.append(entry)
        self.plain = front + back
        self.metadata_key = self._metadata_key(raw)
        self._expanded: dict[Any, MapNode] = {}

    @staticmethod
    def _metadata_key(raw: Mapping[str, Any]) -> str | None:
        """The key of a `metadata` pattern whose labels/annotations need wildcard expansion."""
        for k, v in raw.items():
            a = parse_anchor(str(k))
            if (k == "metadata" or (a is not None and a[1] == "metadata")) and isinstance(v, Mapping):
                for tk, tv in v.items():
                    ta = parse_anchor(str(tk))
                    if (ta[1] if ta else tk) in ("labels", "annotations") and isinstance(tv, Mapping) and any(
                        _has_wildcard(str(lk)) or not isinstance(lv, str) for lk, lv in tv.items()
                    ):
                        return str(k)
                return None
        return None

    def expanded(self, obj: Mapping[str, Any]) -> MapNode:
        """Kyverno's ExpandInMetadata: wildcard label/annotation keys take the name of the first
        matching key of the object; only string values are kept."""
        if self.metadata_key is None:
            return self
        meta = obj.get("metadata")
        pmeta = self.raw[self.metadata_key]
        if meta is None or not isinstance(meta, Mapping):
            return self
        new_meta = dict(pmeta)
        changed = False
        for tk, tv in pmeta.items():
            ta = parse_anchor(str(tk))
            tag = ta[1] if ta else tk
            if tag not in ("labels", "annotations") or not isinstance(tv, Mapping):
                continue
            have = meta.get(tag)
            if not isinstance(have, Mapping):
                continue
            names = [str(n) for n, v in have.items() if isinstance(v, str)]
            out: dict[str, Any] = {}
            for lk, lv in tv.items():
                if not isinstance(lv, str):
                    continue
                lk = str(lk)
                if _has_wildcard(lk):
                    la = parse_anchor(lk)
                    base = la[1] if la else lk
                    rx = selectors.glob_to_regex(base)
                    found = next((n for n in names if rx.match(n)), base)
                    lk = f"{la[0]}({found})" if la else found
                out[lk] = lv
            new_meta[tk] = out
            changed = True
        if not changed:
            return self
        cache_key = repr(new_meta)
        node = self._expanded.get(cache_key)
        if node is None:
            raw = dict(self.raw)
            raw[self.metadata_key] = new_meta
            node = MapNode(raw)
            node.metadata_key = None
            if len(self._expanded) < 256:
                self._expanded[cache_key] = node
        return node


def compile_pattern(pattern: Any) -> Node:
    if isinstance(pattern, Mapping):
        return MapNode(pattern)
    if isinstance(pattern, list):
        return ListNode(pattern)
    return Scalar(pattern)


# --- plain words for one mismatch (native findings; Kyverno keeps its own wording) ----------


@dataclasses.dataclass(frozen=True, slots=True)
class Miss:
    """One failing field and what is wrong with it, in plain words: `detail` follows the
    field's name ("is not set, expected true"), so a check may name the field its own way
    (`container "web" securityContext.privileged`)."""

    path: FieldPath
    detail: str

    @property
    def text(self) -> str:
        return f"{_field(self.path)} {self.detail}"


_OPS = ((">=", "at least"), ("<=", "at most"), (">", "more than"), ("<", "less than"), ("!", "anything but"))


def expected_words(raw: Any) -> str:
    """A pattern value as a reader says it: `RuntimeDefault | Localhost` -> "RuntimeDefault or
    Localhost", `!0` -> "anything but 0", `?*` -> "a non-empty value"."""
    if not isinstance(raw, str):
        return quote(raw)
    if raw == "*":
        return "any value"
    if raw == "?*":
        return "a non-empty value"
    if "|" in raw:
        return " or ".join(expected_words(p.strip()) for p in raw.split("|"))
    if "&" in raw:
        return " and ".join(expected_words(p.strip()) for p in raw.split("&"))
    for op, words in _OPS:
        if raw.startswith(op) and len(raw) > len(op):
            return f"{words} {raw[len(op):].strip()}"
    return raw


def _found(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return f"{quote(value)}"


def _field(path: FieldPath) -> str:
    return paths.display(path) or "the object"


# --- the walk ------------------------------------------------------------------------------


class _Walk:
    """One match of a pattern against an object, with Kyverno's anchor bookkeeping.

    With `collect`, the walk goes on past a failure to find every failing field (`misses`), and
    returns what the plain walk returns: the first failure. Anchor conditions and existence
    probes are evaluated quietly (their mismatches are conditions, not violations), and the
    misses of a map that turns out to be skipped are dropped.
    """

    __slots__ = ("misses", "quiet", "seen")

    def __init__(self, *, collect: bool = False) -> None:
        self.seen: dict[str, bool] = {}
        self.misses: list[Miss] | None = [] if collect else None
        self.quiet = 0

    def miss(self, path: FieldPath, text: str) -> None:
        if self.misses is not None and not self.quiet:
            self.misses.append(Miss(path, text))

    def keys_missing(self) -> bool:
        return _keys_missing(self.seen)

    def element(self, value: Any, node: Node, path: FieldPath) -> Result:
        if isinstance(node, MapNode):
            if not isinstance(value, Mapping):
                if value is None and self.misses is not None and not self.quiet:
                    # A missing map: name the fields the rule requires in it, not the map alone.
                    before = len(self.misses)
                    self.map({}, node.expanded({}), path)
                    if len(self.misses) == before:
                        self.miss(path, "is not set, expected a map")
                else:
                    self.miss(path, f"is {_found(value)}, expected a map")
                return path, _Err("plain", (
                    f"pattern and resource have different structures. Path: {path_text(path)}. "
                    f"Expected map[string]interface {{}}, found {golang.type_name(value)}"))
            for raw_key, key in node.tracked:
                if not self.seen.get(raw_key):
                    self.seen[raw_key] = key in value
            return self.map(value, node.expanded(value), path)
        if isinstance(node, ListNode):
            if not isinstance(value, list):
                self.miss(path, f"is {_found(value)}, expected a list")
                return path, _Err("plain", (
                    f"validation rule failed at path {path_text(path)}, "
                    "resource does not satisfy the expected overlay pattern"))
            return self.array(value, node, path)
        assert isinstance(node, Scalar)
        if isinstance(value, list):
            if all(node.pred(v) for v in value):
                return _OK
        elif node.pred(value):
            return _OK
        self.miss(path, f"is {_found(value)}, expected {expected_words(node.raw)}")
        return path, _Err("plain", (
            f"resource value '{golang.format_v(value)}' does not match "
            f"'{golang.format_v(node.raw)}' at path {path_text(path)}"))

    def map(self, obj: Mapping[str, Any], node: MapNode, path: FieldPath) -> Result:
        collect = self.misses is not None
        mark = len(self.misses) if self.misses is not None else 0
        first: Result | None = None
        skips: list[_Err] = []
        applied = 0
        for e in node.anchors:
            p, err = self.handle(e, obj, path)
            if err is not None:
                if first is not None:
                    continue  # past the failure the plain walk returns: only collecting
                if _skips(err):
                    skips.append(err)
                    continue
                if not any(s.kind != "pattern" for s in skips):
                    if not collect:
                        return p, err
                    first = (p, err)
                continue
            applied += 1
        if first is None and skips and (applied == 0 or any(s.kind != "pattern" for s in skips)):
            self._drop(mark)
            return path, _combined(skips)
        for e in node.plain:
            p, err = self.handle(e, obj, path)
            if err is not None:
                if not collect:
                    return p, err
                if first is None:
                    if _skips(err):
                        self._drop(mark)
                        return p, err
                    first = (p, err)
        return first or _OK

    def _drop(self, mark: int) -> None:
        if self.misses is not None:
            del self.misses[mark:]

    def handle(self, e: _Entry, obj: Mapping[str, Any], path: FieldPath) -> Result:
        here = (*path, e.key)
        kind = e.kind
        if kind in (COND, GLOBAL):
            if e.key not in obj:
                if kind == GLOBAL:
                    return _OK
                return here, _anchor_err(COND, "conditional anchor key doesn't exist in the resource")
            self.quiet += 1
            try:
                p, err = self.element(obj[e.key], e.node, here)
            finally:
                self.quiet -= 1
            return (p, _anchor_err(kind, err.msg)) if err is not None else _OK
        if kind == EQ:
            return self.element(obj[e.key], e.node, here) if e.key in obj else _OK
        if kind == NEG:
            if e.key in obj:
                self.miss(here, "must not be set")
                return here, _anchor_err(NEG, f"{path_text(here)} is not allowed")
            return _OK
        if kind == EXIST:
            return self.existence(e, obj, here)
        value = obj.get(e.key)
        if isinstance(e.node, Scalar) and e.node.star:
            if value is not None:
                return _OK
            self.miss(here, "is not set, expected any value")
            return path, _Err("plain", f"{path_text(path)}/{e.key} not found")
        return self.element(value, e.node, here)

    def existence(self, e: _Entry, obj: Mapping[str, Any], here: FieldPath) -> Result:
        if e.key not in obj:
            return _OK
        value = obj[e.key]
        if not isinstance(value, list):
            return here, _Err("plain", (
                f"invalid resource type {golang.type_name(value)}: "
                "Existence ^ () anchor can be used only on list/array type resource"))
        if not isinstance(e.node, ListNode):
            return here, _Err("plain", (
                f"invalid pattern type {golang.type_name(e.node.raw)}: "
                "Pattern has to be of list to compare against resource"))
        for item in e.node.items:
            if not isinstance(item, MapNode):
                return here, _Err("plain", (
                    f"invalid pattern type {golang.type_name(e.node.raw)}: "
                    "Pattern has to be of type map to compare against items in resource"))
            self.quiet += 1
            try:
                found = any(self.element(v, item, (*here, i))[1] is None for i, v in enumerate(value))
            finally:
                self.quiet -= 1
            if not found:
                self.miss(here, "has no item that matches what the rule requires of at least one")
                return here, _Err("plain", f"existence anchor validation failed at path {path_text(here)}")
        return _OK

    def array(self, value: list[Any], node: ListNode, path: FieldPath) -> Result:
        if not node.items:
            return path, _Err("plain", "pattern Array empty")
        first = node.items[0]
        if isinstance(first, MapNode):
            return self.each(((i, v, first) for i, v in enumerate(value)), path)
        if isinstance(first, Scalar):
            return self.element(value, first, path)
        if len(value) < len(node.items):
            self.miss(path, f"has {len(value)} items, expected at least {len(node.items)}")
            return None, _Err("plain", (
                "validate Array failed, array length mismatch, resource Array len is "
                f"{len(value)} and pattern Array len is {len(node.items)}"))
        return self.each(((i, value[i], n) for i, n in enumerate(node.items)), path)

    def each(self, items: Any, path: FieldPath) -> Result:
        skips: list[_Err] = []
        applied = 0
        first: Result | None = None
        for i, v, n in items:
            p, err = self.element(v, n, (*path, i))
            if err is not None:
                if _skips(err):
                    skips.append(err)
                    continue
                if self.misses is None:
                    return p, err
                first = first or (p, err)
                continue
            applied += 1
        if first is not None:
            return first
        if applied == 0 and skips:
            return path, _combined(skips)
        return _OK


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """PASS; FAIL at `path`; SKIP or ERROR with Kyverno's reason in `detail` (written from
    `cause` when read: an anyPattern entry that does not apply rarely needs its words)."""

    status: Status
    path: FieldPath = ()
    cause: _Err | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def detail(self) -> str:
        return self.cause.msg if self.cause is not None else ""

    @property
    def where(self) -> str:
        return path_text(self.path)


def match_all(node: Node, obj: Any, out: Outcome | None = None) -> tuple[Outcome, list[Miss]]:
    """The outcome of `match` (`out` when the caller has it already), and when it is a failure
    every failing field in plain words (at least the one `match` names)."""
    if out is None:
        out = match(node, obj)
    if out.status is not Status.FAIL:
        return out, []
    walk = _Walk(collect=True)
    walk.element(obj, node, ())
    misses: list[Miss] = []
    for m in walk.misses or ():
        if all(m.path != x.path for x in misses):
            misses.append(m)
    if not any(m.path[: len(out.path)] == out.path for m in misses):
        misses.insert(0, Miss(out.path, "does not match the rule's pattern"))
    return out, misses


def _keys_missing(seen: Mapping[str, bool]) -> bool:
    """Some conditional or existence anchor's key was missing where the walk looked for it."""
    return any(not v and (parse_anchor(k) or ("", ""))[0] != NEG for k, v in seen.items())


def element_fn(node: Node) -> Any:
    """The node's compiled closure (built once), or None when it is matched by the reference walk."""
    fn = node.fast
    if fn is None and not node.interpreted:
        from guardrails.lang import pattern_fast  # it builds on this module's tree

        fn = node.fast = pattern_fast.compile_node(node)
    return fn


def match(node: Node, obj: Any) -> Outcome:
    """Kyverno's MatchPattern: the whole object against a compiled pattern."""
    fn = element_fn(node)
    seen: dict[str, bool]
    if fn is not None:
        seen = {}
        path, err = fn(obj, (), seen)
    else:
        walk = _Walk()
        path, err = walk.element(obj, node, ())
        seen = walk.seen
    if err is None:
        return Outcome(Status.PASS)
    # A combined skip is a skip (its parts were): the fast path says so without writing it out.
    if (fn is not None and err.kind == "pattern") or _skips(err):
        return Outcome(Status.SKIP, (), err)
    if _is(err, NEG) and path is not None:
        return Outcome(Status.FAIL, path, err)
    if _keys_missing(seen) or path is None:
        return Outcome(Status.ERROR, (), err)
    return Outcome(Status.FAIL, path, err)
