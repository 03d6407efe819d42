"""Label selectors and the one glob matcher used for kinds, namespaces, names and images.

`wildcard`/`compile_globs`: `*` any run of characters, `?` one character, the whole string
(Kubernetes tooling's and Kyverno's wildcards). `prefix_suffix_glob` is Gatekeeper's named
variant: a `*` only at the start and/or the end.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["compile_globs", "compile_label_selector", "glob_to_regex", "prefix_suffix_glob", "wildcard"]

from guardrails import regex as regex_


def glob_to_regex(pattern: str) -> regex_.Regex:
    """`*` any run of characters, `?` one character; everything else literal (no [] classes,
    which Kubernetes names never need and which would surprise users). On RE2: `a*a*a*b`
    against a long name would backtrack for ever on Python's engine."""
    return regex_.glob(pattern)


@functools.lru_cache(maxsize=4096)  # bounded: rules repeat a few patterns over every resource
def _regex(pattern: str) -> regex_.Regex:
    return glob_to_regex(pattern)


def wildcard(pattern: str, text: str) -> bool:
    """Whether `text` matches the glob `pattern` as a whole."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    return _regex(pattern).match(text) is not None


def prefix_suffix_glob(pattern: str) -> Callable[[str], bool]:
    """Gatekeeper's namespace and name globs: `pre*`, `*suf` and `*mid*`; no `?`, no inner `*`."""
    if len(pattern) > 1 and pattern.startswith("*") and pattern.endswith("*"):
        mid = pattern[1:-1]
        return lambda v: mid in v
    if pattern.startswith("*"):
        suffix = pattern[1:]
        return lambda v: v.endswith(suffix)
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return lambda v: v.startswith(prefix)
    return lambda v: v == pattern


def compile_globs(patterns: Sequence[str]) -> Callable[[str], bool]:
    """A predicate true when the value matches any of the globs."""
    exact = {p for p in patterns if "*" not in p and "?" not in p}
    regexes = [glob_to_regex(p) for p in patterns if p not in exact]
    if not regexes:
        return exact.__contains__
    return lambda v: v in exact or any(r.match(v) for r in regexes)


_OPS = {"In", "NotIn", "Exists", "DoesNotExist"}


def compile_label_selector(selector: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """A Kubernetes LabelSelector as a predicate over a labels mapping.

    An empty selector matches everything (as in Kubernetes). Raises ValueError for an unknown
    operator or a missing `values` list.
    """
    match_labels = dict(selector.get("matchLabels") or {})
    exprs: list[tuple[str, str, frozenset[str]]] = []
    for i, e in enumerate(selector.get("matchExpressions") or []):
        op = e.get("operator")
        if op not in _OPS:
            raise ValueError(f"matchExpressions[{i}]: unknown operator {op!r}: use one of {', '.join(sorted(_OPS))}")
        values = e.get("values") or []
        if op in ("In", "NotIn") and not values:
            raise ValueError(f"matchExpressions[{i}]: operator {op} needs a non-empty values list")
        exprs.append((str(e.get("key")), op, frozenset(str(v) for v in values)))

    def matches(labels: Mapping[str, Any]) -> bool:
        for k, v in match_labels.items():
            if labels.get(k) != v:
                return False
        for key, op, values in exprs:
            present = key in labels
            if op == "In" and not (present and labels[key] in values):
                return False
            if op == "NotIn" and present and labels[key] in values:
                return False
            if op == "Exists" and not present:
                return False
            if op == "DoesNotExist" and present:
                return False
        return True

    return matches

