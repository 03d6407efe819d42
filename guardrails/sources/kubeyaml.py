"""YAML as Kubernetes reads it: libyaml's node trees -> the JSON-shaped object kubectl sends.

kubectl reads a manifest with sigs.k8s.io/yaml: go-yaml v2 decodes it into Go values, which are
converted to JSON and decoded again as an unstructured object. This module builds that object
straight from the node tree libyaml composed, with the same answers:

- plain scalars resolve as go-yaml v2 does (YAML 1.1 booleans `y`/`yes`/`on`..., `~`/`null`,
  integers in Go's syntax with `0x`/`0o`/`0b`/leading-0 octal and `_`, floats only when they
  look like floats, timestamps stay the text written); anything else (`=`, `12:30:00`) is a
  string. Numbers then go through JSON: a whole float is an integer, an integer beyond 64 bits
  is a float, a float beyond float64's range stays the string it was;
- explicit tags (`!!int "12"`, `!!float 1`, `!!binary`) as go-yaml decodes them, a tag that
  does not fit its value (`!!float "x"`) is an error, unknown tags are ignored;
- merge keys are applied where they stand (a later key wins, merged or not) and duplicate keys
  keep the last value; map keys become strings as sigs.k8s.io/yaml writes them;
- aliases share their object; an alias inside its own anchor and "billion laughs" expansion
  (go-yaml's alias ratio) are errors; nesting deeper than MAX_DEPTH is an error.

Resolution is memoised per plain scalar text (manifests repeat the same keys and values), and
the builder never goes through PyYAML's constructors: this is the parse's hot path.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import math
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MAX_DEPTH", "BuildError", "JsonValueError", "Loader", "build", "depth_exceeds", "json_constant", "json_int"]

MAX_DEPTH = 256  # far beyond any Kubernetes object; keeps every later walk off Python's recursion limit

# Placeholder tags the loader gives untagged nodes, so that libyaml's composer never calls
# PyYAML's regular-expression resolver: the builder resolves plain scalars itself, memoised.
_PLAIN = "?plain"
_QUOTED = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_Y = "tag:yaml.org,2002:"
_MERGE = _Y + "merge"
_RESOLVABLE = frozenset({_Y + "str", _Y + "bool", _Y + "null", _Y + "int", _Y + "float", _Y + "timestamp"})


class Loader(yaml.CSafeLoader):
    """libyaml's parser and composer with a constant-time resolver (see `_PLAIN`)."""

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _QUOTED
        return _SEQ if kind is SequenceNode else _MAP


class BuildError(Exception):
    """The document cannot be read as Kubernetes reads it; `node` is where."""

    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.message, self.node = message, node


# --- scalars, as go-yaml v2's resolve() -------------------------------------------------------

_MAPPED: dict[str, tuple[str, Any]] = {}
for _words, _tag, _value in (
    ("y Y yes Yes YES true True TRUE on On ON", "bool", True),
    ("n N no No NO false False FALSE off Off OFF", "bool", False),
    ("~ null Null NULL", "null", None),
    (".nan .NaN .NAN", "float", math.nan),
    (".inf .Inf .INF +.inf +.Inf +.INF", "float", math.inf),
    ("-.inf -.Inf -.INF", "float", -math.inf),
):
    for _w in _words.split():
        _MAPPED[_w] = (_tag, _value)
_MAPPED[""] = ("null", None)

_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# Go integer literals (strconv.ParseInt with base 0, after go-yaml removed every `_`).
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d{1,9})?(?:Z|[-+]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d{1,9})?))?"
)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = 2**64 - 1


def _go_int(text: str) -> int | None:
    m = _GO_INT.fullmatch(text)
    if m is None:
        return None
    sign, digits = m.groups()
    if len(digits) > 70:
        return None  # beyond 64 bits in any base (and below Python's 4300-digit conversion limit)
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "xXoObB":
        value = int(digits[2:], {"x": 16, "o": 8, "b": 2}[digits[1].lower()])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    if _INT64[0] <= value <= _INT64[1] or (sign == "" and value <= _UINT64):
        return value  # ParseInt, else ParseUint (which takes no sign)
    return None


def _timestamp(text: str) -> bool:
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    import calendar

    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return False
    clock = [int(x) for x in (m[4] or m[7] or 0, m[5] or m[8] or 0, m[6] or m[9] or 0)]
    return clock[0] < 24 and clock[1] < 60 and clock[2] < 60


def _number(value: float) -> Any:
    """A float as it comes back from JSON: Go writes the shortest digits that read back as the
    same float (as repr does), and those digits are an integer when they fit int64."""
    if value.is_integer() and abs(value) < 1e21:
        n = int(decimal.Decimal(repr(value)))
        if _INT64[0] <= n <= _INT64[1]:
            return n
    return value


def _resolve(text: str, timestamps: bool = True) -> tuple[str, Any]:
    """(tag, value) of an untagged plain scalar, as go-yaml v2 resolves it."""
    first = text[:1]
    if first == "" or first in "yYnNtTfFoO~":
        return _MAPPED.get(text, ("str", text))
    if first == ".":
        if text in _MAPPED:
            return _MAPPED[text]
        if _GO_FLOAT.fullmatch(text):
            f = float(text)
            if not math.isinf(f):
                return "float", f
        return "str", text
    if first in "+-0123456789":
        if text in _MAPPED:
            return _MAPPED[text]
        if timestamps and _timestamp(text):
            return "timestamp", text  # go-yaml keeps a timestamp's text when decoding to interface{}
        plain = text.replace("_", "")
        i = _go_int(plain)
        if i is not None:
            return "int", i
        if _GO_FLOAT.fullmatch(plain):
            f = float(plain)
            if not math.isinf(f):  # Go's ParseFloat fails on overflow: the text stays a string
                return "float", f
        for prefix, sign in (("0b", 1), ("-0b", -1)):
            if plain.startswith(prefix) and re.fullmatch("[01]+", plain[len(prefix) :]):
                b = sign * int(plain[len(prefix) :], 2)
                if _INT64[0] <= b <= _UINT64:
                    return "int", b
        return "str", text
    return "str", text


_MEMO: dict[str, Any] = {}
_MEMO_MAX = 65536  # distinct plain texts remembered; beyond that the memo starts over


def _plain(text: str, node: Node) -> Any:
    """An untagged plain scalar's value, memoised (a float that overflows JSON is an error)."""
    try:
        return _MEMO[text]
    except KeyError:
        pass
    tag, value = _resolve(text)
    if tag == "float":
        if math.isinf(value) or math.isnan(value):
            raise BuildError(f"{text} is not a number JSON can carry (kubectl refuses it)", node)
        value = _number(value)
    elif tag == "int" and value > _INT64[1]:
        value = float(value)  # a uint64 comes back from JSON as a float64
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[text] = value
    return value


def _tagged(node: Node) -> Any:
    """A scalar with an explicit tag, as go-yaml v2 decodes it into interface{}."""
    tag, text = node.tag, node.value
    if tag == _Y + "binary":
        try:
            raw = base64.b64decode("".join(text.split("\n")).replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise BuildError("!!binary value contains invalid base64 data", node) from None
        return raw.decode("utf-8", "replace")
    if tag not in _RESOLVABLE:
        return text  # go-yaml ignores tags it does not know (`!foo bar` is "bar")
    want = tag[len(_Y) :]
    if want == "str":
        return text
    got, value = _resolve(text, timestamps=want == "timestamp")
    if got == want or (want == "float" and got == "int"):
        if want == "float":
            value = float(value)
            if math.isinf(value) or math.isnan(value):
                raise BuildError(f"{text} is not a number JSON can carry (kubectl refuses it)", node)
            return _number(value)
        if want == "int" and value > _INT64[1]:
            return float(value)
        return value
    raise BuildError(f"cannot decode !!{got} `{text}` as a !!{want}", node)


def _go_float32_g(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 32): how sigs.k8s.io/yaml writes a float map key."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    import struct

    f32 = struct.unpack("f", struct.pack("f", value))[0]
    for p in range(9):  # the fewest digits that read back as the same float32
        text = f"{f32:.{p}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    mantissa, _, exp_s = text.partition("e")
    exp = int(exp_s)
    if exp < -4 or exp >= 6:
        return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return f"{f32:.{max(p - exp, 0)}f}"


def _key(node: Node, value: Any) -> str:
    """A map key as sigs.k8s.io/yaml writes it into JSON (from go-yaml's value, before JSON)."""
    if node.tag is _PLAIN:
        tag, value = _resolve(node.value)
        if tag == "int" and value > _INT64[1]:
            raise BuildError(f"a map key must fit 64 bits (kubectl refuses {node.value})", node)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return str(value)
    if isinstance(value, float):
        return _go_float32_g(value)
    raise BuildError(f"a map key must be a string, a number or a boolean (kubectl refuses {value!r})", node)


# --- the builder --------------------------------------------------------------------------------


def _alias_ratio(decoded: int) -> float:
    """go-yaml v2's allowedAliasRatio: how much of a document may come from aliases."""
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


def build(root: Node, *, drop_nulls: bool = False) -> Any:
    """The object kubectl would send for this document's node tree.

    `drop_nulls` removes map entries whose value is null, as the API server stores an object
    (`securityContext: null`, what Helm renders from an empty value, is no securityContext).
    Raises BuildError at the offending node.
    """
    done: dict[int, tuple[Any, int]] = {}  # id(node) -> (object, nodes it stands for), for aliases
    building: set[int] = set()
    counts = [0, 0]  # nodes decoded (aliases expanded), of which through aliases
    memo, plain_tag, seq_cls, map_cls = _MEMO, _PLAIN, SequenceNode, MappingNode

    def alias(node: Node, key: int) -> Any:
        if key in building:
            raise BuildError("an alias refers to the anchor it is inside (a self-referencing alias)", node)
        obj, size = done[key]
        counts[0] += size
        counts[1] += size
        if counts[1] > 100 and counts[0] > 1000 and counts[1] / counts[0] > _alias_ratio(counts[0]):
            raise BuildError("the document expands aliases excessively (an alias bomb)", node)
        return obj

    def value(node: Node, depth: int) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            counts[0] += 1
            if node.tag is plain_tag:
                text = node.value
                try:
                    return memo[text]
                except KeyError:
                    return _plain(text, node)
            if node.tag == _QUOTED:
                return node.value
            return _tagged(node)
        key = id(node)
        if key in done or key in building:
            return alias(node, key)
        if depth >= MAX_DEPTH:
            raise BuildError(f"nested deeper than {MAX_DEPTH} levels", node)
        start = counts[0]
        counts[0] += 1
        building.add(key)
        out: Any
        if cls is seq_cls:
            out = [value(child, depth + 1) for child in node.value]
        elif cls is map_cls:
            out = {}
            mapping(node, out, depth)
        else:  # pragma: no cover - libyaml composes only these three
            raise BuildError("unexpected YAML node", node)
        building.discard(key)
        done[key] = (out, counts[0] - start)
        return out

    def mapping(node: Node, out: dict[str, Any], depth: int) -> None:
        for k, v in node.value:
            if k.__class__ is ScalarNode and k.value == "<<" and (k.tag is plain_tag or k.tag == _MERGE):
                merge(v, out, depth)
                continue
            if k.__class__ is not ScalarNode:
                raise BuildError("a map key must be a string, a number or a boolean (kubectl refuses a map or list)", k)
            name = value(k, depth + 1)
            if name.__class__ is not str:
                name = _key(k, name)
            item = value(v, depth + 1)
            if item is None and drop_nulls:
                out.pop(name, None)
            else:
                out[name] = item

    def merge(node: Node, out: dict[str, Any], depth: int) -> None:
        # go-yaml decodes the merged maps into the map being built, where the `<<` stands;
        # in a list of maps the earlier ones win.
        parts = list(reversed(node.value)) if node.__class__ is seq_cls else [node]
        for part in parts:
            if part.__class__ is not map_cls:
                raise BuildError("map merge requires map or sequence of maps as the value", part)
            merged = value(part, depth + 1)
            out.update(merged)

    return value(root, 0)


def depth_exceeds(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON input nests deeper than `limit` (walked without recursion)."""
    stack = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


class JsonValueError(Exception):
    """A JSON value Kubernetes' decoder refuses (raised through json.loads' hooks)."""


def json_int(text: str) -> int | float:
    """An integer in JSON input as an unstructured object holds it: int64, else float64."""
    if len(text) < 19:
        return int(text)
    value = int(text) if len(text) <= 400 else None
    if value is not None and _INT64[0] <= value <= _INT64[1]:
        return value
    f = float(text)
    if math.isinf(f):
        raise JsonValueError(f"the number {text[:20]}... is beyond float64's range (kubectl refuses it)")
    return f


def json_constant(text: str) -> Any:
    """NaN and Infinity in JSON input: Go's JSON decoder refuses them, and so do we."""
    raise JsonValueError(f"{text} is not a JSON value (kubectl refuses it)")
