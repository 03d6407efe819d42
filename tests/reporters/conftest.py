"""A scan report built from real files on disk, for every reporter's tests.

The report holds one of each outcome (FAIL at several severities, ERROR, WAIVED, UNKNOWN), a
Terraform resource without a line, an unreadable input and hostile text that each format must
escape.
"""

from __future__ import annotations

import dataclasses
import pathlib
import shutil

import pytest

from guardrails.errors import SourceError
from guardrails.model import Action, Finding, Location, Origin, ResourceRef, RuleInfo, Severity, Status
from guardrails.report import ScanReport

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:latest
        - name: sidecar
          image: "evil.example.com/x:1"
"""

POD = """\
{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "debug", "annotations": {"guardrails.dev/ignore": "require-labels"}},
  "spec": {"containers": [{"name": "c", "image": "busybox"}]}
}
"""

# Hostile text: markup, workflow-command separators, newlines and percent signs.
HOSTILE = 'image "</script><img src=x onerror=alert(1)>" 100%, a::b\nnext line'


def _rule(name: str, severity: Severity, action: Action = Action.DENY, **kw: object) -> RuleInfo:
    # Reporters see rules as RuleInfo only: id and metadata, never a compiled check.
    return RuleInfo(id=name, name=name, severity=severity, action=action, **kw)  # type: ignore[arg-type]


RULES = (
    _rule(
        "require-labels",
        Severity.HIGH,
        title="Workloads carry ownership labels",
        description="Every workload names its team.",
        remediation="Add the labels team and service.",
        category="ownership",
    ),
    _rule(
        "allowed-registries",
        Severity.CRITICAL,
        title="Images come from approved registries",
        remediation="Use an image from registry.example.com.",
        references=("https://example.com/docs/registries",),
    ),
    _rule("no-latest-tag", Severity.MEDIUM, Action.WARN, title="Images are pinned", remediation="Pin a tag or digest."),
    _rule("resource-limits", Severity.LOW, Action.AUDIT, title="Containers set limits"),
    _rule("s3-tags", Severity.INFO, Action.AUDIT, title="Buckets are tagged"),
    _rule("unused-rule", Severity.LOW, title="A rule without findings"),
)


def build(tmp: pathlib.Path, *, deploy_text: str = DEPLOY, shift: int = 0) -> ScanReport:
    """Write the inputs under `tmp` and return the report a scan of them gives. `shift` moves the
    Deployment down by that many lines (fingerprints must not change)."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "apps").mkdir(exist_ok=True)
    deploy = tmp / "apps" / "deploy.yaml"
    deploy.write_text("#\n" * shift + deploy_text)
    (tmp / "pod.json").write_text(POD)
    (tmp / "plan.json").write_text("{}\n")
    dref = ResourceRef("apps/v1", "Deployment", "prod", "web")
    dorigin = Origin(str(deploy), 0, 1 + shift)
    pref = ResourceRef("v1", "Pod", "", "debug")
    porigin = Origin(str(tmp / "pod.json"))

    def at(line: int, col: int) -> Location:
        return Location(str(deploy), line + shift, col)

    findings = (
        Finding("require-labels", Status.FAIL, Severity.HIGH, Action.DENY,
                "label 'team' is missing", dref, dorigin, ("metadata", "labels"), at(3, 3)),
        Finding("no-latest-tag", Status.FAIL, Severity.MEDIUM, Action.WARN,
                "container 'app' uses the disallowed tag 'latest'", dref, dorigin,
                ("spec", "template", "spec", "containers", 0, "image"), at(11, 18)),
        Finding("allowed-registries", Status.FAIL, Severity.CRITICAL, Action.DENY,
                HOSTILE, dref, dorigin, ("spec", "template", "spec", "containers", 1, "image"), at(13, 18)),
        Finding("resource-limits", Status.ERROR, Severity.LOW, Action.AUDIT,
                "rule could not be evaluated: ValueError: bad quantity '1x'", dref, dorigin,
                ("spec", "template", "spec", "containers", 0), at(10, 11)),
        Finding("require-labels", Status.WAIVED, Severity.HIGH, Action.DENY,
                "label 'team' is missing", pref, porigin, ("metadata", "labels"),
                Location(str(tmp / "pod.json"), 4, 3), waiver="inline annotation guardrails.dev/ignore: debugging pod"),
        Finding("s3-tags", Status.UNKNOWN, Severity.INFO, Action.AUDIT,
                "tag 'owner' is known only after apply", ResourceRef("", "aws_s3_bucket", "", "logs"),
                Origin(str(tmp / "plan.json"), address="aws_s3_bucket.logs"), ("tags", "owner"), None),
    )
    problems = (SourceError("could not parse YAML: mapping values are not allowed here",
                            location=Location(str(tmp / "broken.yaml"), 3, 7)),)
    return ScanReport(findings=findings, rules=RULES, files=4, resources=3, problems=problems,
                      seconds=0.01, root=str(tmp))


@pytest.fixture
def report(tmp_path: pathlib.Path) -> ScanReport:
    return build(tmp_path / "repo")


@pytest.fixture
def empty_report(tmp_path: pathlib.Path) -> ScanReport:
    return ScanReport(findings=(), rules=RULES, files=2, resources=2, root=str(tmp_path))


# The one skip table of the reporter tests: what is missing -> why the test cannot run.
SKIPS = {
    "chromium": "Chromium is not installed: run 'make system-deps' (Debian package 'chromium')",
}


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(SKIPS["chromium"])
    return path


def replace(report: ScanReport, **kw: object) -> ScanReport:
    return dataclasses.replace(report, **kw)  # type: ignore[arg-type]
