"""The same Kyverno policies judge the same resources identically through the scan path
(manifests read from files) and the webhook's path (an AdmissionReview parsed into a
Resource with its request), over every suite of the conformance data: the pattern/deny
library (kyverno/) and its CEL, podSecurity and ValidatingPolicy suites (kyverno-cel/)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from guardrails.engine import Engine
from guardrails.lang.cel_policy import NO_REQUESTER
from guardrails.model import RuleResult, Status
from guardrails.policy.load import load_rules
from guardrails.sources import admission
from guardrails.sources import documents as yamldocs
from tests import shared

ROOT = shared.require_module("conformance", "kyverno")
FOLDERS = ("kyverno", "kyverno-cel")


def _index(folder: str) -> list[dict[str, Any]]:
    index = ROOT.parent / folder / "index.json"
    return [dict(s, folder=folder) for s in json.loads(index.read_text())["suites"]] if index.is_file() else []


SUITES = _index("kyverno")
EVERY_SUITE = [s for f in FOLDERS for s in _index(f)]

# suite -> (rules, why): the one place known differences between a scan and admission live.
# These rules read the requester (who sends the request), which only an admission request has:
# in a scan each is a visible SKIP saying so (checked below), at admission it judges.
REQUESTER: dict[str, tuple[frozenset[str], str]] = {
    "other/check-serviceaccount": (frozenset({"check-sa"}), "its precondition and pattern read {{serviceAccountName}}"),
    "other-vpol/limit-configmap-for-sa": (frozenset({"limit-configmap-for-sa"}),
                                          "a matchCondition reads request.userInfo.username"),
}


def _review(obj: dict[str, Any]) -> dict[str, Any]:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    meta = obj.get("metadata") or {}
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "00000000-0000-0000-0000-000000000001",
            "kind": {"group": group, "version": version, "kind": obj.get("kind")},
            "resource": {"group": group, "version": version, "resource": str(obj.get("kind", "")).lower() + "s"},
            "operation": "CREATE",
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "object": obj,
            "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
        },
    }


def _outcomes(results: list[RuleResult]) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((r.rule, str(r.status), tuple(v.message for v in r.violations)) for r in results)


@pytest.mark.parametrize(
    "suite",
    [pytest.param(s, id=f"{s['folder']}:{s['suite']}") for s in EVERY_SUITE],
)
def test_scan_and_webhook_agree(suite: dict[str, Any]) -> None:
    root = ROOT.parent / suite["folder"]
    engine = Engine(load_rules([root / p for p in suite["policies"]]).rules)
    compared = checked = 0
    for rel in suite["resources"]:
        path = pathlib.Path(root / rel)
        # Read as `guardrails scan` reads it (nulls unset), as the webhook reads the request.
        for doc in yamldocs.documents(path.read_text(), str(path), drop_nulls=True):
            assert isinstance(doc, yamldocs.Document), doc
            for scanned in yamldocs.resources_of(doc, str(path))[0]:
                request = admission.parse_review(json.loads(json.dumps(_review(dict(scanned.obj)), default=str)))
                webhook = request.resource()
                assert webhook is not None and webhook.request is not None
                from_scan, at_admission = engine.results(scanned), engine.results(webhook)
                differ, _ = REQUESTER.get(suite["suite"], (frozenset(), ""))
                for r in from_scan:
                    if r.rule in differ:  # no requester in a scan: a visible skip, never a verdict
                        assert r.status is Status.SKIP and r.violations[0].unjudged, r
                        assert r.violations[0].message == NO_REQUESTER
                for r in at_admission:
                    if r.rule in differ:  # at admission the rule judges
                        assert not (r.violations and r.violations[0].message == NO_REQUESTER), r
                assert _outcomes([r for r in from_scan if r.rule not in differ]) == _outcomes(
                    [r for r in at_admission if r.rule not in differ]), scanned.ref()
                compared += 1
                checked += sum(1 for r in from_scan if r.rule in differ)
    assert compared > 0
    assert checked or suite["suite"] not in REQUESTER, "the requester difference was never exercised"


def test_requester_differences_name_real_suites() -> None:
    assert set(REQUESTER) <= {s["suite"] for s in EVERY_SUITE}


def test_terraform_kubernetes_resources_get_the_same_verdicts(repo: pathlib.Path) -> None:
    """A `kubernetes_deployment_v1` in a plan is judged like the Deployment it creates."""
    from guardrails.model import Origin, Resource
    from guardrails.sources.terraform import plan as terraform

    policies = [ROOT / "best-practices/disallow-latest-tag/disallow-latest-tag.yaml",
                ROOT / "pod-security/restricted/require-run-as-nonroot/require-run-as-nonroot.yaml"]
    engine = Engine(load_rules(policies).rules)
    plan = terraform.read_plan((repo / "examples/terraform/plan.json").read_text(), "plan.json")
    (web,) = [r for r in terraform.resources(plan, "plan.json") if r.origin.address == "kubernetes_deployment_v1.web"]
    as_manifest = Resource(obj=web.obj, origin=Origin("web.yaml"))
    from_plan = _outcomes(engine.results(web))
    assert from_plan == _outcomes(engine.results(as_manifest))
    statuses = {rule: status for rule, status, _ in from_plan}
    assert statuses["autogen-validate-image-tag"] == "fail"  # nginx:latest


@pytest.mark.parametrize("suite", SUITES, ids=[s["suite"] for s in SUITES])
def test_engine_agrees_with_the_test_runner(suite: dict[str, Any]) -> None:
    """What `guardrails test` scores (Kyverno's rule answers) is what the engine reports."""
    import yaml

    from guardrails.model import Status
    from guardrails.ruletest import kyverno

    path = ROOT / suite["test"]
    loaded = kyverno.load_suite(str(path), yaml.safe_load(path.read_text()))
    answers = kyverno.responses(loaded)
    engine = Engine(load_rules([ROOT / p for p in suite["policies"]]).rules)
    for obj in loaded.resources:
        for pol in loaded.policies:
            vals = kyverno._resource_values(loaded.values, pol.name, obj)
            if set(vals) - {"request.operation"}:
                continue  # test-only variables (serviceAccountName) have no place in a real request
            got = {r.rule: r.status for r in engine.results(kyverno._resource(loaded, obj, vals))
                   if not (r.status is Status.SKIP and r.violations and "gave no result" in r.violations[0].message)}
            want = {name: resp.status for name, resp in answers[kyverno._key(obj)][pol.name].items()}
            assert {k: v for k, v in got.items() if k in {i.rule.name for i in pol.rules}} == want, obj["metadata"]
