"""Objects written to stall the webhook, against the real server: each gets its answer in time,
a deny where a deny is due, and /healthz keeps answering meanwhile."""

from __future__ import annotations

import pathlib
import threading
import time

import pytest

from guardrails.dialects.native import compile_native
from guardrails.webhook.rules import RuleStore
from tests import slow_rules
from tests.admission_samples import review
from tests.webhook.conftest import ServerFactory, static_store

EVIL = r"^([a-z0-9]+\.?)+@corp\.com$"


def _contact_rule() -> object:
    return compile_native("contact", {
        "action": "deny", "match": {"kinds": ["Pod"]},
        "requiredAnnotations": [{"key": "contact", "allowedRegex": EVIL}],
    }, source=None)


def test_a_redos_annotation_is_judged_at_once(start: ServerFactory) -> None:
    webhook = start(store=static_store([_contact_rule()]))
    doc = review("kwctl__unprivileged-pod-admission-review.json")
    doc["request"]["object"]["metadata"]["annotations"] = {"contact": "a" * 32 + "!"}
    started = time.monotonic()
    resp = webhook.review(doc).json()["response"]
    assert time.monotonic() - started < 10  # Python's engine: 126 s for these 33 characters
    assert resp["allowed"] is False and resp["status"]["message"].startswith("contact: ")
    doc["request"]["object"]["metadata"]["annotations"] = {"contact": "ops.team@corp.com"}
    assert webhook.review(doc).json()["response"]["allowed"] is True


# --- the per-decision deadline: a legal but slow object, against the real server -------------

def _big_pod_review(containers: int, *, privileged: bool = False, uid: str = "slow") -> dict[str, object]:
    obj = slow_rules.pod(containers, privileged=privileged)
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "apps", "name": "big",
        "operation": "CREATE", "userInfo": {"username": "dev"}, "object": obj}}


def _slow_store(tmp_path: pathlib.Path) -> RuleStore:
    return RuleStore([str(slow_rules.folder(tmp_path / "rules"))], builtin=False)


@pytest.mark.parametrize(("fail_mode", "allowed"), [("closed", False), ("open", True)])
def test_a_slow_decision_answers_by_the_fail_mode_at_its_deadline(
    start: ServerFactory, tmp_path: pathlib.Path, fail_mode: str, allowed: bool
) -> None:
    webhook = start(store=_slow_store(tmp_path), deadline=1.0, fail_open=fail_mode == "open")
    # 2,000 containers: ~80 s of nested foreach, a 90 KB body.
    doc = _big_pod_review(2000)
    answers: dict[str, object] = {}

    def send() -> None:
        answers["response"] = webhook.review(doc).json()["response"]

    sender = threading.Thread(target=send)
    started = time.monotonic()
    sender.start()
    time.sleep(0.3)
    # The event loop is not the one judging: health, metrics and small requests answer meanwhile.
    assert webhook.client.get("/healthz").status_code == 200
    quick = webhook.review(_big_pod_review(3, uid="quick")).json()["response"]
    assert quick["allowed"] is True
    sender.join(10)
    took = time.monotonic() - started
    assert took < 8, took  # the deadline (1 s) plus a loaded machine's slack; unbounded it is ~80 s
    resp = answers["response"]
    assert isinstance(resp, dict)
    assert resp["allowed"] is allowed
    text = resp["status"]["message"] if not allowed else " ".join(resp["warnings"])
    assert "no decision within the 1 s deadline" in text and slow_rules.RULE_ID in text
    assert webhook.metric("guardrails_admission_deadline_exceeded_total", rule=slow_rules.RULE_ID) == 1
    # The evaluator was interrupted, not abandoned: the pool is free for the next decisions.
    for i in range(5):
        assert webhook.review(_big_pod_review(3, uid=f"after{i}")).json()["response"]["allowed"] is True


def test_a_deny_found_before_the_deadline_still_denies_failing_open(start: ServerFactory, tmp_path: pathlib.Path) -> None:
    webhook = start(store=_slow_store(tmp_path), deadline=1.0, fail_open=True)
    resp = webhook.review(_big_pod_review(2000, privileged=True)).json()["response"]
    assert resp["allowed"] is False
    assert resp["status"]["message"].startswith("no-privileged: ")


def test_under_warn_a_deadline_still_fails_closed(start: ServerFactory, tmp_path: pathlib.Path) -> None:
    """--enforcement warn turns rule denials into warnings, never an outage into an allow."""
    from guardrails.model import Enforcement

    webhook = start(store=_slow_store(tmp_path), deadline=1.0, enforcement=Enforcement.WARN)
    resp = webhook.review(_big_pod_review(2000, privileged=True)).json()["response"]
    assert resp["allowed"] is False and resp["status"]["code"] == 500
    assert "no decision within the 1 s deadline" in resp["status"]["message"]
    assert [w.split(":")[0] for w in resp["warnings"]] == ["no-privileged"]


def test_slow_requests_flooding_the_pool_are_answered_at_their_deadline(start: ServerFactory, tmp_path: pathlib.Path) -> None:
    webhook = start(store=_slow_store(tmp_path), deadline=1.0, eval_threads=1)
    results: list[float] = []

    def send(i: int) -> None:
        t = time.monotonic()
        r = webhook.review(_big_pod_review(2000, uid=f"flood{i}")).json()["response"]
        assert r["allowed"] is False and "deadline" in r["status"]["message"]
        results.append(time.monotonic() - t)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert len(results) == 4 and max(results) < 10, results  # each near its 1 s deadline, never ~80 s
