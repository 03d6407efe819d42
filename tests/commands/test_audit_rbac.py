"""deploy/audit-rbac.yaml: exactly the read access the built-in rules need, and writes only on
PolicyReports (least privilege that still audits everything the rules match)."""

from __future__ import annotations

import pathlib

import yaml

from guardrails.policy.load import load_rules
from guardrails.sources import cluster

RBAC = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "audit-rbac.yaml"


def role() -> dict[str, object]:
    (doc,) = [d for d in yaml.safe_load_all(RBAC.read_text()) if d["kind"] == "ClusterRole"]
    return doc  # type: ignore[no-any-return]


def grants(verbs: frozenset[str]) -> set[tuple[str, str]]:
    return {(g, r) for rule in role()["rules"] for g in rule["apiGroups"] for r in rule["resources"]  # type: ignore[attr-defined]
            if frozenset(rule["verbs"]) == verbs}


def test_reads_exactly_what_the_built_in_rules_match() -> None:
    rules = load_rules((), builtin=True, profiles=("all",))
    names = {k for r in rules.rules if r.kinds for k in r.kinds}
    kinds, _, _ = cluster.kinds_of(names)
    assert grants(frozenset({"get", "list"})) == {(k.group, k.plural) for k in kinds}


def test_writes_only_policy_reports_and_no_wildcards() -> None:
    assert grants(frozenset({"get", "create", "update"})) == {("wgpolicyk8s.io", "policyreports"), ("wgpolicyk8s.io", "clusterpolicyreports")}
    for rule in role()["rules"]:  # type: ignore[attr-defined]
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert not set(rule["verbs"]) & {"watch", "delete", "patch", "deletecollection", "escalate", "bind", "impersonate"}
