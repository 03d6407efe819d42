from __future__ import annotations

import pytest

from guardrails.gatekeeper import rego, rewrite

CASES = [
    ("set rule", 'violation[{"msg": msg}] {\n  msg := "x"\n}', 'violation contains {"msg": msg} {\n  msg := "x"\n}'),
    ("object rule kept", "labels[k] = v {\n  v := 1\n}", "labels[k] = v {\n  v := 1\n}"),
    ("object rule := kept", "labels[k] := v {\n  v := 1\n}", "labels[k] := v {\n  v := 1\n}"),
    ("function kept", "f(x) {\n  x\n}", "f(x) {\n  x\n}"),
    ("bracket in string", 'v[{"m": "a]b"}] { true }', 'v contains {"m": "a]b"} { true }'),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rewrite(source: str, expected: str) -> None:
    assert rewrite.rewrite(source) == expected


def test_partial_sets_iterate_their_members_after_rewrite() -> None:
    module = "package t\ncs[c] { c := input.xs[_] }\nviolation[{\"msg\": m}] {\n  c := cs[_]\n  m := sprintf(\"%v\", [c.name])\n}\n"
    program = rego.RegoProgram(module, (), "t")
    assert sorted(program.evaluate({"xs": [{"name": "a"}, {"name": "b"}]})) == ["a", "b"]


def test_messages_keep_quotes_and_backslashes() -> None:
    module = 'package t\nviolation[{"msg": m}] {\n  m := sprintf("%v %v", [input.s, {"k": input.s}])\n}\n'
    program = rego.RegoProgram(module, (), "t")
    assert program.evaluate({"s": 'a"b\\.c'}) == ['a"b\\.c {"k": "a\\"b\\\\.c"}']


def test_missing_builtins_are_named() -> None:
    assert rego.missing_builtins(["package t\np { no_such.builtin(1) }\nf(x) { x }\nq { f(1) }"]) == ["no_such.builtin"]
