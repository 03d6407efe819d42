"""Autogen: which rules Kyverno generates for pod controllers, and what they look like."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.dialects.kyverno import autogen

POD_RULE: dict[str, Any] = {
    "name": "check-image",
    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
    "preconditions": {"all": [{"key": "{{ request.object.metadata.name }}", "operator": "NotEquals", "value": ""}]},
    "validate": {"message": "no latest", "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}}},
}


def names(rules: list[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in rules]


def test_pod_rule_gets_controller_and_cronjob_copies() -> None:
    rules = autogen.expand([POD_RULE], {})
    assert names(rules) == ["check-image", "autogen-check-image", "autogen-cronjob-check-image"]
    ctl, cron = rules[1], rules[2]
    assert ctl["match"]["any"][0]["resources"]["kinds"] == [
        "apps/v1/DaemonSet", "apps/v1/Deployment", "batch/v1/Job", "apps/v1/ReplicaSet",
        "v1/ReplicationController", "apps/v1/StatefulSet"]  # sorted by name, as Kyverno does
    assert ctl["validate"]["pattern"] == {"spec": {"template": POD_RULE["validate"]["pattern"]}}
    assert ctl["preconditions"]["all"][0]["key"] == "{{ request.object.spec.template.metadata.name }}"
    assert cron["match"]["any"][0]["resources"]["kinds"] == ["batch/v1/CronJob"]
    assert cron["validate"]["pattern"] == {"spec": {"jobTemplate": {"spec": {"template": POD_RULE["validate"]["pattern"]}}}}
    assert cron["preconditions"]["all"][0]["key"] == "{{ request.object.spec.jobTemplate.spec.template.metadata.name }}"
    assert cron["validate"]["message"] == "no latest"


@pytest.mark.parametrize(
    ("annotation", "want"),
    [("none", ["check-image"]),
     ("Deployment", ["check-image", "autogen-check-image"]),
     ("CronJob", ["check-image", "autogen-cronjob-check-image"]),
     ("Deployment,CronJob", ["check-image", "autogen-check-image", "autogen-cronjob-check-image"])],
)
def test_annotation(annotation: str, want: list[str]) -> None:
    rules = autogen.expand([POD_RULE], {autogen.ANNOTATION: annotation})
    assert names(rules) == want
    if annotation == "Deployment":
        assert rules[1]["match"]["any"][0]["resources"]["kinds"] == ["apps/v1/Deployment"]


@pytest.mark.parametrize(
    "resources",
    [{"kinds": ["Pod"], "names": ["web"]}, {"kinds": ["Pod"], "selector": {"matchLabels": {"a": "b"}}},
     {"kinds": ["Pod", "Deployment"]}, {"kinds": ["Service"]}],
)
def test_no_autogen(resources: dict[str, Any]) -> None:
    rule = {**POD_RULE, "match": {"any": [{"resources": resources}]}}
    assert names(autogen.expand([rule], {})) == ["check-image"]


def test_deny_anypattern_foreach_and_exclude() -> None:
    deny = {"name": "d", "match": {"resources": {"kinds": ["Pod"]}},
            "exclude": {"resources": {"kinds": ["Pod"], "namespaces": ["kube-system"]}},
            "validate": {"deny": {"conditions": {"any": [{"key": "{{ request.object.spec.hostPID }}", "operator": "Equals", "value": True}]}}}}
    anyp = {"name": "a", "match": {"resources": {"kinds": ["Pod"]}}, "validate": {"anyPattern": [{"spec": {"a": 1}}, {"spec": {"b": 1}}]}}
    rules = {r["name"]: r for r in autogen.expand([deny, anyp], {})}
    d = rules["autogen-d"]
    assert d["match"]["resources"]["kinds"][0] == "apps/v1/DaemonSet"
    assert d["exclude"]["resources"]["kinds"] == d["match"]["resources"]["kinds"]
    assert d["validate"]["deny"]["conditions"]["any"][0]["key"] == "{{ request.object.spec.template.spec.hostPID }}"
    assert rules["autogen-cronjob-a"]["validate"]["anyPattern"][1] == {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"b": 1}}}}}}


def test_long_names_are_cut_at_63() -> None:
    rule = {**POD_RULE, "name": "x" * 60}
    assert all(len(n) <= 63 for n in names(autogen.expand([rule], {})))
