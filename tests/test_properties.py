"""Property tests: whatever bytes or rule files come in, the outcome is findings or a one-line
error naming the file — never a traceback — and a file with one bad rule never loads silently."""

from __future__ import annotations

import pathlib
import tempfile

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.engine import Engine
from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.policy.load import load_rules
from guardrails.scan import scan_text

BUILTIN = load_rules(builtin=True)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.sampled_from(["", "*", "1Gi", "500m", "nginx:latest"]))
KEYS = st.sampled_from(
    ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "spec", "template", "containers", "image",
     "resources", "limits", "requests", "cpu", "memory", "initContainers", "items", "jobTemplate", "x"]
)
TREES = st.recursive(SCALARS, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(KEYS, c, max_size=5)), max_leaves=25)
KINDS = st.sampled_from(["Pod", "Deployment", "CronJob", "StatefulSet", "List", "Job", "Service", ""])


@st.composite
def manifests(draw: st.DrawFn) -> str:
    doc = draw(st.dictionaries(KEYS, TREES, max_size=6))
    doc["apiVersion"] = draw(st.sampled_from(["v1", "apps/v1", "batch/v1", 3]))
    doc["kind"] = draw(KINDS)
    text = yaml.safe_dump(doc)
    # mutate the text: cut it, or splice in characters YAML cares about
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", ":", "- ", "{", "\t", "'", "&a", "*a", "\n  x: [", "%"])) + text[cut:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(manifests(), min_size=1, max_size=3))
def test_any_manifest_text_gives_findings_or_located_problems(docs: list[str]) -> None:
    engine = Engine(BUILTIN.rules)
    result = scan_text("---\n".join(docs), "gen.yaml", engine)
    for p in result.problems:
        assert isinstance(p, GuardrailsError)
        assert p.location is not None and p.location.path == "gen.yaml" and p.location.line >= 1
    for f in result.findings:
        assert f.location is not None and f.location.line >= 1


GOOD_RULE = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata:
  name: rule-{i}
spec:
  severity: high
  match: {{kinds: [Pod]}}
  requiredLabels: [team]
"""

MUTATIONS = st.sampled_from(
    [
        ("requiredLabels: [team]", "requiredLabels: [{key: team, allowedRegex: '(unclosed'}]"),
        ("severity: high", "severity: urgent"),
        ("requiredLabels", "reqiredLabels"),
        ("kinds: [Pod]", "kinds: Pod"),
        ("name: rule-", "name: Rule_"),
        ("  match", "match"),
        ("kind: Rule", "kind: Rul"),
        ("spec:\n", "spec: ["),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=5), st.data())
def test_one_bad_rule_never_loads_the_others_silently(n: int, data: st.DataObject) -> None:
    bad = data.draw(st.integers(0, n - 1))
    old, new = data.draw(MUTATIONS)
    docs = [GOOD_RULE.format(i=i) for i in range(n)]
    docs[bad] = docs[bad].replace(old, new, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "rules.yaml"
        path.write_text("---\n".join(docs))
        try:
            rs = load_rules([path])
        except RuleFileError as e:
            assert e.location is not None and e.location.path.endswith("rules.yaml")
            assert "\n" not in e.render()
            return
    # a mutation that is still valid must load every rule
    assert len(rs.rules) == n
