"""Kustomize with the real `kubectl kustomize`: patches are never judged as whole resources;
rendered, findings name the file each resource came from; a broken kustomization names itself."""

from __future__ import annotations

import json
import pathlib
import textwrap

import pytest

from guardrails.scan import scan
from guardrails.sources.render import kustomize as kz
from tests.conftest import CliRunner
from tests.tools import require

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {team: shop, environment: prod, service: web}}
spec:
  template:
    metadata: {labels: {team: shop, environment: prod, service: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/myorg/web:1.0.0
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}
"""

# Strategic merge, JSON 6902 and `$patch: delete`: none of them is a resource.
PRIVILEGED_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, securityContext: {privileged: true}}]
"""
JSON_PATCH = "- {op: add, path: /spec/replicas, value: 3}\n"
DELETE_PATCH = "apiVersion: v1\nkind: Service\nmetadata: {name: debug}\n$patch: delete\n"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: debug}\nspec: {ports: [{port: 80}]}\n"


def _tree(root: pathlib.Path) -> pathlib.Path:
    app = root / "app"
    (app / "base").mkdir(parents=True)
    (app / "base" / "kustomization.yaml").write_text("resources: [deployment.yaml, debug.yaml]\n")
    (app / "base" / "deployment.yaml").write_text(DEPLOYMENT)
    (app / "base" / "debug.yaml").write_text(SERVICE)
    for env in ("prod", "staging"):
        o = app / "overlays" / env
        o.mkdir(parents=True)
        (o / "privileged.yaml").write_text(PRIVILEGED_PATCH)
        (o / "replicas.yaml").write_text(JSON_PATCH)
        (o / "delete-debug.yaml").write_text(DELETE_PATCH)
        (o / "kustomization.yaml").write_text(
            textwrap.dedent(
                f"""\
                resources: [../../base]
                namePrefix: {env}-
                patches:
                  - path: privileged.yaml
                  - path: replicas.yaml
                    target: {{kind: Deployment, name: web}}
                  - path: delete-debug.yaml
                """
            )
        )
    return app


def _by_file(report: object) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for f in report.findings:  # type: ignore[attr-defined]
        out.setdefault(f.origin.path, set()).add((f.rule, f.resource.name if f.resource else ""))
    return out


def test_unrendered_patches_are_skipped_and_counted(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    report = scan(["app"], root=tmp_path)
    files = _by_file(report)
    # No patch is judged as a Deployment missing its image, labels and limits.
    assert not [p for p in files if "overlays" in p]
    assert report.skipped_patches == 6
    notices = [n for n in report.notices if "kustomization" in n]
    assert len(notices) == 2 and "kubectl kustomize app/overlays/prod | guardrails scan -" in " ".join(notices)


def test_rendered_findings_name_the_file_each_resource_came_from(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    require("kubectl")
    _tree(tmp_path)
    report = scan(["app"], root=tmp_path, kustomize=True)
    assert not report.problems, report.problems
    files = _by_file(report)
    # The privileged patch applies in both overlays; the base Deployment carries the finding,
    # named as each overlay names it. The deleted Service is gone from the renders.
    assert files == {
        "app/base/deployment.yaml": {
            ("disallow-privileged-containers", "prod-web"),
            ("disallow-privileged-containers", "staging-web"),
        }
    }
    assert report.resources == 2 and report.skipped_patches == 0
    assert not [n for n in report.notices if "no files" in n]


def test_the_origin_annotation_is_ours_and_never_judged(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    require("kubectl")
    _tree(tmp_path)
    (tmp_path / "rules.yaml").write_text(
        "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: no-annotations}\n"
        "spec:\n  match: {kinds: [Deployment]}\n  pattern:\n    metadata:\n      X(annotations): null\n"
    )
    from guardrails.policy.load import load_rules

    rules = load_rules([tmp_path / "rules.yaml"])
    assert scan(["app"], root=tmp_path, rules=rules).findings == ()  # the base as written
    report = scan(["app"], root=tmp_path, kustomize=True, rules=rules)
    assert not report.problems and not report.findings


@pytest.mark.parametrize(
    ("kustomization", "says"),
    [
        ("resources: [missing.yaml]\n", "kubectl kustomize failed"),
        ("resources: [deployment.yaml\n", "malformed YAML"),
        ("- just a list\n", "a kustomization is a mapping"),
    ],
)
def test_a_broken_kustomization_is_an_error_naming_it(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, kustomization: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    require("kubectl")
    app = tmp_path / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text(kustomization)
    (app / "deployment.yaml").write_text(DEPLOYMENT)
    report = scan(["app"], root=tmp_path, kustomize=True)
    problems = [p for p in report.problems if says in p.message]
    assert problems and problems[0].location is not None and problems[0].location.path.startswith("app")


def test_read_sorts_what_a_kustomization_names(tmp_path: pathlib.Path) -> None:
    app = _tree(tmp_path)
    prod = kz.read(app / "overlays" / "prod", "app/overlays/prod")
    assert prod.bases == ((app / "base").resolve(),)
    assert {p.name for p in prod.parts} == {"privileged.yaml", "replicas.yaml", "delete-debug.yaml"}
    base = kz.read(app / "base", "app/base")
    assert {p.name for p in base.resources} == {"deployment.yaml", "debug.yaml"} and not base.parts
    assert [k.display for k in kz.roots([prod, base])] == ["app/overlays/prod"]


def test_cli_flag_and_setting(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("kubectl")
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    flagged = run_cli(["scan", "app", "--kustomize", "--format", "json"])
    assert flagged.code == 1, flagged
    assert {f["file"] for f in json.loads(flagged.out)["findings"]} == {"app/base/deployment.yaml"}
    plain = run_cli(["scan", "app", "--format", "json"])
    assert json.loads(plain.out)["summary"]["skippedPatches"] == 6
    (tmp_path / ".guardrails.yaml").write_text("kustomize: true\n")
    by_setting = run_cli(["scan", "app", "--format", "json"])
    assert json.loads(by_setting.out)["findings"] == json.loads(flagged.out)["findings"]
    (tmp_path / ".guardrails.yaml").write_text("kustomize: yes-please\n")
    bad = run_cli(["scan", "app"])
    assert bad.code == 2 and ".guardrails.yaml:1" in bad.err and "kustomize: expected true or false" in bad.err
