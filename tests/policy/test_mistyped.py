"""A rule document whose fields have the wrong type or shape is a located load error for that
document, never a traceback, and the rules beside it still load (found by generated mutations)."""

from __future__ import annotations

import pathlib

import pytest

from guardrails import GuardrailsError, load_rules
from guardrails.policy.load import lint_rules

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
    # match block -> the field the error must name
    "any is a string": ('any: "oops"', "match.any"),
    "resources is a list": ("resources: [Pod]", "match.resources"),
    "an any item is a string": ("any: [Pod]", "match.any[0]"),
    "kinds is a string": ("resources: {kinds: Pod}", "match.resources.kinds"),
    "any resources is a list": ("any: [{resources: [Pod]}]", "match.any[0].resources"),
    "selector is a list": ("any: [{resources: {kinds: [Pod], selector: [a]}}]", "match.any[0].resources.selector"),
}


def _lint(folder: pathlib.Path) -> tuple[set[str], list[str]]:
    ruleset, problems = lint_rules([folder])
    return {r.id.split("/")[0] for r in ruleset.rules}, [p.render() for p in problems]


@pytest.mark.parametrize(("match", "field"), list(_MATCHES.values()), ids=list(_MATCHES))
def test_a_mistyped_match_is_an_error_at_its_field(tmp_path: pathlib.Path, match: str, field: str) -> None:
    bad = (
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: bad}\nspec:\n  rules:\n"
        f"  - name: r\n    match: {{{match}}}\n    validate: {{pattern: {{spec: {{hostNetwork: false}}}}}}\n"
    )
    (tmp_path / "bad.yaml").write_text(_GOOD + "---\n" + bad, encoding="utf-8")
    loaded, rendered = _lint(tmp_path)
    assert loaded == {"good"}, rendered
    assert len(rendered) == 1 and f"spec.rules[0].{field}:" in rendered[0] and "bad.yaml:16:" in rendered[0], rendered
    with pytest.raises(GuardrailsError):
        load_rules([str(tmp_path)], builtin=False)


_VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: %s}
spec:
  matchConstraints: {resourceRules: %s}
  validations: [{expression: "true"}]
"""
_RULES = '[{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]'

_TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8sreqteam}
spec:
  crd: {spec: {names: {kind: K8sReqTeam}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8sreqteam
      violation[{"msg": "team"}] { not input.review.object.metadata.labels.team }
"""
_CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sReqTeam
metadata: {name: %s}
spec: {match: %s}
"""

# Dialects that compile after every file is read (a VAP with its bindings, a constraint with its
# template): one broken document is its own error and its good neighbours still load.
_DEFERRED = {
    "VAP resourceRules is a number": (_VAP % ("good-vap", _RULES) + "---\n" + _VAP % ("bad-vap", "1"), {"good-vap"}),
    "VAP without a name": (_VAP % ("good-vap", _RULES) + "---\n" + (_VAP % ("x", _RULES)).replace("metadata: {name: x}\n", ""),
                           {"good-vap"}),
    "constraint match is a string": (
        _TEMPLATE + "---\n" + _CONSTRAINT % ("good", "{kinds: [{apiGroups: [''], kinds: [Pod]}]}")
        + "---\n" + _CONSTRAINT % ("bad", '"Pod"'),
        {"K8sReqTeam"},
    ),
}


@pytest.mark.parametrize(("text", "loads"), list(_DEFERRED.values()), ids=list(_DEFERRED))
def test_a_broken_deferred_document_leaves_its_neighbours_loaded(tmp_path: pathlib.Path, text: str, loads: set[str]) -> None:
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    ruleset, problems = lint_rules([tmp_path])
    assert {r.policy or r.name for r in ruleset.rules} == loads, [p.render() for p in problems]
    assert len(problems) == 1 and "rules.yaml:" in problems[0].render(), [p.render() for p in problems]
    documents = text.count("---\n") + 1
    assert ruleset.documents == {"loaded": documents - 1, "error": 1}
