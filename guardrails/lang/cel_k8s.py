"""Kubernetes' CEL libraries on top of the runtime's standard extensions: lists, sets, regex,
URLs, quantity, IP and CIDR, semver (k8s.io/apiserver/pkg/cel/library), as function
declarations with Python implementations on plain values.

Kubernetes' typed values (Quantity, IP, CIDR, URL, Semver) are small maps tagged with
`_K8S_TYPE`; their member functions dispatch on the tag and fail on anything else, as a
mistyped call fails in Kubernetes. Libraries are grouped by name so a dialect can add its own
(Kyverno's) beside these without a second copy.
"""

from __future__ import annotations

import contextvars
import ipaddress
import itertools
import re
import types
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from guardrails.kube import quantity as qty

__all__ = ["HOOKS", "declarations", "register"]

_K8S_TYPE = "@k8s.type"
_NO_HOOKS: Mapping[str, Any] = types.MappingProxyType({})

# Per-evaluation answers for library calls that read the world (Kyverno's resource and image
# libraries): the evaluator sets this around one evaluation; the functions read it.
HOOKS: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("cel_hooks", default=_NO_HOOKS)

# name -> list of (function name, overload id, return type, params, is_member, impl)
_Decl = tuple[str, str, str, tuple[str, ...], bool, Callable[..., Any]]
_LIBRARIES: dict[str, list[_Decl]] = {}


def register(library: str, decls: Sequence[_Decl]) -> None:
    _LIBRARIES.setdefault(library, []).extend(decls)


def _type(cel: Any, name: str) -> Any:
    return {"dyn": cel.Type.DYN, "string": cel.Type.STRING, "int": cel.Type.INT, "bool": cel.Type.BOOL,
            "timestamp": cel.Type.TIMESTAMP, "duration": cel.Type.DURATION,
            "double": cel.Type.DOUBLE, "list": cel.Type.List(cel.Type.DYN), "map": cel.Type.Map(cel.Type.DYN, cel.Type.DYN)}[name]


def declarations(cel: Any, libraries: Sequence[str]) -> list[Any]:
    by_name: dict[str, list[Any]] = {}
    for lib in ("kubernetes", *libraries):
        for fname, oid, ret, params, member, impl in _LIBRARIES.get(lib, ()):
            if any(oid == o for o, _ in by_name.get(fname, [])):
                continue
            over = cel.Overload(oid, _type(cel, ret), [_type(cel, p) for p in params], is_member=member, impl=impl)
            by_name.setdefault(fname, []).append((oid, over))
    # One extension: its declarations merge with the standard extensions' overloads of the same
    # name (strings' `indexOf` and `reverse` beside the lists' ones).
    return [cel.CelExtension("kubernetes", [cel.FunctionDecl(name, [o for _, o in overs])
                                            for name, overs in by_name.items()])]


def _tagged(kind: str, value: Any) -> dict[str, Any]:
    return {_K8S_TYPE: kind, "value": value}


def _tag(value: Any) -> str:
    return str(value.get(_K8S_TYPE, "")) if isinstance(value, Mapping) else ""


def _want(value: Any, kind: str, fn: str) -> Any:
    if _tag(value) != kind:
        raise ValueError(f"no such overload: {fn} on {type(value).__name__}")
    return value["value"]


# --- lists ---------------------------------------------------------------------------------


def _comparable(items: Sequence[Any]) -> list[Any]:
    for x in items:
        if isinstance(x, bool) or not isinstance(x, int | float | str | bytes):
            raise ValueError("list elements are not comparable")
    return list(items)


def _is_sorted(items: list[Any]) -> bool:
    xs = _comparable(items)
    return all(a <= b for a, b in itertools.pairwise(xs))


def _sum(items: list[Any]) -> Any:
    xs = _comparable(items)
    if not xs:
        return 0
    return sum(xs[1:], xs[0])


def _min(items: list[Any]) -> Any:
    if not items:
        raise ValueError("min called on an empty list")
    return min(_comparable(items))


def _max(items: list[Any]) -> Any:
    if not items:
        raise ValueError("max called on an empty list")
    return max(_comparable(items))


def _index_of(items: list[Any], x: Any) -> int:
    for i, v in enumerate(items):
        if v == x and type(v) is type(x):
            return i
    return -1


def _last_index_of(items: list[Any], x: Any) -> int:
    for i in range(len(items) - 1, -1, -1):
        if items[i] == x and type(items[i]) is type(x):
            return i
    return -1


def _slice(items: list[Any], start: int, end: int) -> list[Any]:
    if start < 0 or end < start or end > len(items):
        raise ValueError(f"cannot slice({start}, {end}), list is length {len(items)}")
    return items[start:end]


def _flatten(items: list[Any], depth: int = 1) -> list[Any]:
    if depth < 0:
        raise ValueError("level must be non-negative")
    out: list[Any] = []
    for x in items:
        if isinstance(x, list) and depth > 0:
            out.extend(_flatten(x, depth - 1))
        else:
            out.append(x)
    return out


def _distinct(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in items:
        if not any(x == y and type(x) is type(y) for y in out):
            out.append(x)
    return out


def _range(n: int) -> list[int]:
    if n > 100_000:
        raise ValueError("lists.range is bounded to 100000 elements here")
    return list(range(n))


register("kubernetes", [
    ("isSorted", "list_is_sorted", "bool", ("list",), True, _is_sorted),
    ("sum", "list_sum", "dyn", ("list",), True, _sum),
    ("min", "list_min", "dyn", ("list",), True, _min),
    ("max", "list_max", "dyn", ("list",), True, _max),
    ("indexOf", "list_index_of", "int", ("list", "dyn"), True, _index_of),
    ("lastIndexOf", "list_last_index_of", "int", ("list", "dyn"), True, _last_index_of),
    ("slice", "list_slice", "list", ("list", "int", "int"), True, _slice),
    ("flatten", "list_flatten", "list", ("list",), True, _flatten),
    ("flatten", "list_flatten_int", "list", ("list", "int"), True, _flatten),
    ("distinct", "list_distinct", "list", ("list",), True, _distinct),
    ("sort", "list_sort", "list", ("list",), True, lambda xs: sorted(_comparable(xs))),
    ("reverse", "list_reverse", "list", ("list",), True, lambda xs: list(reversed(xs))),
    ("lists.range", "lists_range", "list", ("int",), False, _range),
])


# cel-go, as Kubernetes and Kyverno run it, gives back the receiver when `orValue` is called on
# a list or map that is not an optional (policies in the wild rely on it:
# `container.volumeMounts.orValue([])`); cel-cpp has no such overload, so it is declared here.
register("kubernetes", [
    ("orValue", "list_or_value", "list", ("list", "list"), True, lambda x, _: x),
    ("orValue", "map_or_value", "map", ("map", "map"), True, lambda x, _: x),
])


# --- sets ----------------------------------------------------------------------------------


def _has(items: list[Any], x: Any) -> bool:
    return any(x == y for y in items)


register("kubernetes", [
    ("sets.contains", "sets_contains", "bool", ("list", "list"), False, lambda a, b: all(_has(a, x) for x in b)),
    ("sets.equivalent", "sets_equivalent", "bool", ("list", "list"), False,
     lambda a, b: all(_has(a, x) for x in b) and all(_has(b, x) for x in a)),
    ("sets.intersects", "sets_intersects", "bool", ("list", "list"), False, lambda a, b: any(_has(a, x) for x in b)),
])


# --- regex (linear time: RE2) ----------------------------------------------------------------


def _re2(pattern: str) -> Any:
    try:
        import re2
    except ImportError:  # pragma: no cover - depends on the environment
        raise ValueError("regex find/findAll need google-re2 (linear-time regular expressions)") from None
    try:
        return re2.compile(pattern)
    except Exception as e:
        raise ValueError(f"invalid regular expression: {e}") from None


def _find(text: str, pattern: str) -> str:
    m = _re2(pattern).search(text)
    return m.group(0) if m else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    out: list[str] = []
    for m in _re2(pattern).finditer(text):
        if 0 <= limit <= len(out):
            break
        out.append(m.group(0))
    return out


register("kubernetes", [
    ("find", "string_find", "string", ("string", "string"), True, _find),
    ("findAll", "string_find_all", "list", ("string", "string"), True, _find_all),
    ("findAll", "string_find_all_n", "list", ("string", "string", "int"), True, _find_all),
])


# --- URLs ----------------------------------------------------------------------------------


def _parse_url(text: str) -> urllib.parse.SplitResult | None:
    try:
        u = urllib.parse.urlsplit(text)
    except ValueError:
        return None
    if not u.scheme or not (u.netloc or u.path.startswith("/")):
        return None
    return u


def _url(text: str) -> dict[str, Any]:
    if _parse_url(text) is None:
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    return _tagged("url", text)


def _url_part(part: str) -> Callable[[Any], Any]:
    def get(value: Any) -> Any:
        u = _parse_url(_want(value, "url", part))
        assert u is not None
        if part == "getScheme":
            return u.scheme
        if part == "getHost":
            return u.netloc.rpartition("@")[2]
        if part == "getHostname":
            host = u.netloc.rpartition("@")[2]
            if host.startswith("["):
                return host[1:host.find("]")]
            return host.rpartition(":")[0] if ":" in host else host
        if part == "getPort":
            host = u.netloc.rpartition("@")[2]
            tail = host.rpartition("]")[2] if host.startswith("[") else host
            return tail.rpartition(":")[2] if ":" in tail else ""
        if part == "getEscapedPath":
            return urllib.parse.quote(urllib.parse.unquote(u.path), safe="/:@!$&'()*+,;=-._~")
        query: dict[str, list[str]] = {}
        for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
            query.setdefault(k, []).append(v)
        return query

    return get


register("kubernetes", [
    ("url", "string_to_url", "dyn", ("string",), False, _url),
    ("isURL", "is_url_string", "bool", ("string",), False, lambda s: _parse_url(s) is not None),
    *[(p, f"url_{p}", "dyn", ("dyn",), True, _url_part(p))
      for p in ("getScheme", "getHost", "getHostname", "getPort", "getEscapedPath", "getQuery")],
])


# --- quantity ------------------------------------------------------------------------------


def _quantity(text: str) -> dict[str, Any]:
    if not qty.is_quantity(text):
        raise ValueError(f"quantities must match the regular expression: {text!r}")
    return _tagged("quantity", text)


def _q(value: Any, fn: str) -> Fraction:
    return qty.parse(_want(value, "quantity", fn))


def _q_or_int(value: Any, fn: str) -> Fraction:
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    return _q(value, fn)


def _cmp(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _greater(a: Any, b: Any) -> bool:
    return _compare(a, b) > 0


def _less(a: Any, b: Any) -> bool:
    return _compare(a, b) < 0


def _compare(a: Any, b: Any) -> int:
    if _tag(a) == "quantity":
        return _cmp(_q(a, "compareTo"), _q(b, "compareTo"))
    if _tag(a) == "semver":
        return _semver_cmp(_want(a, "semver", "compareTo"), _want(b, "semver", "compareTo"))
    raise ValueError("no such overload: compareTo")


def _q_add(a: Any, b: Any) -> dict[str, Any]:
    return _tagged("quantity", qty.render(_q(a, "add") + _q_or_int(b, "add")))


def _q_sub(a: Any, b: Any) -> dict[str, Any]:
    return _tagged("quantity", qty.render(_q(a, "sub") - _q_or_int(b, "sub")))


def _q_sign(a: Any) -> int:
    return _cmp(_q(a, "sign"), 0)


def _q_is_integer(a: Any) -> bool:
    v = _q(a, "isInteger")
    return v.denominator == 1 and -(2**63) <= v <= 2**63 - 1


def _q_as_integer(a: Any) -> int:
    if not _q_is_integer(a):
        raise ValueError("cannot convert value to integer")
    return int(_q(a, "asInteger"))


register("kubernetes", [
    ("quantity", "string_to_quantity", "dyn", ("string",), False, _quantity),
    ("isQuantity", "is_quantity_string", "bool", ("string",), False, qty.is_quantity),
    ("sign", "quantity_sign", "int", ("dyn",), True, _q_sign),
    ("isGreaterThan", "k8s_is_greater_than", "bool", ("dyn", "dyn"), True, _greater),
    ("isLessThan", "k8s_is_less_than", "bool", ("dyn", "dyn"), True, _less),
    ("compareTo", "k8s_compare_to", "int", ("dyn", "dyn"), True, _compare),
    ("add", "quantity_add", "dyn", ("dyn", "dyn"), True, _q_add),
    ("sub", "quantity_sub", "dyn", ("dyn", "dyn"), True, _q_sub),
    ("isInteger", "quantity_is_integer", "bool", ("dyn",), True, _q_is_integer),
    ("asInteger", "quantity_as_integer", "int", ("dyn",), True, _q_as_integer),
    ("asApproximateFloat", "quantity_as_float", "double", ("dyn",), True, lambda a: float(_q(a, "asApproximateFloat"))),
])


# --- IP and CIDR ---------------------------------------------------------------------------


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if "%" in text:  # zones are not IPs to Kubernetes
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ip(text: str) -> dict[str, Any]:
    addr = _parse_ip(text)
    if addr is None or (isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None):
        raise ValueError(f"IP Address {text!r} parse error during conversion from string")
    return _tagged("ip", str(addr))


def _is_ip(text: str) -> bool:
    addr = _parse_ip(text)
    return addr is not None and not (isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None)


def _addr(value: Any, fn: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(_want(value, "ip", fn))


def _parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _cidr(text: str) -> dict[str, Any]:
    if _parse_cidr(text) is None:
        raise ValueError(f"network address {text!r} parse error during conversion from string")
    addr, _, bits = text.partition("/")
    return _tagged("cidr", f"{ipaddress.ip_address(addr)}/{int(bits)}")


def _net(value: Any, fn: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address,
                                        ipaddress.IPv4Network | ipaddress.IPv6Network]:
    text = _want(value, "cidr", fn)
    return ipaddress.ip_address(text.partition("/")[0]), ipaddress.ip_network(text, strict=False)


def _contains_ip(c: Any, other: Any) -> bool:
    _, net = _net(c, "containsIP")
    addr = _addr(other, "containsIP") if _tag(other) == "ip" else _parse_ip(str(other))
    if addr is None:
        raise ValueError(f"IP Address {other!r} parse error")
    return addr.version == net.version and addr in net


def _contains_cidr(c: Any, other: Any) -> bool:
    _, net = _net(c, "containsCIDR")
    sub = _net(other, "containsCIDR")[1] if _tag(other) == "cidr" else _parse_cidr(str(other))
    if sub is None:
        raise ValueError(f"network address {other!r} parse error")
    return sub.version == net.version and sub.subnet_of(net)  # type: ignore[arg-type]


def _ip_member(value: Any) -> dict[str, Any]:
    addr, _ = _net(value, "ip")
    return _tagged("ip", str(addr))


def _ip_is(test: str) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        a = _addr(value, test)
        if test == "family":
            return a.version
        if test == "isUnspecified":
            return a.is_unspecified
        if test == "isLoopback":
            return a.is_loopback
        if test == "isLinkLocalMulticast":
            return a.is_multicast and (a in ipaddress.ip_network("224.0.0.0/24") if a.version == 4
                                       else a in ipaddress.ip_network("ff02::/16"))
        if test == "isLinkLocalUnicast":
            return a.is_link_local and not a.is_multicast
        # isGlobalUnicast, as Go's net.IP: not unspecified, loopback, multicast, link-local or broadcast
        return not (a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local
                    or (a.version == 4 and str(a) == "255.255.255.255"))

    return run


def _ip_canonical(text: str) -> bool:
    addr = _parse_ip(text)
    if addr is None:
        raise ValueError(f"IP Address {text!r} parse error during conversion from string")
    return str(addr) == text


def _family(value: Any) -> int:
    if _tag(value) == "cidr":
        return _net(value, "family")[1].version
    return _addr(value, "family").version


register("kubernetes", [
    ("ip", "string_to_ip", "dyn", ("string",), False, _ip),
    ("isIP", "is_ip", "bool", ("string",), False, _is_ip),
    ("ip.isCanonical", "ip_is_canonical", "bool", ("string",), False, _ip_canonical),
    ("family", "k8s_family", "int", ("dyn",), True, _family),
    *[(t, f"ip_{t}", "bool", ("dyn",), True, _ip_is(t))
      for t in ("isUnspecified", "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast")],
    ("cidr", "string_to_cidr", "dyn", ("string",), False, _cidr),
    ("isCIDR", "is_cidr", "bool", ("string",), False, lambda s: _parse_cidr(s) is not None),
    ("containsIP", "cidr_contains_ip", "bool", ("dyn", "dyn"), True, _contains_ip),
    ("containsCIDR", "cidr_contains_cidr", "bool", ("dyn", "dyn"), True, _contains_cidr),
    ("ip", "cidr_ip", "dyn", ("dyn",), True, _ip_member),
    ("masked", "cidr_masked", "dyn", ("dyn",), True, lambda c: _tagged("cidr", str(_net(c, "masked")[1]))),
    ("prefixLength", "cidr_prefix_length", "int", ("dyn",), True, lambda c: int(_net(c, "prefixLength")[1].prefixlen)),
])


# --- semver --------------------------------------------------------------------------------

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][\w-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][\w-]*))*))?"
    r"(?:\+([\w-]+(?:\.[\w-]+)*))?\Z"
)


def _normalize(text: str) -> str:
    text = text[1:] if text.startswith("v") else text
    m = re.match(r"([^-+]*)(.*)", text)
    assert m is not None
    core, rest = m.group(1), m.group(2)
    parts = core.split(".")
    while len(parts) < 3:
        parts.append("0")
    parts = [p.lstrip("0") or "0" for p in parts]
    return ".".join(parts) + rest


def _semver(text: str, normalize: bool = False) -> dict[str, Any]:
    t = _normalize(text) if normalize else text
    if not _SEMVER.match(t):
        raise ValueError(f"invalid semver: {text}")
    return _tagged("semver", t)


def _is_semver(text: str, normalize: bool = False) -> bool:
    return _SEMVER.match(_normalize(text) if normalize else text) is not None


def _sv(text: str) -> tuple[int, int, int, list[str]]:
    m = _SEMVER.match(text)
    assert m is not None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), (m.group(4) or "").split(".") if m.group(4) else []


def _semver_cmp(a: str, b: str) -> int:
    x, y = _sv(a), _sv(b)
    if x[:3] != y[:3]:
        return _cmp(x[:3], y[:3])
    if not x[3] or not y[3]:
        return _cmp(not x[3], not y[3])
    for p, q in zip(x[3], y[3]):
        if p == q:
            continue
        if p.isdigit() and q.isdigit():
            return _cmp(int(p), int(q))
        if p.isdigit() != q.isdigit():
            return -1 if p.isdigit() else 1
        return _cmp(p, q)
    return _cmp(len(x[3]), len(y[3]))


register("kubernetes", [
    ("semver", "string_to_semver", "dyn", ("string",), False, _semver),
    ("semver", "string_bool_to_semver", "dyn", ("string", "bool"), False, _semver),
    ("isSemver", "is_semver", "bool", ("string",), False, _is_semver),
    ("isSemver", "is_semver_normalize", "bool", ("string", "bool"), False, _is_semver),
    ("major", "semver_major", "int", ("dyn",), True, lambda s: _sv(_want(s, "semver", "major"))[0]),
    ("minor", "semver_minor", "int", ("dyn",), True, lambda s: _sv(_want(s, "semver", "minor"))[1]),
    ("patch", "semver_patch", "int", ("dyn",), True, lambda s: _sv(_want(s, "semver", "patch"))[2]),
])
