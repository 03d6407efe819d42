"""JMESPath helpers: templates keep types or interpolate, truthiness, the path an expression reads."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.errors import ParamError
from guardrails.lang import jmespath as jmes
from guardrails.lang.quote import quote
from guardrails.model import FieldPath

DATA = {"metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "shop"}}, "spec": {"replicas": 2, "items": [1, 2]}}


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("{{ spec.replicas }}", 2),
        ("  {{spec.items}}  ", [1, 2]),
        ("{{ spec.missing }}", None),
        ("n={{ spec.replicas }}", "n=2"),
        ("{{ metadata.name }}-{{ spec.items }}", "web-[1, 2]"),
        ('{{ metadata.labels."app.kubernetes.io/name" }}', "shop"),
        ("plain", "plain"),
        (7, 7),
        (["{{ spec.replicas }}", "x"], [2, "x"]),
        ({"a": "{{ metadata.name }}"}, {"a": "web"}),
    ],
)
def test_templates(template: Any, value: Any) -> None:
    assert jmes.compile_template(template, ())(DATA) == value


def test_message_templates_quote_values() -> None:
    render = jmes.compile_template("{{ metadata.name }} has {{ spec.replicas }} and {{ spec.nothing }}", (), quote)
    assert render(DATA) == '"web" has 2 and null'


@pytest.mark.parametrize(
    ("value", "truth"),
    [(None, False), (False, False), ("", False), ([], False), ({}, False), (0, True), (True, True), ("x", True), ([0], True)],
)
def test_truthy(value: Any, truth: bool) -> None:
    assert jmes.truthy(value) is truth


@pytest.mark.parametrize(
    ("expression", "path"),
    [
        ("spec.replicas", ("spec", "replicas")),
        ("spec.containers[0].image", ("spec", "containers", 0, "image")),
        ("spec.replicas >= `2`", ("spec", "replicas")),
        ("metadata.labels.team || 'none'", ("metadata", "labels", "team")),
        ('metadata.labels."app.kubernetes.io/name"', ("metadata", "labels", "app.kubernetes.io/name")),
        ("spec.containers[*].image", None),
        ("length(spec.containers)", None),
        ("`1` < spec.replicas", None),
        ("request.object.spec.replicas", ("spec", "replicas")),
        ("request.operation", None),
    ],
)
def test_field_path(expression: str, path: FieldPath | None) -> None:
    assert jmes.field_path(jmes.compile_expression(expression, ())) == path


@pytest.mark.parametrize(
    ("text", "message"),
    [("spec.[", "at column 7: the expression is incomplete"), ("a b", "at column 3: Unexpected token: b"),
     ("`x", "at column 1: Unclosed ` delimiter"), ("", "expected a JMESPath expression"), (3, "expected a JMESPath expression")],
)
def test_expression_errors_name_the_column(text: Any, message: str) -> None:
    with pytest.raises(ParamError) as e:
        jmes.compile_expression(text, ("key",))
    assert message in e.value.message and e.value.path == ("key",)


READS = [
    ("spec.encrypted", {("spec", "encrypted")}),
    ("spec.encrypted == `true`", {("spec", "encrypted")}),
    ("spec.items[0].a", {("spec", "items", 0, "a")}),
    ("spec.items[-1].a", {("spec", "items", "*", "a")}),
    ("spec.containers[*].image", {("spec", "containers", "*", "image")}),
    (
        "spec.ingress[?from_port <= `22` && contains(cidr_blocks, '0.0.0.0/0')]",
        {("spec", "ingress", "*", "from_port"), ("spec", "ingress", "*", "cidr_blocks")},
    ),
    ("length(spec.ingress[?to_port >= `22`]) > `0`", {("spec", "ingress", "*", "to_port")}),
    ("keys(spec)", {("spec",)}),
    ("spec.a | length(@)", {("spec", "a")}),
    ("spec.x || 'default'", {("spec", "x")}),
    ("sort_by(spec.list, &name)[0].name", {("spec", "list")}),
    ("{a: spec.a, b: metadata.labels.team}", {("spec", "a"), ("metadata", "labels", "team")}),
    ("`true`", set()),
]


@pytest.mark.parametrize(("expression", "expected"), READS)
def test_reads(expression: str, expected: set[FieldPath]) -> None:
    assert jmes.reads(jmes.compile_expression(expression, ())) == expected


def test_template_reads_every_placeholder() -> None:
    value = {"key": "{{ spec.a }} and {{ metadata.name }}", "value": ["{{ spec.b[0] }}", "plain"]}
    assert jmes.template_reads(value) == {("spec", "a"), ("metadata", "name"), ("spec", "b", 0)}


def test_the_envelope_is_built_only_for_rules_that_mention_request() -> None:
    from guardrails.model import Origin, Resource

    r = Resource(obj=DATA, origin=Origin("x"), request={"operation": "UPDATE", "userInfo": {"username": "ann"}},
                 old_obj={"spec": {"replicas": 1}})
    assert jmes.data(r, envelope=False) is DATA
    data = jmes.data(r, envelope=True)
    assert data["spec"] == DATA["spec"]
    assert data["request"] == {"operation": "UPDATE", "userInfo": {"username": "ann"}, "object": DATA,
                               "oldObject": {"spec": {"replicas": 1}}}
    assert jmes.reads_request(["x", {"k": "{{ request.oldObject.spec }}"}])
    assert not jmes.reads_request({"k": "request", "v": "{{ spec.replicas }}", "n": 3})
    assert jmes.reads(jmes.compile_expression("request.object.spec.replicas > request.oldObject.spec.replicas", ())) == {
        ("spec", "replicas")}


def test_ordering_mismatched_types_is_null_as_the_spec_says() -> None:
    parsed = jmes.compile_expression("metadata.name > `1`", ())
    assert jmes.search(parsed, DATA) is None
    assert jmes.compile_template("{{ metadata.name > `1` }}", ())(DATA) is None


# One interpreter, two missing-key modes, Kyverno's functions in both.
MODES: list[tuple[str, str, object]] = [
    # expression, mode, result (an exception class: raised)
    ("metadata.labels.team", jmes.NULL, None),
    ("metadata.labels.team", jmes.ERROR, jmes.NotFound),
    ("metadata.labels.team || 'none'", jmes.ERROR, "none"),
    ("to_upper(metadata.labels.app)", jmes.NULL, "WEB"),
    ("to_upper(metadata.labels.app)", jmes.ERROR, "WEB"),
    ("divide('1Gi', '512Mi')", jmes.NULL, 2.0),
    ("metadata.name > `1`", jmes.NULL, None),  # mismatched ordering: null, as the specification says
]


@pytest.mark.parametrize(("expr", "mode", "want"), MODES)
def test_missing_key_modes_share_one_interpreter(expr: str, mode: str, want: object) -> None:
    obj = {"metadata": {"name": "p", "labels": {"app": "web"}}}
    if isinstance(want, type) and issubclass(want, Exception):
        with pytest.raises(want):
            jmes.search(expr, obj, missing=mode)
        return
    assert jmes.search(expr, obj, missing=mode) == want
    assert jmes.search(jmes.compile_expression(expr, ()), obj, missing=mode) == want


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("{{ {n: metadata.name} }}", {"n": "web"}),  # one level of braces, as in Kyverno
        ("name \\{{ metadata.name }}", "name {{ metadata.name }}"),  # an escaped placeholder is text
        ("\\{{ literal }} and {{ metadata.name }}", "{{ literal }} and web"),
        ("{{ metadata.name }}{{ metadata.name }}", "webweb"),  # adjacent placeholders
    ],
)
def test_native_templates_read_kyvernos_placeholder_grammar(template: str, value: object) -> None:
    assert jmes.compile_template(template, ())(DATA) == value
