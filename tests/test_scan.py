"""`scan()`: the library entry point; --jobs gives exactly the serial result."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

from guardrails.model import Status
from guardrails.scan import RuleLoader, scan
from tests import shared
from tests.conftest import REPO


def _copies(tmp_path: pathlib.Path, n: int) -> pathlib.Path:
    for i in range(n):
        d = tmp_path / f"team-{i:02d}"
        shutil.copytree(REPO / "examples" / "bad", d)
        shutil.copytree(REPO / "examples" / "good", d / "good")
    return tmp_path


def test_jobs_give_the_serial_report(tmp_path: pathlib.Path) -> None:
    root = _copies(tmp_path, 10)
    serial = scan([str(root)], loader=RuleLoader(), root=root)
    parallel = scan([str(root)], loader=RuleLoader(), root=root, jobs=2)
    per_copy = sum(1 for d in ("bad", "good") for _ in (REPO / "examples" / d).glob("*.yaml"))
    assert serial.files == parallel.files == 10 * per_copy
    assert serial.findings == parallel.findings
    assert (serial.resources, serial.skipped_documents) == (parallel.resources, parallel.skipped_documents)


def test_examples_fire_every_default_rule_and_good_ones_pass() -> None:
    bad = scan([str(REPO / "examples" / "bad")], root=REPO)
    fired = {f.rule for f in bad.findings if f.status is Status.FAIL}
    kubernetes_rules = {r.name for r in bad.rules if not r.name.startswith("terraform-")}
    assert kubernetes_rules <= fired
    good = scan([str(REPO / "examples" / "good")], root=REPO)
    assert [f for f in good.findings if f.status is Status.FAIL] == []
    assert good.exit_code() == 0 and bad.exit_code() == 1


GK = shared.path("conformance", "gatekeeper", "general", "uniqueingresshost")


def _ingresses(root: pathlib.Path, n: int) -> pathlib.Path:
    """n Ingress files, every pair of neighbours sharing a host: each clashes with the other."""
    for i in range(n):
        host = f"host-{i // 2}.example.com"
        (root / f"ingress-{i:02d}.yaml").write_text(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
            f"metadata: {{name: ing-{i:02d}, namespace: ns-{i}}}\n"
            f"spec: {{rules: [{{host: {host}}}]}}\n"
        )
    return root


def test_referential_rules_keep_jobs_and_read_each_file_once(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The inventory is built first and handed to the workers: --jobs stays parallel."""
    import concurrent.futures

    shared.require("conformance", "gatekeeper")
    root = tmp_path / "in"
    root.mkdir()
    _ingresses(root, 16)
    loader = RuleLoader(paths=(str(GK / "template.yaml"), str(GK / "samples" / "unique-ingress-host" / "constraint.yaml")), builtin=False)
    reads: list[str] = []
    real_read = pathlib.Path.read_bytes

    def counting_read(self: pathlib.Path) -> bytes:
        if self.suffix == ".yaml" and self.parent == root:
            reads.append(self.name)
        return real_read(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", counting_read)
    serial = scan([str(root)], loader=loader, root=root)
    assert sorted(reads) == sorted(p.name for p in root.iterdir())  # every file read once
    pools: list[int] = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    class Pool(real_pool):  # type: ignore[misc,valid-type]
        def __init__(self, workers: int, **kw: object) -> None:
            pools.append(workers)
            super().__init__(workers, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    parallel = scan([str(root)], loader=loader, root=root, jobs=2)
    assert len(serial.findings) == 16 and all("conflicts with an existing ingress" in f.message for f in serial.findings)
    assert parallel.findings == serial.findings
    assert pools == [2] or (os.cpu_count() or 1) < 2

HELM_NULLS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {team: a, environment: prod, service: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext: null
      containers:
        - name: web
          image: registry.example.com/web:1.2.3
          securityContext: SECURITY
          resources: null
"""


def test_an_explicit_null_judges_as_the_field_left_out(tmp_path: pathlib.Path) -> None:
    # What Helm renders from an empty value: the API server stores no securityContext at all,
    # so the findings are those of a manifest without the field, never an error about <nil>.
    nulls = tmp_path / "nulls.yaml"
    nulls.write_text(HELM_NULLS.replace("SECURITY", "null"))
    absent = tmp_path / "absent.yaml"
    absent.write_text("\n".join(line for line in HELM_NULLS.splitlines() if ": null" not in line and "SECURITY" not in line) + "\n")
    with_nulls = scan([str(nulls)], root=tmp_path)
    without = scan([str(absent)], root=tmp_path)
    assert [f for f in with_nulls.findings if f.status is Status.ERROR] == []
    assert not with_nulls.problems
    assert sorted((f.rule, f.path) for f in with_nulls.findings) == sorted((f.rule, f.path) for f in without.findings)
    assert with_nulls.findings  # the rules did judge it


def _every_example() -> list[pathlib.Path]:
    return sorted(p for p in (REPO / "examples").rglob("*") if p.suffix in (".yaml", ".yml", ".json") and "templates" not in p.parts)


def test_judging_document_by_document_gives_the_whole_file_judgement() -> None:
    """The scan judges each document as it is read and drops its parse tree (memory follows the
    largest document); the path that keeps the whole file (referential rules need every object
    first) must give the same findings, locations and counts, in the same order."""
    from guardrails.engine import Engine
    from guardrails.policy.load import load_rules
    from guardrails.scan import _judge, _parse, _stream

    rs = load_rules(builtin=True, profiles=("all",))
    engine = Engine(rs.rules, rs.waivers)
    judged = 0
    for path in _every_example():
        text = path.read_text(encoding="utf-8")
        display = str(path.relative_to(REPO))
        streamed = _stream(text, display, engine, all_resources=False)
        whole = _judge(_parse(text, display, all_resources=False), engine)
        assert streamed == whole, display
        judged += len(whole.findings)
    assert judged > 100  # the examples hold many failing resources and a plan
