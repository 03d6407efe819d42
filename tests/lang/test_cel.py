"""The one CEL runtime: Kubernetes' syntax and libraries, variables, errors and the cost bound."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from guardrails.lang import cel

ENV = cel.environment(("object", "oldObject", "request", "params"))
POD = {"metadata": {"name": "web", "labels": {"app": "x"}},
       "spec": {"containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}], "replicas": 3}}

# (expression, expected value); every one evaluated on POD
CASES: list[tuple[str, Any]] = [
    ("object.?spec.?replicas.orValue(1)", 3),
    ("object.?spec.?missing.orValue(1)", 1),
    ("object.metadata[?'labels'].orValue({}).app", "x"),
    ("optional.of(2).hasValue()", True),
    ("optional.none().orValue('d')", "d"),
    ("cel.bind(n, object.spec.containers.size(), n * 2)", 4),
    ("object.spec.containers.map(c, c.name).join(',')", "a,b"),
    ("'a-b'.split('-').size()", 2),
    ("'%s=%d'.format(['k', 1])", "k=1"),
    ("math.greatest([1, 5, 3])", 5),
    ("base64.encode(b'hi')", "aGk="),
    ("[3, 1, 2].sort()", [1, 2, 3]),
    ("[1, 2, 3].isSorted()", True),
    ("[1, 2, 3].sum()", 6),
    ("[4, 2].min()", 2),
    ("[[1], [2, 3]].flatten()", [1, 2, 3]),
    ("[1, 1, 2].distinct()", [1, 2]),
    ("[1, 2, 3].slice(1, 2)", [2]),
    ("[1, 2].indexOf(2)", 1),
    ("'ab'.indexOf('b')", 1),
    ("sets.contains([1, 2], [2])", True),
    ("sets.intersects([1], [2])", False),
    ("quantity('1Gi').isGreaterThan(quantity('500Mi'))", True),
    ("quantity('500m').compareTo(quantity('0.5'))", 0),
    ("quantity('1').add(2).asInteger()", 3),
    ("isQuantity('1x')", False),
    ("url('https://example.com:8443/a?b=c').getHostname()", "example.com"),
    ("url('https://example.com:8443/a?b=c').getPort()", "8443"),
    ("isURL('not a url')", False),
    ("ip('10.0.0.1').family()", 4),
    ("ip('::1').isLoopback()", True),
    ("cidr('10.0.0.0/8').containsIP('10.2.3.4')", True),
    ("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", True),
    ("cidr('192.168.1.7/24').masked().prefixLength()", 24),
    ("isCIDR('10.0.0.0')", False),
    ("semver('1.2.3').isLessThan(semver('1.10.0'))", True),
    ("semver('v1.2', true).minor()", 2),
    ("isSemver('1.2')", False),
    ("has(object.spec.missing)", False),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expression(expression: str, expected: Any) -> None:
    act = ENV.activation({"object": POD})
    assert ENV.compile(expression).value(act) == expected


@pytest.mark.parametrize(("expression", "error"), [
    ("object.spec.missing", "missing"),
    ("object.spec.replicas / 0", "divide by zero"),
    ("quantity('nope')", "quantit"),
    ("object.spec.containers.size() == 'x'", ""),
])
def test_errors_are_errors(expression: str, error: str) -> None:
    act = ENV.activation({"object": POD})
    with pytest.raises(cel.CelError) as e:
        ENV.compile(expression).boolean(act)
    assert error in e.value.message


def test_compile_errors_name_the_expression() -> None:
    with pytest.raises(cel.CelCompileError) as e:
        ENV.compile("object.spec.(", ("spec", "validations", 0, "expression"))
    assert "object.spec.(" in e.value.message
    assert e.value.path == ("spec", "validations", 0, "expression")


def test_variables_are_lazy_and_may_read_earlier_ones() -> None:
    scope = cel.Scope(("object",), [
        {"name": "names", "expression": "object.spec.containers.map(c, c.name)"},
        {"name": "count", "expression": "variables.names.size()"},
        {"name": "broken", "expression": "object.spec.nothing.here"},
    ], ("variables",))
    act = scope.activation({"object": POD})
    assert scope.compile("variables.count == 2 && (true || variables.broken)").boolean(act) is True
    with pytest.raises(cel.CelEvalError):
        scope.compile("variables.broken == 1").boolean(act)


@pytest.mark.parametrize("raw", [
    [{"name": "a", "expression": "variables.b"}, {"name": "b", "expression": "1"}],
    [{"name": "a", "expression": "variables.zzz"}],
])
def test_variables_read_only_what_is_defined_before(raw: list[dict[str, str]]) -> None:
    with pytest.raises(cel.CelCompileError):
        cel.Scope(("object",), raw, ("variables",))


def test_many_variables_are_evaluated_in_order() -> None:
    raw = [{"name": f"v{i}", "expression": f"variables.v{i - 1} + 1" if i else "0"} for i in range(20)]
    raw.append({"name": "broken", "expression": "object.spec.nothing"})
    scope = cel.Scope(("object",), raw, ("variables",))
    assert scope.materialized
    act = scope.activation({"object": POD})
    assert scope.compile("variables.v19 == 19").boolean(act) is True
    with pytest.raises(cel.CelEvalError) as e:
        scope.compile("variables.broken == 1").boolean(act)
    assert "variables.broken" in e.value.message


def test_strings_inside_literals_are_not_variables() -> None:
    scope = cel.Scope(("object",), [{"name": "x", "expression": "'variables.x'"}], ("variables",))
    assert scope.compile("variables.x == 'variables.x'").boolean(scope.activation({"object": POD})) is True


def test_the_cost_bound_stops_a_quadratic_expression_on_a_large_input() -> None:
    big = {"spec": {"items": list(range(3000))}}
    program = ENV.compile("object.spec.items.all(a, object.spec.items.all(b, a + b >= 0))")
    with pytest.raises(cel.CelEvalError) as e:
        program.boolean(ENV.activation({"object": big}))
    assert "cost" in e.value.message
    # the same expression on a small input runs
    assert program.boolean(ENV.activation({"object": {"spec": {"items": [1, 2]}}})) is True


def test_the_evaluation_budget_is_shared_by_a_policy() -> None:
    budget = cel.Budget(left=10)
    program = ENV.compile("object.spec.replicas > 0 && object.spec.replicas < 100")
    act = ENV.activation({"object": POD})
    with pytest.raises(cel.CelEvalError):
        for _ in range(5):
            program.boolean(act, budget)


def test_big_numbers_and_foreign_values_are_read_as_json() -> None:
    act = ENV.activation({"object": {"n": 2**70, "d": __import__("datetime").date(2024, 1, 2), 1: "k"}})
    assert ENV.compile("object.n > 1.0 && object.d == '2024-01-02' && object['1'] == 'k'").boolean(act) is True


KYVERNO = cel.environment(("object",), libraries=("kyverno",))

# orValue as Kyverno reads it (its receiver macro), in every dialect: (expression, expected value
# on POD, or the error's words).
OR_VALUE: list[tuple[str, Any]] = [
    ("object.spec.containers.orValue([]).size()", 2),  # a concrete receiver is itself
    ("object.spec.?containers.orValue([]).size()", 2),
    ("object.spec.?initContainers.orValue([]).size()", 0),
    ("object.metadata[?'labels'].orValue({}).?app.orValue('none')", "x"),
    ("object.metadata.labels.?team.orValue('none')", "none"),
    ("!object.spec.?paused.orValue(false)", True),
    ("object.spec.containers.map(c, c.?ports.orValue([]).size()).sum()", 0),
    ("(object.spec.replicas > 1 ? optional.of(1) : optional.none()).orValue(0)", 1),
    ("'a'.orValue('b')", "a"),
    # inside a comprehension, beside another one (cel-cpp's lazy bindings would misread this)
    ("[{'x': 'a'}, {}].all(c, c.?x.orValue('') == '' || ['a'].exists(q, q == c.x))", True),
    ("object.?spec.?replicas.orValue(object.spec.replicas / 0)", "divide by zero"),  # both sides evaluated
    ("object.spec.missing.orValue(1)", "missing"),  # an error receiver stays an error
]


@pytest.mark.parametrize(("expression", "expected"), OR_VALUE, ids=[c[0] for c in OR_VALUE])
@pytest.mark.parametrize("env", [ENV, KYVERNO], ids=["kubernetes", "kyverno"])
def test_or_value_takes_any_receiver(env: cel.Environment, expression: str, expected: Any) -> None:
    act = env.activation({"object": POD})
    program = env.compile(expression)
    if isinstance(expected, str) and expected in ("divide by zero", "missing"):
        with pytest.raises(cel.CelEvalError) as e:
            program.value(act)
        assert expected in e.value.message
    else:
        assert program.value(act) == expected


def test_or_value_does_not_count_as_a_comprehension() -> None:
    plain_text = "object.spec.containers.all(c, c.ports.all(p, p > 0))"
    with_or = "object.spec.containers.all(c, c.ports.orValue([]).all(p, p.?x.orValue(1) > 0))"
    assert KYVERNO.compile(with_or).depth == KYVERNO.compile(plain_text).depth == 2


def test_or_value_inside_strings_and_variables() -> None:
    variables = cel.compile_variables(KYVERNO, [{"name": "n", "expression": "object.spec.containers.orValue([])"}], ())
    program = KYVERNO.compile("variables.n.size() == 2 && 'x.orValue(1)' != ''", (), variables)
    assert program.boolean(KYVERNO.activation({"object": POD}))


# Kyverno's time library, with the evaluation time in the hooks: (expression, expected).
NOW = datetime.datetime(2026, 3, 6, 10, 10, 3, tzinfo=datetime.UTC)  # a Friday
TIME: list[tuple[str, Any]] = [
    ("time.now() == timestamp('2026-03-06T10:10:03Z')", True),
    ("time.now() - duration('4380h') > timestamp('2020-05-01T03:15:12-07:00')", True),
    ("time.truncate(time.now(), duration('1h')) == timestamp('2026-03-06T10:00:00Z')", True),
    ("time.truncate(time.now(), duration('24h')) == timestamp('2026-03-06T00:00:00Z')", True),
    ("time.truncate(timestamp('2026-03-06T10:10:03.5Z'), duration('1s')) == timestamp('2026-03-06T10:10:03Z')", True),
    ("time.toCron(time.now())", "10 10 6 3 5"),
    ("time.toCron(timestamp('2026-03-08T00:05:00Z'))", "5 0 8 3 0"),  # Sunday is 0
]


@pytest.mark.parametrize(("expression", "expected"), TIME, ids=[c[0] for c in TIME])
def test_kyverno_time_reads_the_given_time(expression: str, expected: Any) -> None:
    from guardrails.lang import cel_k8s

    token = cel_k8s.HOOKS.set({"now": NOW})
    try:
        assert KYVERNO.compile(expression).value(KYVERNO.activation({"object": POD})) == expected
    finally:
        cel_k8s.HOOKS.reset(token)


def test_without_a_given_time_time_now_is_an_error_never_the_clock() -> None:
    with pytest.raises(cel.CelEvalError) as e:
        KYVERNO.compile("time.now() > timestamp('2000-01-01T00:00:00Z')").boolean(KYVERNO.activation({"object": POD}))
    assert "no evaluation time" in e.value.message
