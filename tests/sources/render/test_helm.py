"""Helm charts: templates never parsed as YAML; skipped and counted, or rendered by `helm template`.

`helm` is not installable on this machine, so rendering is tested against helm 3's documented
interface through tests/sources/render/fake_helm.py put on PATH as `helm`."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import sys

import pytest

from guardrails.sources.render import helm
from tests.conftest import REPO, CliRunner

CHART = REPO / "examples" / "charts" / "web"


@pytest.fixture
def chart(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    shutil.copytree(CHART, tmp_path / "charts" / "web")
    (tmp_path / "prod.yaml").write_text("replicaCount: 3\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fake_helm(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    exe = bin_ / "helm"
    exe.write_text(f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = 'helm'\n"
                   f"runpy.run_path({str(pathlib.Path(__file__).with_name('fake_helm.py'))!r}, run_name='__main__')\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    log = tmp_path / "helm-argv.json"
    monkeypatch.setenv("FAKE_HELM_LOG", str(log))
    return log


def test_templates_skipped_counted_with_the_command(chart: pathlib.Path, run_cli: CliRunner) -> None:
    r = run_cli(["scan", "charts", "--format", "json"])
    data = json.loads(r.out)
    assert r.code == 0, r
    assert data["problems"] == [] if "problems" in data else True
    assert data["summary"]["skippedTemplates"] == 2
    assert any("`helm template charts/web | guardrails scan -`" in n for n in data["notices"])
    text = run_cli(["scan", "charts"])
    assert "malformed" not in text.out and "2 Helm templates skipped" in text.out


def test_subchart_templates_belong_to_the_parent(chart: pathlib.Path) -> None:
    sub = chart / "charts" / "web" / "charts" / "db"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: db\nversion: 0.1.0\n")
    (sub / "templates" / "sts.yaml").write_text("kind: StatefulSet\n{{ .Values.x }}\n")
    assert helm.chart_of(sub / "templates" / "sts.yaml") == chart / "charts" / "web"
    assert helm.chart_of(chart / "charts" / "web" / "values.yaml") is None
    assert helm.chart_of(chart / "charts" / "web" / "templates" / "deployment.yaml") == chart / "charts" / "web"


def test_rendered_findings_named_by_chart_template_and_resource(chart: pathlib.Path, fake_helm: pathlib.Path, run_cli: CliRunner) -> None:
    plain = json.loads(run_cli(["scan", "charts", "--helm", "--format", "json"]).out)
    r = run_cli(["scan", "charts", "--helm", "--helm-values", "prod.yaml", "--helm-set", "securityContext.privileged=true", "--format", "json"])
    assert json.loads(fake_helm.read_text()) == ["template", "charts/web", "--values", "prod.yaml", "--set", "securityContext.privileged=true"]
    data = json.loads(r.out)
    assert r.code == 1, r
    assert data["summary"].get("skippedTemplates", 0) == 0
    privileged = [f for f in data["findings"] if "privileged" in f["message"].lower()]
    assert privileged, data["findings"]
    for f in privileged:
        assert f["file"] == "charts/web/templates/deployment.yaml"
        assert f["resource"]["name"] == "release-name-web"
    # --set changed the render, and the verdict with it; the render's nulls are unset.
    assert not [f for f in plain["findings"] if "privileged" in f["message"].lower()]
    assert not [p for p in plain.get("problems", []) if "nil" in json.dumps(p)]


def test_helm_setting_through_config(chart: pathlib.Path, fake_helm: pathlib.Path, run_cli: CliRunner) -> None:
    (chart / ".guardrails.yaml").write_text("helm:\n  values: [prod.yaml]\n  set: [securityContext.privileged=true]\n")
    r = run_cli(["scan", "charts", "--format", "json"])
    argv = json.loads(fake_helm.read_text())
    assert argv[-4:] == ["--values", str(chart / "prod.yaml"), "--set", "securityContext.privileged=true"]
    assert r.code == 1 and json.loads(r.out)["summary"].get("skippedTemplates", 0) == 0


@pytest.mark.parametrize(
    ("mode", "message"),
    [("fail", "helm template failed (exit 1): Error: parse error"), ("hang", "did not finish in 1s")],
)
def test_render_errors_name_the_chart(
    chart: pathlib.Path, fake_helm: pathlib.Path, run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, mode: str, message: str
) -> None:
    monkeypatch.setenv("FAKE_HELM_MODE", mode)
    monkeypatch.setattr(helm, "TIMEOUT", 1.0)
    r = run_cli(["scan", "charts", "--helm"])
    assert r.code == 2, r
    assert "charts/web" in r.out and message in r.out
    assert "Traceback" not in r.out + r.err


def test_helm_missing_from_path(chart: pathlib.Path, run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(chart / "nothing-here"))
    r = run_cli(["scan", "charts", "--helm"])
    assert r.code == 2 and "`helm` is not on PATH" in r.out, r


def test_split_sources_follows_helms_comments() -> None:
    rendered = "---\n# Source: web/templates/a.yaml\nkind: A\n---\n# Source: web/templates/b.yaml\nkind: B\n---\n# Source: web/templates/a.yaml\nkind: A2\n"
    parts = helm.split_sources(rendered, helm.Chart(pathlib.Path("x"), "charts/web"), "web")
    assert [d for d, _ in parts] == ["charts/web/templates/a.yaml", "charts/web/templates/b.yaml"]
    assert "kind: A2" in parts[0][1]
