"""Rules whose native evaluation a Python watchdog cannot stop, for the isolation tests: a
Gatekeeper template whose Rego loops for minutes inside regorus on an annotated object (and
judges a label at once), one whose Rego regorus takes minutes to compile, and a rule whose check
crashes its worker process for real (os.abort / a NULL read through ctypes)."""

from __future__ import annotations

import ctypes
import os
import pathlib
from typing import Any

from guardrails import CompiledRule, Resource, Violation, isolation
from guardrails.dialects.native import compile_native

LOOP_RULE = "K8sSlowLoop/slow-loop"

LOOPING_TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8sslowloop}
spec:
  crd:
    spec:
      names: {kind: K8sSlowLoop}
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sslowloop
        violation[{"msg": msg}] {
          input.review.object.metadata.annotations.slow == "yes"
          n := count([x | x := numbers.range(1, 100000000)[_]])
          msg := sprintf("counted %v", [n])
        }
        violation[{"msg": msg}] {
          input.review.object.metadata.labels.bad == "yes"
          msg := "bad label"
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sSlowLoop
metadata: {name: slow-loop}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
"""

# regorus' parser is exponential in bracket nesting: 25 levels take far over a minute to compile.
NESTED = "[" * 25 + "1" + "]" * 25
SLOW_COMPILE_TEMPLATE = f"""\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {{name: k8sslowcompile}}
spec:
  crd:
    spec:
      names: {{kind: K8sSlowCompile}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sslowcompile
        nested = {NESTED}
        violation[{{"msg": "never"}}] {{ count(nested) > 5 }}
"""


def loop_folder(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(exist_ok=True)
    (path / "loop.yaml").write_text(LOOPING_TEMPLATE)
    return path


def pod(name: str, *, slow: bool = False, bad: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "apps"}
    if slow:
        meta["annotations"] = {"slow": "yes"}
    if bad:
        meta["labels"] = {"bad": "yes"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "a", "image": "registry.example/app:1"}]}}


def _crash_check(resource: Resource) -> list[Violation]:
    """Crash the worker when the object asks for it (its author controls the crash)."""
    how = (resource.obj.get("metadata") or {}).get("annotations", {}).get("crash")
    if how == "abort":
        isolation.call(os.abort, "")
    elif how == "segv":
        isolation.call(ctypes.string_at, "", 0)
    return []


def crashing_rule() -> CompiledRule:
    import dataclasses

    base = compile_native("native-crash", {"action": "deny", "severity": "high", "match": {"kinds": ["Pod"]},
                                           "requiredLabels": ["anything"]}, source=None)
    return dataclasses.replace(base, check=_crash_check)
