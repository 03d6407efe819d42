"""Policies that read the requester (who sends the request: Kyverno's serviceAccountName,
request.userInfo in CEL) in a scan, through the real CLI: nobody sent a file, so each such
policy is a visible SKIP saying so where it matches (`--fail-on-skip` fails the run), never an
error or a verdict about nobody; policies that do not read it judge as ever. At admission the
same policies judge (tests/dialects/kyverno/test_parity.py)."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.conftest import CliRunner

POLICIES = {
    "jmespath": """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: own-sa}
spec:
  validationFailureAction: Enforce
  rules:
  - name: same-sa
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: runs as the account that created it
      pattern: {spec: {serviceAccountName: "{{serviceAccountName}}"}}
""",
    "validate-cel": """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: own-sa}
spec:
  validationFailureAction: Enforce
  rules:
  - name: same-sa
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      cel:
        expressions:
        - expression: "request.userInfo.username != 'mallory'"
""",
    "vpol": """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: own-sa}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "request[?'userInfo'].orValue({}).username != 'mallory'"
""",
    "vap": """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: own-sa}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "request.userInfo.username != 'mallory'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: own-sa}
spec: {policyName: own-sa, validationActions: [Deny]}
""",
}

OTHER = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: labelled}
spec:
  validationFailureAction: Enforce
  rules:
  - name: app
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: label app required
      pattern: {metadata: {labels: {app: "?*"}}}
"""

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: nginx}]}\n"


@pytest.mark.parametrize("kind", sorted(POLICIES))
def test_a_policy_that_reads_the_requester_is_a_visible_skip_in_a_scan(
        run_cli: CliRunner, tmp_path: pathlib.Path, kind: str) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "requester.yaml").write_text(POLICIES[kind])
    (rules / "other.yaml").write_text(OTHER)
    (tmp_path / "pod.yaml").write_text(POD)
    r = run_cli(["scan", "--rules", str(rules), "--format", "json", str(tmp_path / "pod.yaml")])
    assert r.code == 1, r  # the rule that does not read the requester still judges
    report = json.loads(r.out)
    assert [f["rule"] for f in report["findings"] if f["status"] == "fail"] == ["labelled/app"]
    (skip,) = report["summary"]["skippedRules"]
    assert skip["rule"].startswith("own-sa") and "reads the requester" in skip["reason"]
    assert "not judged in a scan" in skip["reason"]
    strict = run_cli(["scan", "--fail-on-skip", "--rules", str(rules / "requester.yaml"), str(tmp_path / "pod.yaml")])
    assert strict.code == 1 and "reads the requester" in strict.out, strict
