"""Rules an honest platform team could write that a big-but-legal object makes slow: a Kyverno
nested foreach comparing every container with every other (quadratic; ~20 us per pair here,
so 2,000 containers take over a minute). Used by the scan and webhook budget tests."""

from __future__ import annotations

import pathlib
from typing import Any

NESTED_FOREACH = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: unique-names}
spec:
  validationFailureAction: Enforce
  rules:
    - name: no-duplicate-container-names
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        message: "{{ element0.name }} is named twice"
        foreach:
          - list: request.object.spec.containers
            foreach:
              - list: request.object.spec.containers
                deny:
                  conditions:
                    all:
                      - {key: "{{ element0.name }}", operator: Equals, value: "{{ element1.name }}"}
                      - {key: "{{ elementIndex0 }}", operator: NotEquals, value: "{{ elementIndex1 }}"}
"""

# A quick deny rule beside it: it must still deny when the slow one runs out of time.
NO_PRIVILEGED = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: no-privileged}
spec:
  severity: high
  action: deny
  match: {kinds: [Pod]}
  pattern:
    spec:
      containers:
        - =(securityContext):
            =(privileged): "false"
"""

RULE_ID = "unique-names/no-duplicate-container-names"


def folder(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(exist_ok=True)
    (path / "nested.yaml").write_text(NESTED_FOREACH)
    (path / "privileged.yaml").write_text(NO_PRIVILEGED)
    return path


def pod(containers: int, *, privileged: bool = False, name: str = "big") -> dict[str, Any]:
    first: dict[str, Any] = {"name": "c0", "image": "registry.example/app:1"}
    if privileged:
        first["securityContext"] = {"privileged": True}
    rest = [{"name": f"c{i}", "image": "registry.example/app:1"} for i in range(1, containers)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "apps"},
            "spec": {"containers": [first, *rest]}}
