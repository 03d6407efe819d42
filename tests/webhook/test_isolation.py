"""Native evaluators that cannot be interrupted, against the real server: a Rego loop inside
regorus is answered at the deadline (its worker killed), an object that crashes its worker is
denied by the rule-error path, /healthz answers meanwhile and the next request is judged by a
fresh worker."""

from __future__ import annotations

import pathlib
import threading
import time
from typing import Any

import pytest

from guardrails import isolation
from guardrails.webhook.rules import RuleStore
from tests import isolated_rules
from tests.webhook.conftest import ServerFactory, static_store

pytest.importorskip("regorus", reason="Gatekeeper Rego needs the gatekeeper extra (regorus)")


def _review(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "apps",
        "name": obj["metadata"]["name"], "operation": "CREATE", "userInfo": {"username": "dev"}, "object": obj}}


@pytest.mark.parametrize(("fail_mode", "allowed"), [("closed", False), ("open", True)])
def test_a_rego_loop_is_answered_at_the_deadline_and_the_next_request_judged(
    start: ServerFactory, tmp_path: pathlib.Path, fail_mode: str, allowed: bool
) -> None:
    store = RuleStore([str(isolated_rules.loop_folder(tmp_path / "rules"))], builtin=False)
    webhook = start(store=store, deadline=1.0, fail_open=fail_mode == "open")
    answers: dict[str, Any] = {}

    def send() -> None:
        answers["response"] = webhook.review(_review(isolated_rules.pod("slow", slow=True), "slow")).json()["response"]

    sender = threading.Thread(target=send)
    started = time.monotonic()
    sender.start()
    time.sleep(0.3)
    assert webhook.client.get("/healthz").status_code == 200  # the loop is in a worker, not here
    sender.join(20)
    took = time.monotonic() - started
    assert took < 8, took  # the 1 s deadline plus a loaded machine's slack; in-process it runs for minutes
    resp = answers["response"]
    assert resp["allowed"] is allowed
    text = resp["status"]["message"] if not allowed else " ".join(resp["warnings"])
    assert "1 s deadline" in text and isolated_rules.LOOP_RULE in text
    # A fresh worker judges the next objects: a deny where due, an allow where not.
    bad = webhook.review(_review(isolated_rules.pod("bad", bad=True), "bad")).json()["response"]
    assert bad["allowed"] is False and "bad label" in bad["status"]["message"]
    assert webhook.review(_review(isolated_rules.pod("fine"), "fine")).json()["response"]["allowed"] is True


@pytest.mark.parametrize("how", ["abort", "segv"])
@pytest.mark.parametrize("fail_mode", ["closed", "open"])
def test_an_object_that_crashes_its_worker_is_denied_and_the_server_stays_up(
    start: ServerFactory, how: str, fail_mode: str
) -> None:
    webhook = start(store=static_store([isolated_rules.crashing_rule()]), deadline=2.0, fail_open=fail_mode == "open")
    crashed = isolation.stats()["crashed"]
    pod = isolated_rules.pod("crash")
    pod["metadata"]["annotations"] = {"crash": how}
    resp = webhook.review(_review(pod, "crash")).json()["response"]
    # The object caused the crash: the rule's error denies whatever the fail mode.
    assert resp["allowed"] is False and "native-crash" in resp["status"]["message"]
    assert "crashed" in resp["status"]["message"]
    assert isolation.stats()["crashed"] == crashed + 1
    assert webhook.client.get("/healthz").status_code == 200
    pod["metadata"]["annotations"] = {}
    pod["metadata"]["labels"] = {"anything": "x"}
    assert webhook.review(_review(pod, "after")).json()["response"]["allowed"] is True
