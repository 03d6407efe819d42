"""Rule-supplied regular expressions run on RE2: linear time, and the constructs RE2 lacks are
refused at load with the rule's file and line."""

from __future__ import annotations

import pathlib
import time

import pytest

from guardrails import regex
from guardrails.errors import GuardrailsError
from guardrails.policy.load import load_rules

EVIL = r"^([a-z0-9]+\.?)+@corp\.com$"


def test_a_catastrophic_pattern_is_linear() -> None:
    rx = regex.compile(EVIL)
    started = time.perf_counter()
    # 32 characters stall Python's engine for minutes; a 1 MiB text here is still one pass.
    assert rx.search("a" * 32 + "!") is None
    assert rx.search("a" * (1 << 20) + "!") is None
    assert time.perf_counter() - started < 5
    assert rx.search("ops.team@corp.com") is not None


@pytest.mark.parametrize(("pattern", "what"), [
    (r"^(?=.*\d)\w+$", "lookahead/lookbehind"),
    (r"(?<!x)y", "lookahead/lookbehind"),
    (r"(a)\1", "a backreference"),
    (r"(?P<q>a)(?P=q)", "a named backreference"),
    (r"(?>a+)", "an atomic group"),
    (r"a++", "bad repetition operator at position 1"),
])
def test_constructs_re2_lacks_are_refused(pattern: str, what: str) -> None:
    with pytest.raises(regex.RegexError) as e:
        regex.compile(pattern)
    assert what in str(e.value) and repr(pattern) in str(e.value)


@pytest.mark.parametrize(("pattern", "text", "hit"), [
    (r"^a\Z", "a", True), (r"^a\Z", "a\n", False), (r"^a\\Z", "a\\Z", True), (r"^a$", "a", True),
    (r"(?P<name>\w+)", "x", True), ("^(dev|staging|prod)$", "prod", True), ("^(dev|staging|prod)$", "qa", False),
])
def test_python_and_go_spellings(pattern: str, text: str, hit: bool) -> None:
    assert (regex.compile(pattern).search(text) is not None) is hit


@pytest.mark.parametrize(("glob", "text", "hit"), [
    ("kube-*", "kube-system", True), ("kube-*", "kube", False), ("a?c", "abc", True), ("a.c", "abc", False),
    ("*", "a\nb", True), ("*a*a*a*a*a*b", "a" * 100_000, False),
])
def test_globs(glob: str, text: str, hit: bool) -> None:
    assert (regex.glob(glob).match(text) is not None) is hit


RULE = """apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: contact}
spec:
  match: {kinds: [Deployment]}
  requiredAnnotations:
    - key: contact
      allowedRegex: "^(?=.*@)[a-z.]+@corp\\\\.com$"
"""


def test_a_rule_with_a_lookahead_is_a_load_error_at_its_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rule.yaml"
    path.write_text(RULE, encoding="utf-8")
    with pytest.raises(GuardrailsError) as e:
        load_rules([str(path)], builtin=False)
    text = e.value.render()
    assert "lookahead" in text and "rule.yaml:8" in text, text
