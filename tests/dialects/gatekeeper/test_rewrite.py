from __future__ import annotations

import pytest

from guardrails.dialects.gatekeeper import rego, rewrite

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


REWRITES = [
    (
        "iteration in a call argument is hoisted",
        "package t\np {\n  f(input.xs[_])\n}",
        "package t\np {\n  __gk1 := input.xs[_]\n  f(__gk1)\n}",
    ),
    ("never under not", "package t\np {\n  not f(input.xs[_])\n}", "package t\np {\n  not f(input.xs[_])\n}"),
    (
        "extra bodies get the head",
        "package t\ng(x) = y {\n  y := 1\n} {\n  y := 2\n}",
        "package t\ng(x) = y {\n  y := 1\n}\ng(x) = y {\n  y := 2\n}",
    ),
    (
        "a line starting with ( ends the one before",
        "package t\np {\n  input.a\n  (1 - 2) < 0\n}",
        "package t\np {\n  input.a;\n  (1 - 2) < 0\n}",
    ),
    (
        "negated call arguments are bound first",
        "package t\np {\n  not ok(x, params.ranges)\n}",
        "package t\np {\n  __gk1001 := params.ranges\n  not ok(x, __gk1001)\n}",
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in REWRITES], ids=[c[0] for c in REWRITES])
def test_rewrites_for_rego_cpp(source: str, expected: str) -> None:
    assert rewrite.rewrite(source) == expected


QUERIES = [
    ("iteration in a call argument", "f(x) { x > 1 }\nviolation[{\"msg\": \"m\"}] {\n  f(input.xs[_])\n}", {"xs": [1, 2]}, ["m"]),
    ("several bodies", "g(x) = 1 { x == \"a\" } { x == \"b\" }\nviolation[{\"msg\": \"m\"}] { g(input.s) == 1 }", {"s": "b"}, ["m"]),
    ("undefined argument under not fails", "ok(\"any\", _)\nviolation[{\"msg\": \"m\"}] { p := input.p\n  not ok(p.rule, p.missing)\n}", {"p": {"rule": "x"}}, []),
    ("replace with an empty old string", "violation[{\"msg\": m}] { m := replace(input.s, \"\", \"-\") }", {"s": "ab"}, ["-a-b-"]),
    ("replace with empty old and new", "violation[{\"msg\": m}] { m := replace(input.s, \"\", \"\") }", {"s": "oops"}, ["oops"]),
]


@pytest.mark.parametrize(("module", "input_", "expected"), [c[1:] for c in QUERIES], ids=[c[0] for c in QUERIES])
def test_rewritten_modules_evaluate_as_opa_does(module: str, input_: dict[str, object], expected: list[str]) -> None:
    assert rego.RegoProgram("package t\n" + module, (), "t").evaluate(input_) == expected
