"""The staged rollout (`serve --enforcement`) against the real server, on recorded AdmissionReviews:
what each mode answers (allowed, status, warnings), and what /readyz, /metrics and the logs say."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from guardrails.model import Enforcement
from guardrails.webhook.logs import JSONFormatter
from tests.admission_samples import review
from tests.webhook.conftest import Running, ServerFactory, static_store

PRIVILEGED = "kwctl__privileged-pod-admission-review.json"
CRONJOB = "user-group-psp-policy__cronjob_root_user.json"  # a deny rule and a warn rule fail
PLAIN = "kwctl__unprivileged-pod-admission-review.json"
LOADBALANCER = "disallow-service-loadbalancer-policy__service_loadbalancer.json"  # an audit rule only


def _crashy(name: str) -> dict[str, Any]:
    """A ConfigMap review: the conftest's `crashy` deny rule raises on it (the rule's ERROR)."""
    doc = review(name)
    doc["request"]["kind"] = {"group": "", "version": "v1", "kind": "ConfigMap"}
    doc["request"]["object"] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}
    return doc


# (id, review) -> per mode: (allowed, status code, rules named in the warnings, decision label)
Expect = tuple[bool, int | None, list[str], str]
ROWS: list[tuple[str, Any, dict[str, Expect]]] = [
    ("deny rule fails", lambda: review(PRIVILEGED), {
        "enforce": (False, 403, [], "deny"),
        "warn": (True, None, ["no-privileged"], "would-deny"),
        "audit": (True, None, [], "would-deny"),
    }),
    # The warn rule warns in every mode; under warn the denial's warning comes first.
    ("deny and warn rules fail", lambda: review(CRONJOB), {
        "enforce": (False, 403, ["non-root-user"], "deny"),
        "warn": (True, None, ["require-team", "non-root-user"], "would-deny"),
        "audit": (True, None, ["non-root-user"], "would-deny"),
    }),
    # A deny rule's ERROR is that rule's answer on the object: it follows the mode like a FAIL.
    ("deny rule errors", lambda: _crashy(PLAIN), {
        "enforce": (False, 500, [], "error"),
        "warn": (True, None, ["crashy"], "would-deny"),
        "audit": (True, None, [], "would-deny"),
    }),
    ("nothing fails", lambda: review(PLAIN), {m.value: (True, None, [], "allow") for m in Enforcement}),
    ("audit rule fails", lambda: review(LOADBALANCER), {m.value: (True, None, [], "allow") for m in Enforcement}),
]


def _total(webhook: Running, name: str, **labels: str) -> float:
    """The sum over every sample of `name` with these labels (kinds and operations apart)."""
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        s.value
        for family in text_string_to_metric_families(webhook.client.get("/metrics").text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _admission_lines(caplog: pytest.LogCaptureFixture, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while len([r for r in caplog.records if r.getMessage() == "admission"]) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [json.loads(JSONFormatter().format(r)) for r in caplog.records if r.getMessage() == "admission"]


@pytest.mark.parametrize("mode", [m.value for m in Enforcement])
def test_each_mode_answers_as_documented(start: ServerFactory, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    caplog.set_level(logging.INFO, logger="guardrails.webhook")
    webhook: Running = start(enforcement=Enforcement(mode))
    for _, make, expect in ROWS:
        allowed, code, warned, _ = expect[mode]
        doc = make()
        r = webhook.review(doc)
        assert r.status_code == 200
        resp = r.json()["response"]
        assert resp["uid"] == doc["request"]["uid"]
        assert resp["allowed"] is allowed, (mode, resp)
        assert resp.get("status", {}).get("code") == code
        assert [w.split(":")[0] for w in resp.get("warnings", [])] == warned

    # Metrics: decisions counted by label, would-deny apart from deny; the mode as a gauge.
    for decision in ("allow", "deny", "error", "would-deny"):
        want = sum(1 for _, _, e in ROWS if e[mode][3] == decision)
        assert _total(webhook, "guardrails_admission_requests_total", decision=decision) == want, decision
    for m in Enforcement:
        assert webhook.metric("guardrails_enforcement", mode=m.value) == (1 if m.value == mode else 0)
    # Rule outcomes are counted the same in every mode.
    assert webhook.metric("guardrails_rule_violations_total", rule="no-privileged", action="deny", status="fail") == 1

    ready = webhook.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["enforcement"] == mode

    # One log line per decision: would-deny ones name their findings (the audit record).
    lines = [line for line in _admission_lines(caplog, len(ROWS)) if line["enforcement"] == mode]
    by_decision = [line["decision"] for line in lines]
    assert by_decision == [e[mode][3] for _, _, e in ROWS]
    for line in lines:
        if line["decision"] == "would-deny":
            assert any(f["action"] == "deny" for f in line["findings"])


def test_the_default_mode_is_enforce(webhook: Running) -> None:
    assert webhook.client.get("/readyz").json()["enforcement"] == "enforce"
    assert webhook.metric("guardrails_enforcement", mode="enforce") == 1
    assert webhook.review(review(PRIVILEGED)).json()["response"]["allowed"] is False


def test_warn_mode_bounds_many_denials(start: ServerFactory) -> None:
    """Sixty failing deny rules under warn: each warning within 256 characters, at most 50 of
    them, the last saying how many more (the API server truncates past its own limits)."""
    from guardrails.dialects.native import compile_native
    from guardrails.reporters.admission import MAX_WARNING, MAX_WARNINGS, MAX_WARNINGS_BYTES

    rules = [
        compile_native(f"needs-label-{i:02d}", {
            "action": "deny", "match": {"kinds": ["Pod"]}, "message": f"label x{i} is required " + "w" * 300,
            "pattern": {"metadata": {"labels": {f"x{i}": "?*"}}},
        }, source=None)
        for i in range(60)
    ]
    webhook = start(store=static_store(rules), enforcement=Enforcement.WARN)
    resp = webhook.review(review(PLAIN)).json()["response"]
    assert resp["allowed"] is True and "status" not in resp
    warns = resp["warnings"]
    assert len(warns) <= MAX_WARNINGS and sum(len(w.encode()) for w in warns) <= MAX_WARNINGS_BYTES
    assert all(len(w) <= MAX_WARNING for w in warns)
    assert warns[-1] == f"…and {60 - (len(warns) - 1)} more"
    assert webhook.metric("guardrails_admission_requests_total", decision="would-deny") == 1
