"""`scan()`: the library entry point; --jobs gives exactly the serial result."""

from __future__ import annotations

import pathlib
import shutil

from guardrails.model import Status
from guardrails.scan import RuleLoader, scan
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
