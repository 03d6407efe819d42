"""Baselines: today's findings recorded, later scans report only new ones, whatever moved."""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib

import pytest

from guardrails import baseline
from guardrails.errors import SourceError
from guardrails.report import ScanReport
from guardrails.scan import scan
from tests.scanning import RULES, deployment, make_repo

REFORMATTED = """\
# reformatted by a YAML formatter: flow style, quotes, other indentation and key order
kind: "Deployment"
apiVersion: "apps/v1"
metadata: {name: "svc5"}
spec:
    template:
        spec:
            containers: [{image: "nginx:latest", name: "app"}]
"""


def record(report: ScanReport) -> str:
    out = io.StringIO()
    baseline.write(report.findings, lambda f: baseline.relative_path(report, f), out)
    return out.getvalue()


def rescan(root: pathlib.Path, recorded: str) -> ScanReport:
    report = scan([str(root)], rules=RULES, root=root)
    return baseline.apply(report, baseline.read(recorded, source="baseline.json"))


@pytest.fixture
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    return make_repo(tmp_path / "repo", files=12)


def test_nothing_new_on_an_unchanged_repo(repo: pathlib.Path) -> None:
    first = scan([str(repo)], rules=RULES, root=repo)
    again = rescan(repo, record(first))
    assert (again.findings, again.baselined) == ((), len(first.findings))
    assert again.exit_code() == 0


def test_lines_moving_and_reformatting_change_nothing(repo: pathlib.Path) -> None:
    first = scan([str(repo)], rules=RULES, root=repo)
    recorded = record(first)
    # move a document down, put another before it, and reformat a file completely
    f = repo / "team0" / "jobs" / "svc0.yaml"
    f.write_text("# owners: platform\n\n" + deployment("extra", team="a") + "---\n" + f.read_text())
    svc5 = repo / "team2" / "apps" / "svc5.yaml"
    assert "nginx:latest" in svc5.read_text()
    svc5.write_text(REFORMATTED)
    again = rescan(repo, recorded)
    assert again.findings == () and again.baselined == len(first.findings)


def test_new_findings_are_reported(repo: pathlib.Path) -> None:
    recorded = record(scan([str(repo)], rules=RULES, root=repo))
    (repo / "team0" / "apps" / "new.yaml").write_text(deployment("new", image="nginx:latest"))
    (repo / "team0" / "jobs" / "svc0.yaml").write_text(deployment("svc0", image="nginx:latest"))  # team dropped
    again = rescan(repo, recorded)
    assert sorted((f.rule, f.origin.path, f.message) for f in again.findings) == [
        ("no-latest", "team0/apps/new.yaml", "container 'app' uses the tag 'latest'"),
        ("require-team", "team0/apps/new.yaml", "Deployment 'new' has no label 'team'"),
        ("require-team", "team0/jobs/svc0.yaml", "Deployment 'svc0' has no label 'team'"),
    ]


def test_a_second_identical_finding_is_new(tmp_path: pathlib.Path) -> None:
    (tmp_path / "twice.yaml").write_text(deployment("web"))
    recorded = record(scan([str(tmp_path)], rules=RULES, root=tmp_path))
    (tmp_path / "twice.yaml").write_text(deployment("web") + "---\n" + deployment("web"))
    again = rescan(tmp_path, recorded)
    assert [(f.rule, f.location.line if f.location else 0) for f in again.findings] == [("require-team", 14)]
    assert again.baselined == 1


def test_file_is_readable_and_sorted(repo: pathlib.Path) -> None:
    doc = json.loads(record(scan([str(repo)], rules=RULES, root=repo)))
    assert doc["version"] == 2
    first = doc["findings"][0]
    assert set(first) == {"fingerprint", "rule", "file", "resource", "field", "message"}
    assert first["file"] == "team0/apps/svc3.yaml" and first["resource"] == "Deployment//svc3"
    keys = [(e["file"], e["rule"]) for e in doc["findings"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('{"version": 1,\n "findings": [}', "baseline is not valid JSON", 2),
        ("[]", "not a guardrails baseline", 1),
        ('{"version": 7, "findings": []}', "unsupported baseline version 7", 1),
        ('{"version": 1, "findings": [{"rule": "x"}]}', "baseline entry 0 has no 'fingerprint'", 1),
    ],
)
def test_bad_baseline_files(text: str, message: str, line: int) -> None:
    with pytest.raises(SourceError, match=message) as e:
        baseline.read(text, source="b.json")
    assert e.value.location is not None and (e.value.location.path, e.value.location.line) == ("b.json", line)


def test_rules_of_one_name_in_two_policies_are_baselined_apart(tmp_path: pathlib.Path) -> None:
    """A baseline that records one policy's finding does not hide the other policy's rule of that name."""
    from guardrails.policy.load import load_rules
    from tests.twin_policies import twin_repo

    root = twin_repo(tmp_path)
    rules = load_rules([root / "policies"])
    report = scan([str(root / "app")], rules=rules, root=root)
    assert sorted(f.rule for f in report.findings) == ["require-owner/check-label", "require-team/check-label"]
    only_team = dataclasses.replace(report, findings=tuple(f for f in report.findings if f.rule.startswith("require-team/")))
    again = baseline.apply(scan([str(root / "app")], rules=rules, root=root), baseline.read(record(only_team), source="b.json"))
    assert [f.rule for f in again.findings] == ["require-owner/check-label"] and again.baselined == 1


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: tools, namespace: ops}
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: true
  containers: [{name: sh, image: ghcr.io/myorg/sh:1, securityContext: {privileged: true}}]
"""


def test_a_partial_fix_leaves_the_rest_of_the_baseline_known(tmp_path: pathlib.Path) -> None:
    """One finding per field: fixing hostNetwork leaves hostPID and hostIPC known, not new."""
    from guardrails.policy.load import load_rules

    rules = load_rules(builtin=True, profiles=["baseline"])
    (tmp_path / "pod.yaml").write_text(POD)
    before = scan([str(tmp_path)], rules=rules, root=tmp_path)
    assert sorted(f.message for f in before.findings if f.rule == "disallow-host-namespaces") == [
        "host namespaces (hostIPC=true)", "host namespaces (hostNetwork=true)", "host namespaces (hostPID=true)"]
    recorded = record(before)
    (tmp_path / "pod.yaml").write_text("# moved down\n\n" + POD.replace("  hostNetwork: true\n", ""))
    after = baseline.apply(scan([str(tmp_path)], rules=rules, root=tmp_path), baseline.read(recorded, source="b.json"))
    assert after.findings == () and after.baselined == len(before.findings) - 1


def test_reworded_messages_stay_known(repo: pathlib.Path) -> None:
    report = scan([str(repo)], rules=RULES, root=repo)
    reworded = dataclasses.replace(report, findings=tuple(dataclasses.replace(f, message="older words " + f.message)
                                                          for f in report.findings))
    again = rescan(repo, record(reworded))
    assert again.findings == () and again.baselined == len(report.findings)


def test_version_1_files_are_read_by_their_recorded_fields(repo: pathlib.Path) -> None:
    report = scan([str(repo)], rules=RULES, root=repo)
    doc = json.loads(record(report))
    doc["version"] = 1
    for e in doc["findings"]:
        e["fingerprint"] = "0" * 32  # v1 fingerprints held the message: recomputed from the fields
    again = rescan(repo, json.dumps(doc))
    assert again.findings == () and again.baselined == len(report.findings)
    del doc["findings"][0]["field"]
    with pytest.raises(SourceError, match="lacks the rule, file, resource or field"):
        baseline.read(json.dumps(doc), source="b.json")
