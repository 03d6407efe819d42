"""Policies that read the clock, one per way of reading it (Kyverno CEL ValidatingPolicy
`time.now()`, ClusterPolicy `validate.cel` `time.now()`, ClusterPolicy JMESPath `time_since`),
each denying a ConfigMap whose `data.built` is more than a day before the evaluation time; and
ConfigMaps to judge with them. Shared by the scan and the webhook tests of `--now`."""

from __future__ import annotations

import pathlib

__all__ = ["POLICIES", "RULE_IDS", "config_map", "write_rules"]

POLICIES = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: fresh-vpol}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}
  validations:
  - expression: timestamp(object.data.built) >= time.now() - duration('24h')
    message: built more than a day ago (vpol)
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: fresh}
spec:
  validationFailureAction: Enforce
  rules:
  - name: cel
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      cel:
        expressions:
        - expression: timestamp(object.data.built) >= time.now() - duration('24h')
          message: built more than a day ago (cel)
  - name: jmespath
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      message: "built {{ time_since('', '{{ request.object.data.built }}', '') }} ago (jmespath)"
      deny:
        conditions:
          any:
          - key: "{{ time_since('', '{{ request.object.data.built }}', '') }}"
            operator: GreaterThan
            value: 24h
"""

RULE_IDS = ("fresh-vpol", "fresh/cel", "fresh/jmespath")


def write_rules(folder: pathlib.Path) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fresh.yaml").write_text(POLICIES, encoding="utf-8")
    return folder


def config_map(name: str, built: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: apps}}\ndata: {{built: '{built}'}}\n"
