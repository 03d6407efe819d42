"""Every kind of rule document, the same table against `scan`, `rules lint` and the webhook's
loader: each is an error naming its file and line, a visible skip, or a counted neighbour, and the
good rule beside it still loads (and, where the run goes on, still judges its resource).

A scan stops at an invalid rule file (exit 2, as `kyverno apply` and conftest do); the webhook
keeps the set it had (tests/webhook/test_reload_report.py shows that on the real server).
"""

from __future__ import annotations

import os
import pathlib

import pytest

from guardrails import GuardrailsError
from guardrails.webhook.rules import RuleStore
from tests.conftest import CliRunner

GOOD = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: need-team}
spec:
  severity: high
  match: {kinds: [Pod]}
  requiredLabels: [team]
"""
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n"

KYVERNO = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: k}
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod]}}]}
      %s
"""
CEL_KIND = """\
apiVersion: policies.kyverno.io/v1alpha1
kind: %s
metadata: {name: p}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
"""
TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8sbroken}
spec:
  crd: {spec: {names: {kind: K8sBroken}}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sbroken
        violation[{"msg": msg}] { msg := }
"""
LISTED = GOOD.replace("need-team", "listed").replace("requiredLabels: [team]", "requiredLabels: [owner]")
LISTED_INDENTED = "  " + LISTED.replace("\n", "\n  ").rstrip() + "\n"

# id -> (files in the rules folder beside good.yaml, outcome, text the outcome carries)
# outcome: "error" (file:line named), "skip" (a rule whose matches are SKIPs), "neighbour"
# (counted by rules lint), "rules" (more rules that load and judge).
CASES: dict[str, tuple[dict[str, str], str, str]] = {
    "apiVersion a typo away": ({"p.yaml": GOOD.replace("guardrails.dev/v1", "guardrail.dev/v1")}, "error", "did you mean 'guardrails.dev/v1'"),
    "kyverno group a typo away": ({"p.yaml": (KYVERNO % "validate: {pattern: {spec: {hostPID: false}}}").replace("kyverno.io/v1", "kyvern.io/v1")},
                                  "error", "did you mean 'kyverno.io/v1'"),
    "kind a typo away": ({"p.yaml": (KYVERNO % "validate: {pattern: {spec: {hostPID: false}}}").replace("ClusterPolicy", "ClusterPolicie")},
                         "error", "did you mean 'ClusterPolicy'"),
    "known group, unknown kind": ({"p.yaml": (KYVERNO % "validate: {pattern: {}}").replace("ClusterPolicy", "ClusterThing")}, "error", "ClusterThing"),
    "Rego that does not compile": ({"t.yaml": TEMPLATE}, "error", "k8sbroken"),
    "kyverno mutate": ({"p.yaml": KYVERNO % "mutate: {patchStrategicMerge: {metadata: {labels: {a: b}}}}"}, "skip", "mutate"),
    "kyverno generate": ({"p.yaml": KYVERNO % "generate: {kind: ConfigMap, name: x, namespace: default, data: {}}"}, "skip", "generate"),
    "kyverno verifyImages": ({"p.yaml": KYVERNO % "verifyImages: [{imageReferences: ['*']}]"}, "skip", "verifyImages"),
    "MutatingPolicy": ({"p.yaml": CEL_KIND % "MutatingPolicy"}, "skip", "MutatingPolicy"),
    "GeneratingPolicy": ({"p.yaml": CEL_KIND % "GeneratingPolicy"}, "skip", "GeneratingPolicy"),
    "ImageValidatingPolicy": ({"p.yaml": CEL_KIND % "ImageValidatingPolicy"}, "skip", "ImageValidatingPolicy"),
    "kyverno-test.yaml": ({"kyverno-test.yaml": "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\npolicies: [good.yaml]\n"},
                          "neighbour", "Kyverno CLI file"),
    "kustomization": ({"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [good.yaml]\n"},
                      "neighbour", "kustomization"),
    "Chainsaw test": ({"chainsaw-test.yaml": "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\nspec: {steps: []}\n"},
                      "neighbour", "Chainsaw"),
    "Helm chart template": ({"chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
                             "chart/templates/p.yaml": "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: {{ .Values.n }}}\n"},
                            "neighbour", "Helm chart template"),
    "rules in a YAML list": ({"list.yaml": "- " + LISTED.replace("\n", "\n  ").rstrip() + "\n"}, "rules", "listed"),
    "rules in a kind: List": ({"list.yaml": "apiVersion: v1\nkind: List\nitems:\n- " + LISTED_INDENTED.strip().replace("\n  ", "\n  ") + "\n"},
                              "rules", "listed"),
}


def _folder(tmp_path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    rules = tmp_path / "rules"
    for name, text in {"good.yaml": GOOD, **files}.items():
        (rules / name).parent.mkdir(parents=True, exist_ok=True)
        (rules / name).write_text(text, encoding="utf-8")
    (tmp_path / "pod.yaml").write_text(POD, encoding="utf-8")
    return rules


@pytest.mark.parametrize(("files", "outcome", "text"), list(CASES.values()), ids=list(CASES))
def test_each_rule_document_counts_on_every_surface(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], outcome: str, text: str
) -> None:
    _folder(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    where = next(iter(files)).split("/")[0]

    scan = run_cli(["scan", "--rules", "rules", "pod.yaml"])
    lint = run_cli(["rules", "lint", "rules"])
    strict = run_cli(["rules", "lint", "--strict", "rules"])
    store = RuleStore(["rules"], builtin=False)
    if outcome == "error":
        assert scan.code == 2 and text in scan.err and f"rules{os.sep}{where}" in scan.err, scan
        assert lint.code == 2 and text in lint.out and f"rules{os.sep}{where}:" in lint.out, lint
        with pytest.raises(GuardrailsError) as e:
            store.load()
        assert text in e.value.render() or any(text in p.render() for p in getattr(e.value, "more", ())), e.value.render()
        return
    store.load()
    # The good rule loaded and judged its resource on every surface.
    assert scan.code == 1 and "need-team" in scan.out, scan
    assert lint.code == 0, lint
    if outcome == "skip":
        assert "skipped" in scan.out and text in scan.out, scan.out
        assert text in lint.out and strict.code == 2, (lint, strict)
        assert store.report.loaded == 1 and store.report.skipped, store.report
        assert all(s.source.startswith(f"rules{os.sep}p.yaml:") for s in store.report.skipped), store.report
    elif outcome == "neighbour":
        assert "skipped (not rules)" in lint.out and text in lint.out, lint.out
        assert strict.code == 0, strict
        assert store.report.loaded == 1, store.report
    else:
        assert text in scan.out and "2 rules" in scan.out, scan.out
        assert "2 rules in 2 files: ok" in lint.out, lint.out
        assert store.report.loaded == 2
