"""Findings get the line and column of the offending field, or of its nearest existing parent."""

from __future__ import annotations

import pytest

from guardrails.model import Action, Finding, Origin, ResourceRef, Severity, Status
from guardrails.sources.locate import locate_findings

TEXT = """\
apiVersion: v1
kind: Pod
metadata:
  name: a
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx
        - name: side
          image: "busybox:1"
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: s
"""


def finding(doc: int, path: tuple, item: int | None = None) -> Finding:  # type: ignore[type-arg]
    return Finding(
        rule="r",
        status=Status.FAIL,
        severity=Severity.HIGH,
        action=Action.DENY,
        message="m",
        resource=ResourceRef("v1", "Pod", "", "a"),
        origin=Origin("f.yaml", doc, 1, item_index=item),
        path=path,
    )


@pytest.mark.parametrize(
    ("doc", "path", "item", "line", "col"),
    [
        (1, ("spec", "template", "spec", "containers", 0, "image"), None, 17, 11),
        (1, ("spec", "template", "spec", "containers", 1, "image"), None, 19, 11),
        (1, ("spec", "template", "spec", "containers", 1), None, 18, 11),
        (1, ("metadata", "labels", "team"), None, 10, 3),  # missing: its parent
        (0, ("metadata", "labels"), None, 3, 1),
        (0, (), None, 1, 1),
        (2, ("metadata", "name"), 0, 27, 7),
    ],
)
def test_locate(doc: int, path: tuple, item: int | None, line: int, col: int) -> None:  # type: ignore[type-arg]
    [f] = locate_findings([finding(doc, path, item)], {"f.yaml": TEXT})
    assert f.location is not None
    assert (f.location.line, f.location.column) == (line, col)
