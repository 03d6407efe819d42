"""Every manifest document counts: over generated and mutated manifests, a scan never raises,
and the resources judged plus the documents skipped (not Kubernetes objects) plus the documents
reported as problems add up to the documents the file holds (issue 14: every input is read or
says why).

A manifest document is each YAML document; a `kind: List` (any `*List` kind with an `items`
list) stands for its items; an empty document is nothing; a document the reader cannot
construct (nested past its bound) is one problem, whatever it held.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from guardrails.errors import GuardrailsError
from guardrails.policy.load import load_rules
from guardrails.scan import scan_text
from tests.property import strategies as gen
from tests.property.test_rule_documents import dump

ENGINE = None


def engine() -> Any:
    global ENGINE
    if ENGINE is None:
        from guardrails.engine import Engine

        ENGINE = Engine(load_rules(builtin=True, profiles=("all",)).rules)
    return ENGINE


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"team": "a"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "securityContext": {"privileged": True}}]},
    }


def deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}},
    }


@st.composite
def leaf(draw: st.DrawFn, i: int) -> Any:
    doc = draw(st.sampled_from([pod, deployment]))(f"obj-{i}")
    if not draw(st.booleans()):
        return doc
    doc = copy.deepcopy(doc)
    where = draw(st.sampled_from(gen.paths(doc)))
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["drop", "retype", "deep"]))
    if how == "drop":
        del parent[where[-1]]
    elif how == "retype":
        parent[where[-1]] = draw(gen.ADVERSARIAL)
    else:
        parent[where[-1]] = gen.nested(draw(st.sampled_from([40, 600])))
    return doc


def expected(doc: Any) -> int:
    if doc is None:
        return 0
    if not gen.constructible(doc):
        return 1
    if (
        isinstance(doc, dict)
        and isinstance(doc.get("kind"), str)
        and doc["kind"].endswith("List")
        and isinstance(doc.get("apiVersion"), str)
        and isinstance(doc.get("items"), list)
    ):
        return len(doc["items"])
    return 1


@gen.PROFILE
@given(st.data())
def test_every_manifest_document_is_judged_skipped_or_a_problem(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 4))
    leaves = [data.draw(leaf(i)) for i in range(n)]
    docs = gen.wrapped(leaves, data.draw(st.sampled_from(["documents", "yaml list", "kind: List", "mixed"])))
    result = scan_text(dump(docs), "gen.yaml", engine())
    for p in result.problems:
        assert isinstance(p, GuardrailsError)
        assert p.location is not None and p.location.path == "gen.yaml" and p.location.line >= 1
    assert result.resources + result.skipped + len(result.problems) == sum(expected(d) for d, _ in docs), (
        result.resources, result.skipped, [p.render()[:200] for p in result.problems])
