"""Every regular expression a rule or its parameters supply runs here, on RE2: linear time in
the text, whatever the pattern. Python's `re` backtracks: `^([a-z0-9]+\\.?)+@corp\\.com$` takes
minutes on a 32-character annotation written to stall it.

RE2 is the syntax Kyverno and Gatekeeper already use (Go's `regexp` and OPA's `regex.*` are
RE2), so their policies mean the same here. The few constructs RE2 lacks (backreferences,
lookahead and lookbehind, atomic groups, conditionals) are refused when the rule loads, with
the reason: `RegexError`, which each compile site reports with the rule's file and line.
Python's `\\Z` is accepted as RE2's `\\z`, so patterns written for either mean end of text.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Protocol

__all__ = ["Match", "Regex", "RegexError", "compile", "escape", "glob"]

# RE2 refuses these at parse time; name them in the error rather than quote RE2's wording.
_LACKS = (
    (re.compile(r"\(\?<?[=!]"), "lookahead/lookbehind"),
    (re.compile(r"(?<!\\)\\[1-9]"), "a backreference"),
    (re.compile(r"\(\?>"), "an atomic group"),
    (re.compile(r"\(\?\("), "a conditional"),
    (re.compile(r"\(\?P=\w+\)"), "a named backreference"),
)
# Matches and searches over longer texts are refused by size, never by time: RE2 needs no limit
# on time, and a DFA bigger than this falls back to a slower but still linear engine.
_MAX_MEM = 8 << 20


class Match(Protocol):
    def group(self, *index: int | str) -> Any: ...
    def start(self, index: int | str = ...) -> int: ...
    def end(self, index: int | str = ...) -> int: ...


class Regex(Protocol):
    """What callers use of a compiled pattern: the subset `re.Pattern` and RE2 share."""

    @property
    def pattern(self) -> str: ...
    def match(self, text: str, /) -> Match | None: ...
    def search(self, text: str, /) -> Match | None: ...
    def fullmatch(self, text: str, /) -> Match | None: ...
    def sub(self, repl: Any, text: str, /) -> str: ...


class RegexError(ValueError):
    """A pattern RE2 cannot run; `str()` is the one-line reason."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"regular expression {pattern!r} cannot be used: {reason}")
        self.pattern, self.reason = pattern, reason


@functools.lru_cache(maxsize=1)
def _options() -> Any:
    import re2  # google-re2; imported on the first pattern, not at start-up

    options = re2.Options()
    options.log_errors = False  # our error names the rule; RE2's own log line would be noise
    options.max_mem = _MAX_MEM
    return options


def _translate(pattern: str) -> str:
    # Python's end-of-text `\Z` is RE2's `\z` (RE2 has no `\Z`); an escaped backslash stays.
    return re.sub(r"(?<!\\)((?:\\\\)*)\\Z", r"\1\\z", pattern)


@functools.lru_cache(maxsize=4096)
def compile(pattern: str, *, dotall: bool = False) -> Regex:
    """The pattern on RE2, cached; raises RegexError for a pattern RE2 cannot run."""
    import re2

    if not isinstance(pattern, str):
        raise RegexError(str(pattern), "a pattern must be a string")
    for probe, what in _LACKS:
        if probe.search(pattern):
            raise RegexError(pattern, f"it uses {what}, which the linear-time engine (RE2) does not support")
    text = _translate(pattern)
    if dotall:
        text = f"(?s:{text})"
    try:
        compiled: Regex = re2.compile(text, options=_options())
    except re2.error as e:
        reason = e.args[0].decode(errors="replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        # RE2 says "what: fragment"; the fragment's place in the pattern is the position that
        # `rules lint` turns into a column.
        what, _, fragment = reason.partition(": ")
        at = pattern.find(fragment) if fragment else -1
        raise RegexError(pattern, f"{what} at position {at}" if at >= 0 else reason) from None
    return compiled


def escape(text: str) -> str:
    return re.escape(text)


def glob(pattern: str) -> Regex:
    """A glob (`*` any run, `?` one character, everything else literal) matching whole texts."""
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return compile("".join(parts) + r"\z", dotall=True)
