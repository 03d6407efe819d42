"""A rule document whose fields have the wrong type or shape is a located load error for that
document, never a traceback, and the rules beside it still load (found by generated mutations)."""

from __future__ import annotations

import pathlib

import pytest

from guardrails import GuardrailsError, load_rules

_GOOD = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: good}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {pattern: {spec: {hostNetwork: false}}}
"""

_MATCHES = {
    "any is a string": 'any: "oops"',
    "resources is a list": "resources: [Pod]",
    "an any item is a string": "any: [Pod]",
    "kinds is a string": "resources: {kinds: Pod}",
}


@pytest.mark.parametrize("match", list(_MATCHES.values()), ids=list(_MATCHES))
def test_a_mistyped_match_is_an_error_at_its_document(tmp_path: pathlib.Path, match: str) -> None:
    bad = (
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: bad}\nspec:\n  rules:\n"
        f"  - name: r\n    match: {{{match}}}\n    validate: {{pattern: {{spec: {{hostNetwork: false}}}}}}\n"
    )
    (tmp_path / "bad.yaml").write_text(_GOOD + "---\n" + bad, encoding="utf-8")
    try:
        ruleset = load_rules([str(tmp_path)], builtin=False)
    except GuardrailsError as e:
        problems = e.all() if hasattr(e, "all") else [e]
        rendered = [p.render() for p in problems]
        assert any("bad.yaml:10" in r or "bad.yaml:9" in r for r in rendered), rendered
        return
    # Kyverno's own reading may accept some shapes: then the policy loads, and the good one too.
    assert {r.id.split("/")[0] for r in ruleset.rules} >= {"good"}
