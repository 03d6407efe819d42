"""Load-time rewrites that make rego-cpp evaluate library Rego the way OPA does.

rego-cpp reads a pre-1.0 partial set rule (`name[term] { body }`) as a partial *object* whose
values are `true`: iterating it (`x := name[_]`) yields `true`, and printing it shows an
object. Written with the `contains` keyword (same meaning in OPA) it is a real set. Each
rewrite is exact: the module means the same to OPA before and after.

Two more gaps, same treatment:
- rego-cpp rejects iteration inside a call's arguments (`f(x.items[_])`, "invalid bracket
  argument"); the iteration is hoisted into its own statement just before
  (`__gk1 := x.items[_]` then `f(__gk1)`), which is what OPA does internally. Never under
  `not`, where hoisting would change the meaning.
- rego-cpp reads a body line that starts with `(` as the arguments of a call on the line
  before (`input.x` then `(a - b) >= 1` becomes `input.x(...)`); OPA ends a statement at the
  newline, so the line before gets an explicit `;`.
- A negated call with an undefined argument (`not accept(rule, params.ranges)` without
  `ranges`): OPA fails the whole expression, rego-cpp negates it to true (the library's
  psp users suite tells them apart). Dotted-reference arguments of negated calls are bound
  in a statement just before (`__gk2 := params.ranges`), which fails the same way OPA does.
- rego-cpp's `replace(s, "", new)` never returns (the library's quantity parsers call it with
  an empty suffix on values such as "oops"). Calls go through a helper with Go's meaning for
  an empty `old`: `new` around and between every character, so `s` itself when `new` is "".
- OPA's deprecated builtins (`re_match`, `any`, `all`, `set_diff`, `cast_*`,
  `net.cidr_overlap`), which older library templates call and Gatekeeper still runs: each call
  goes to the builtin that replaced it or to a helper with the same meaning.
- rego-cpp rejects a rule with several bodies (`head { a } { b }`, "only one body for dynamic
  keys"); each extra body gets its own copy of the head, which is the same rule to OPA.
"""

from __future__ import annotations

import re

__all__ = ["rewrite"]

_HEAD = re.compile(r"^([ \t]*)([A-Za-z_]\w*)\[", re.MULTILINE)


def _close(text: str, start: int) -> int | None:
    """Index just past the `]` matching the `[` at `start`, skipping strings."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "`":
            i = text.find("`", i + 1)
            if i < 0:
                return None
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
            if depth == 0:
                return i + 1 if ch == "]" else None
        i += 1
    return None


def _partial_sets(module: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _HEAD.finditer(module):
        if m.start() < pos:
            continue
        end = _close(module, m.end() - 1)
        if end is None:
            continue
        rest = module[end:]
        after = rest.lstrip(" \t")
        # A set rule's head is followed by its body; `=`/`:=` make it an object rule, `if` a v1 rule.
        if not after.startswith("{"):
            continue
        out.append(module[pos : m.start()])
        out.append(f"{m.group(1)}{m.group(2)} contains {module[m.end() : end - 1]} ")
        pos = end + (len(rest) - len(after))
    out.append(module[pos:])
    return "".join(out)


_ITER_ARG = re.compile(r"((?:[A-Za-z_][\w]*)(?:\.[A-Za-z_][\w]*|\[[^\[\]()]*\])*)\[_\]")


def _inside_call(line: str, pos: int) -> bool:
    depth = 0
    for ch in line[:pos]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth > 0


def _hoist_call_iteration(module: str) -> str:
    out: list[str] = []
    counter = 0
    for line in module.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("not ", "#")) or "|" in line or line.rstrip().endswith("{"):
            out.append(line)
            continue
        indent = line[: len(line) - len(stripped)]
        while True:
            m = next((m for m in _ITER_ARG.finditer(line) if _inside_call(line, m.start())), None)
            if m is None:
                break
            counter += 1
            var = f"__gk{counter}"
            out.append(f"{indent}{var} := {m.group(0)}")
            line = line[: m.start()] + var + line[m.end() :]
        out.append(line)
    return "\n".join(out)


_NOT_CALL = re.compile(r"^(\s*)not\s+([A-Za-z_][\w.]*)\((.*)\)\s*$")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\[[^\[\]()]*\])*\Z")


def _split_args(text: str) -> list[str] | None:
    args, depth, cur, quote = [], 0, "", False
    for ch in text:
        if quote:
            cur += ch
            quote = ch != '"'
            continue
        if ch == '"':
            quote = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            args.append(cur)
            cur = ""
            continue
        cur += ch
    args.append(cur)
    return args


def _bind_negated_call_args(module: str, start: int) -> str:
    out: list[str] = []
    counter = start
    for line in module.split("\n"):
        m = _NOT_CALL.match(line)
        args = _split_args(m.group(3)) if m else None
        if m is None or args is None or m.group(2).split(".")[0] in ("input", "data"):
            out.append(line)
            continue
        new_args = []
        for a in args:
            ref = a.strip()
            # Only plain references: one that iterates (`x[_]`) is left to the negation.
            if _DOTTED.match(ref) and "[" not in ref and not ref.startswith(("data.", "input.review")):
                counter += 1
                out.append(f"{m.group(1)}__gk{counter} := {ref}")
                new_args.append(f"__gk{counter}")
            else:
                new_args.append(ref)
        out.append(f"{m.group(1)}not {m.group(2)}({', '.join(new_args)})")
    return "\n".join(out)


_EXTRA_BODY = re.compile(r"^(\s*)\}\s*\{\s*$")


# `f(x) = v { a } { b }` / `r = v { a } { b }` on one line (a head with a value and no braces).
_ONE_LINE_BODIES = re.compile(r"^([A-Za-z_][\w.]*(?:\([^{}()]*\))?\s*:?=\s*[^{}\s][^{}]*?)\s*((?:\{[^{}]*\}\s*){2,})$")


def _split_bodies(module: str) -> str:
    out: list[str] = []
    head: str | None = None
    for line in module.split("\n"):
        one = _ONE_LINE_BODIES.match(line)
        if one:  # `head { a } { b }` on one line: one rule per body
            out.extend(f"{one.group(1)} {{{b}}}" for b in re.findall(r"\{([^{}]*)\}", one.group(2)))
            head = None
            continue
        m = _EXTRA_BODY.match(line)
        if m and head is not None:
            out.append(f"{m.group(1)}}}")
            out.append(f"{head} {{")
            continue
        if line[:1] not in (" ", "\t", "}", "#", "") and line.rstrip().endswith("{"):
            head = line.rstrip()[:-1].rstrip()
        elif line.strip() and not line[:1].isspace() and line[:1] != "}":
            head = None
        out.append(line)
    return "\n".join(out)


def _end_statements(module: str) -> str:
    lines = module.split("\n")
    for i in range(1, len(lines)):
        if not lines[i].lstrip().startswith("("):
            continue
        j = i - 1
        while j >= 0 and (not lines[j].strip() or lines[j].lstrip().startswith("#")):
            j -= 1
        prev = lines[j].rstrip() if j >= 0 else ""
        if prev and prev[-1] not in "{([,;|&=+-*/<>!" and not prev.endswith((" in", " not")):
            lines[j] = prev + ";"
    return "\n".join(lines)


_REPLACE = re.compile(r"(?<![\w.])replace\(")
_REPLACE_HELPER = """

__gk_replace(s, old, new) := out {
  old != ""
  out := replace(s, old, new)
}

__gk_replace(s, old, new) := s {
  old == ""
  new == ""
}

__gk_replace(s, old, new) := new {
  old == ""
  new != ""
  s == ""
}

__gk_replace(s, old, new) := out {
  old == ""
  new != ""
  count(s) > 0
  chars := [c | i := numbers.range(0, count(s) - 1)[_]; c := substring(s, i, 1)]
  out := concat(new, array.concat(array.concat([""], chars), [""]))
}
"""


def _safe_replace(module: str) -> str:
    if not _REPLACE.search(module):
        return module
    return _REPLACE.sub("__gk_replace(", module) + _REPLACE_HELPER


# OPA's deprecated builtins, which Gatekeeper (OPA in v0 mode) still runs and older library
# templates call; regorus lacks them. Each call goes to a helper, or to the builtin that replaced
# it, with OPA's meaning (its documentation of the deprecated builtins).
DEPRECATED: dict[str, tuple[str, str]] = {
    "re_match": ("regex.match", ""),
    "net.cidr_overlap": ("net.cidr_contains", ""),
    "set_diff": ("__gk_set_diff", "__gk_set_diff(a, b) := r {\n  r := a - b\n}\n"),
    "any": ("__gk_any", "__gk_any(xs) := true {\n  xs[_] == true\n} else := false\n"),
    "all": ("__gk_all", "__gk_all(xs) := false {\n  xs[_] != true\n} else := true\n"),
    "cast_array": ("__gk_cast_array", "__gk_cast_array(x) := r {\n  not is_string(x)\n  r := [v | v := x[_]]\n}\n"),
    "cast_set": ("__gk_cast_set", "__gk_cast_set(x) := r {\n  not is_string(x)\n  r := {v | v := x[_]}\n}\n"),
    "cast_string": ("__gk_cast_string", "__gk_cast_string(x) := x {\n  is_string(x)\n}\n"),
    "cast_boolean": ("__gk_cast_boolean", "__gk_cast_boolean(x) := x {\n  is_boolean(x)\n}\n"),
    "cast_null": ("__gk_cast_null", "__gk_cast_null(x) := x {\n  is_null(x)\n}\n"),
    "cast_object": ("__gk_cast_object", "__gk_cast_object(x) := x {\n  is_object(x)\n}\n"),
}
_DEPRECATED_CALL = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in DEPRECATED) + r")\s*\(")
# A function the module defines: a head at the start of a line, `name(args) {`, `:=` or `=`.
_DEFINED = re.compile(r"^([A-Za-z_]\w*)\s*\([^()\n]*\)\s*(?::?=(?!=)|\{)", re.MULTILINE)


def _masked(module: str) -> str:
    """The module with strings and comments blanked (same length), to find calls in code only."""
    out = list(module)
    i = 0
    while i < len(module):
        ch = module[i]
        if ch == '"':
            j = i + 1
            while j < len(module) and module[j] not in '"\n':
                j += 2 if module[j] == "\\" else 1
            end = min(j + 1, len(module))
        elif ch == "`":
            j = module.find("`", i + 1)
            end = len(module) if j < 0 else j + 1
        elif ch == "#":
            j = module.find("\n", i)
            end = len(module) if j < 0 else j
        else:
            i += 1
            continue
        for k in range(i, end):
            if out[k] != "\n":
                out[k] = " "
        i = end
    return "".join(out)


def _deprecated_builtins(module: str) -> str:
    """Calls of OPA's deprecated builtins -> their replacements (not where the module defines a
    function of that name itself)."""
    masked = _masked(module)
    defined = set(_DEFINED.findall(masked))
    found = [m for m in _DEPRECATED_CALL.finditer(masked) if m.group(1) not in defined]
    if not found:
        return module
    out: list[str] = []
    last = 0
    helpers: dict[str, str] = {}
    for m in found:
        name, helper = DEPRECATED[m.group(1)]
        out.append(module[last:m.start(1)])
        out.append(name)
        last = m.end(1)
        if helper:
            helpers[name] = helper
    out.append(module[last:])
    return "".join(out) + "".join("\n" + h for h in helpers.values())


def rewrite(module: str) -> str:
    text = _hoist_call_iteration(_partial_sets(_deprecated_builtins(module)))
    return _safe_replace(_end_statements(_split_bodies(_bind_negated_call_args(text, 1000))))
