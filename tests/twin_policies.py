"""Two Kyverno policies that reuse one rule name, and a Gatekeeper pair likewise: rule ids must
keep them apart in findings, SARIF, baselines, waivers and metrics."""

from __future__ import annotations

import pathlib

TWIN_KYVERNO = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: {policy}
  annotations:
    policies.kyverno.io/title: {title}
spec:
  validationFailureAction: Enforce
  rules:
    - name: check-label
      match:
        any:
          - resources: {{kinds: [Pod]}}
      validate:
        message: "{policy} wants the {label} label"
        pattern:
          metadata:
            labels:
              {label}: "?*"
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: bare
  namespace: apps
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.0
"""


def twin_repo(root: pathlib.Path) -> pathlib.Path:
    """`policies/` with two ClusterPolicies, each with a rule `check-label`; `app/pod.yaml` fails both."""
    (root / "policies").mkdir(parents=True)
    for policy, title, label in (("require-team", "Team label", "team"), ("require-owner", "Owner label", "owner")):
        (root / "policies" / f"{policy}.yaml").write_text(TWIN_KYVERNO.format(policy=policy, title=title, label=label))
    (root / "app").mkdir()
    (root / "app" / "pod.yaml").write_text(POD)
    return root
