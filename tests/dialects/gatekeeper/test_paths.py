"""Gatekeeper findings point at the container their message names: a template's Rego or CEL
gives words only, so a finding takes the one container (or volume) of the pod its message
names, at that container's line, and stays on the resource when it names none or several."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests import shared
from tests.conftest import CliRunner

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: default}}
spec:
  initContainers:
    - name: {init}
      image: openpolicyagent/opa:0.9.2
  containers:
    - name: web
      image: openpolicyagent/opa:0.9.2
    - name: {sidecar}
      image: nginx:1.27
"""

# (case, init container's name, sidecar's name, the finding's path and line)
CASES = [
    ("the named container", "setup", "proxy", "spec.containers[1]", 11),
    ("a name inside a longer word is no name", "ngin", "proxy", "spec.containers[1]", 11),
    # the message names its container and says "repo": with a container named repo, no guess
    ("several named: the resource", "repo", "proxy", "", 1),
]


@pytest.mark.parametrize(("init", "sidecar", "path", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_gatekeeper_finding_points_at_the_container_it_names(
    run_cli: CliRunner, tmp_path: pathlib.Path, init: str, sidecar: str, path: str, line: int
) -> None:
    library = shared.require("conformance", "gatekeeper", "general", "allowedrepos")
    (tmp_path / "pod.yaml").write_text(POD.format(init=init, sidecar=sidecar))
    r = run_cli([
        "scan", str(tmp_path / "pod.yaml"), "--format", "json",
        "--rules", str(library / "template.yaml"),
        "--rules", str(library / "samples" / "repo-must-be-openpolicyagent" / "constraint.yaml"),
    ])
    assert r.code == 1, r
    (finding,) = [f for f in json.loads(r.out)["findings"] if f["status"] == "fail"]
    assert finding["message"].startswith(f"container <{sidecar}> has an invalid image repo <nginx:1.27>")
    assert (finding["path"], finding["line"]) == (path, line)
