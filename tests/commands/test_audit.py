"""`guardrails audit` through a real kubeconfig and the real `kubernetes` client, against the fake
API server (tests/commands/fake_cluster.py) implementing the documented list and write contract:
pages with continue tokens, a 410 Gone expired token, a 403 kind, PolicyReports created then
updated."""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import yaml

from tests import shared
from tests.commands.fake_cluster import FakeCluster
from tests.conftest import CliRunner
from tests.webhook.conftest import APIServer, TLSFiles, ca, tls_files  # noqa: F401 (fixtures)

RULES = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: require-team-label}
spec:
  severity: high
  category: ownership
  match: {kinds: [Deployment, ClusterRole]}
  requiredLabels: [team]
"""
DEPLOYMENTS = "/apis/apps/v1/deployments"
CLUSTERROLES = "/apis/rbac.authorization.k8s.io/v1/clusterroles"


def deployment(name: str, ns: str, team: str | None) -> dict[str, Any]:
    labels = {"team": team} if team else {}
    return {"metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": labels},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


@pytest.fixture
def cluster(tls_files: TLSFiles) -> Iterator[APIServer]:  # noqa: F811
    api = FakeCluster()
    api.add(DEPLOYMENTS, *(deployment(f"web-{i}", "shop" if i % 2 else "blog", "payments" if i % 3 == 0 else None) for i in range(5)))
    api.add(CLUSTERROLES, {"metadata": {"name": "reader", "labels": {"team": "platform"}}, "rules": []})
    server = APIServer(api, tls_files)
    yield server
    server.stop()


@pytest.fixture
def args(cluster: APIServer, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": f"https://127.0.0.1:{cluster.port}",
                                                  "certificate-authority": str(cluster.tls.ca_file)}}],
        "users": [{"name": "auditor", "user": {"token": "audit-token"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "auditor"}}],
    }
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(kubeconfig))
    (tmp_path / "rules.yaml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return ["audit", "--kubeconfig", "kubeconfig", "--rules", "rules.yaml"]


def api(server: APIServer) -> FakeCluster:
    assert isinstance(server.api, FakeCluster)
    return server.api


def findings(out: str) -> list[tuple[str, str]]:
    return sorted((f["resource"]["namespace"], f["resource"]["name"]) for f in json.loads(out)["findings"])


UNLABELLED = [("blog", "web-2"), ("blog", "web-4"), ("shop", "web-1")]


def test_every_page_is_read_and_judged(run_cli: CliRunner, args: list[str], cluster: APIServer) -> None:
    result = run_cli([*args, "--page-size", "2", "--format", "json"])
    assert result.code == 1, result.err
    assert findings(result.out) == UNLABELLED
    assert json.loads(result.out)["summary"]["resources"] == 6
    lists = [p for m, p, _ in api(cluster).requests if p == DEPLOYMENTS]
    assert len(lists) == 3  # 5 objects, 2 a page
    assert api(cluster).tokens == {"Bearer audit-token"}


def test_an_expired_continue_token_restarts_the_list(run_cli: CliRunner, args: list[str], cluster: APIServer) -> None:
    api(cluster).expire_after = 1  # the token of the first page expires: 410 Gone on the second
    result = run_cli([*args, "--page-size", "2", "--format", "json"])
    assert result.code == 1, result.err
    assert findings(result.out) == UNLABELLED  # nothing twice, nothing lost
    assert any("410 Gone" in n for n in json.loads(result.out)["notices"])


def test_a_kind_that_cannot_be_listed_is_reported_and_fails_the_run(run_cli: CliRunner, args: list[str], cluster: APIServer) -> None:
    api(cluster).forbidden.add("clusterroles")
    result = run_cli([*args, "--format", "json"])
    assert result.code == 2
    (problem,) = json.loads(result.out)["problems"]
    assert "cannot list clusterroles.rbac.authorization.k8s.io: 403 Forbidden" in problem["message"]
    assert findings(result.out) == UNLABELLED  # the other kinds are still judged


# audit reads --only/--skip as scan does: commas separate names, each checked with "did you mean"
ONLY = [
    (["--only", "require-team-label,require-team-label"], 1, "web-1"),
    (["--only", "require-team-label,require-tem-label"], 2, "--only 'require-tem-label' names no rule"),
    (["--skip", "zzz,require-team-label"], 2, "--skip 'zzz' names no rule"),
]


@pytest.mark.parametrize(("flags", "code", "said"), ONLY, ids=[" ".join(f) for f, _, _ in ONLY])
def test_only_and_skip_take_comma_lists(run_cli: CliRunner, args: list[str], flags: list[str], code: int, said: str) -> None:
    result = run_cli([*args, *flags])
    assert result.code == code, result.err
    assert said in (result.out if code == 1 else result.err)
    if code == 2:
        assert "did you mean 'require-team-label'?" in result.err or "rules list" in result.err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "html", "policyreport"])
def test_every_format_reports_the_audit(run_cli: CliRunner, args: list[str], fmt: str) -> None:
    result = run_cli([*args, "--format", fmt])
    assert result.code == 1, result.err
    assert "web-1" in result.out


def crd(kind: str) -> dict[str, Any]:
    name = {"PolicyReport": "wgpolicyk8s.io_policyreports.yaml", "ClusterPolicyReport": "wgpolicyk8s.io_clusterpolicyreports.yaml"}[kind]
    doc = yaml.safe_load(shared.require("schemas", "policyreport", name).read_text())
    (v,) = [v for v in doc["spec"]["versions"] if v["name"] == "v1alpha2"]
    schema: dict[str, Any] = v["schema"]["openAPIV3Schema"]
    return schema


def test_apply_creates_the_reports_then_updates_them(run_cli: CliRunner, args: list[str], cluster: APIServer) -> None:
    first = run_cli([*args, "--apply", "--quiet"])
    assert first.code == 1
    fake = api(cluster)
    assert sorted(fake.reports) == [("clusterpolicyreports", "", "guardrails-cluster"),
                                    ("policyreports", "blog", "guardrails-blog"), ("policyreports", "shop", "guardrails-shop")]
    assert first.err.count(": created") == 3
    for obj in fake.reports.values():
        jsonschema.validate(obj, crd(obj["kind"]))
    assert fake.reports[("policyreports", "blog", "guardrails-blog")]["summary"]["fail"] == 2
    # web-1 gets its label: the next audit replaces the shop report (no result left).
    fake.objects[DEPLOYMENTS][1]["metadata"]["labels"] = {"team": "shop"}
    second = run_cli([*args, "--apply", "--quiet"])
    assert second.err.count(": updated") == 3, second.err
    assert fake.reports[("policyreports", "shop", "guardrails-shop")]["results"] == []


@pytest.mark.parametrize(("edits", "code", "said"), [
    (1, 1, "PolicyReport blog/guardrails-blog: updated"),  # a concurrent write: read again, write again
    (99, 2, "cannot write PolicyReport blog/guardrails-blog: 409 Conflict"),  # it never settles: an error
])
def test_a_concurrent_write_is_retried_then_an_error(
    run_cli: CliRunner, args: list[str], cluster: APIServer, edits: int, code: int, said: str
) -> None:
    assert run_cli([*args, "--apply", "--quiet"]).code == 1
    api(cluster).report_edits_after_read = edits
    result = run_cli([*args, "--apply", "--quiet"])
    assert result.code == code
    assert said in result.err


def test_without_the_kubernetes_client_one_clear_error(run_cli: CliRunner, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    result = run_cli(args)
    assert result.code == 2
    assert "guardrails audit needs the Kubernetes client" in result.err and "kube-guardrails[webhook]" in result.err
    assert "Traceback" not in result.err
