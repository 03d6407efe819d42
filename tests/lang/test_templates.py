"""`{{ }}` substitution: whole values, spliced text, nesting, escapes, `@`, keys, DELETE."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.lang import templates as variables

DATA: dict[str, Any] = {
    "request": {
        "operation": "CREATE",
        "object": {"metadata": {"name": "web", "labels": {"team": "a"}},
                   "spec": {"replicas": 3, "containers": [{"name": "c", "image": "nginx"}]}},
        "userInfo": {"username": "alice"},
    },
    "serviceAccountName": "builder",
    "element": {"resources": {"limits": {"memory": "512Mi"}, "requests": {"memory": "128Mi"}}},
}

CASES: list[tuple[Any, Any]] = [
    ("{{ request.object.spec.replicas }}", 3),  # a whole-string variable keeps its type
    ("{{request.object.metadata.labels}}", {"team": "a"}),
    ("replicas={{ request.object.spec.replicas }}", "replicas=3"),
    ("labels: {{ request.object.metadata.labels }}", 'labels: {"team":"a"}'),
    ("{{ request.userInfo.username }}/{{ serviceAccountName }}", "alice/builder"),
    ("{{ request.object.metadata.labels.owner || 'nobody' }}", "nobody"),
    ("{{ divide('{{ element.resources.limits.memory }}', '{{ element.resources.requests.memory }}') }}", 4.0),
    ("\\{{ not.a.variable }}", "{{ not.a.variable }}"),
    ("a \\{{ b }} {{ request.operation }}", "a {{ b }} CREATE"),
    ("no variables", "no variables"),
    ({"{{ request.object.metadata.name }}-key": ["{{ request.operation }}"]}, {"web-key": ["CREATE"]}),
    ({"spec": {"containers": [{"image": "{{ @ }}"}]}}, {"spec": {"containers": [{"image": "nginx"}]}}),
]


@pytest.mark.parametrize(("doc", "want"), CASES, ids=[repr(c[0])[:60] for c in CASES])
def test_substitute(doc: Any, want: Any) -> None:
    path = ("validate", "pattern") if isinstance(doc, dict) and "spec" in doc else ()
    assert variables.substitute(doc, DATA, path=path) == want


def test_delete_reads_the_old_object() -> None:
    data = {"request": {"operation": "DELETE", "object": None, "oldObject": {"metadata": {"name": "gone"}}}}
    assert variables.substitute("{{ request.object.metadata.name }}", data) == "gone"


def test_shallow_substitution_does_not_resolve_again() -> None:
    data = {"x": "{{ y }}", "y": "deep"}
    assert variables.substitute("v={{- x }}", data) == "v={{ y }}"
    assert variables.substitute("v={{ x }}", data) == "v=deep"


@pytest.mark.parametrize("text", ["{{ request.object.metadata.labels.owner }}", "{{ nosuch }}", "{{ request.[ }}"])
def test_unresolvable(text: str) -> None:
    with pytest.raises(variables.SubstitutionError):
        variables.substitute(text, DATA)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (True, "true"), (3, "3"), (3.0, "3"), (2.5, "2.5"), ("<a&b>", '"\\u003ca\\u0026b\\u003e"'),
     ({"b": 1, "a": [1, "x"]}, '{"a":[1,"x"],"b":1}')],
)
def test_go_json(value: Any, text: str) -> None:
    assert variables.go_json(value) == text
