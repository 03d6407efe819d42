"""The new CEL kinds at admission against `guardrails scan`: every ValidatingAdmissionPolicy and
Kyverno ValidatingPolicy of the conformance data, loaded as rule files, judges every resource of
its suite as an AdmissionReview exactly as a scan judges the same object in a file. No suite is
left out: admission reads its object as a scan does (explicit nulls such as `rules: null`
unset), so the recorded objects' nulls judge alike. Known differences between a scan and
admission (a requester) live in the one table, tests/dialects/kyverno/test_parity.py."""

from __future__ import annotations

import datetime
import json
import pathlib
from typing import Any

import pytest
import yaml

from guardrails import Engine
from guardrails.kube import resources as kres
from guardrails.policy.load import load_rules
from guardrails.scan import scan_text
from guardrails.sources.admission import parse_review
from guardrails.webhook.admit import decide
from guardrails.webhook.rules import RuleBook
from tests import shared

SHARED = shared.require_module()

TODAY = datetime.date(2026, 11, 22)
_KINDS = ("ValidatingAdmissionPolicy", "ValidatingPolicy")


def _suites() -> list[Any]:
    out = []
    for folder in ("vap", "kyverno-cel"):
        root = SHARED / "conformance" / folder
        if not (root / "index.json").is_file():
            continue
        for s in json.loads((root / "index.json").read_text())["suites"]:
            if any(k.split()[-1] in _KINDS for k in s["kinds"]) and not s.get("other") and not s.get("values"):
                out.append(pytest.param(root, s, id=f"{folder}:{s['suite']}"))
    return out


SUITES = _suites()


def _review(obj: dict[str, Any]) -> dict[str, Any]:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    resource, _ = kres.resource_of(group, str(obj.get("kind")))
    meta = obj.get("metadata") or {}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "7", "kind": {"group": group, "version": version, "kind": obj.get("kind")},
        "resource": {"group": group, "version": version, "resource": resource},
        "operation": "CREATE", "name": meta.get("name", ""), "namespace": meta.get("namespace", "default"),
        "userInfo": {"username": "dev"}, "object": obj}}


def _key(f: Any) -> tuple[str, str, str]:
    return (f.rule, f.status.value, f.message)


def test_the_suites_are_there() -> None:
    assert len(SUITES) >= 50, "conformance data missing"


@pytest.mark.parametrize(("root", "suite"), SUITES)
def test_admission_judges_the_new_kinds_like_a_scan(tmp_path: pathlib.Path, root: pathlib.Path, suite: dict[str, Any]) -> None:
    for i, p in enumerate(suite["policies"]):
        (tmp_path / f"policy{i}.yaml").write_bytes((root / p).read_bytes())
    rules = load_rules([tmp_path]).rules
    assert rules
    book = RuleBook.build(rules, (), TODAY)
    judged = 0
    for r in suite["resources"]:
        for obj in yaml.safe_load_all((root / r).read_text()):
            if not isinstance(obj, dict) or not obj.get("kind"):
                continue
            obj = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": (obj.get("metadata") or {}).get("namespace", "default")}}
            request = parse_review(_review(obj))
            outcome = decide(book, request, excluded=frozenset(), fail_open=False)
            same = [x for x in rules if "CREATE" in x.operations]
            scanned = scan_text(json.dumps(obj), "object.json", Engine(same, today=TODAY, inline_waivers="admission"))
            assert sorted(map(_key, outcome.findings)) == sorted(map(_key, scanned.findings)), obj["metadata"]
            judged += 1
    assert judged
