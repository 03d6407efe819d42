"""The real server over HTTPS: decisions on the recorded requests, bounds, errors, ops routes."""

from __future__ import annotations

import copy
import socket
import ssl
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import shared
from tests.admission_samples import NAMES, review
from tests.webhook.conftest import RULES, Running, ServerFactory, TLSFiles, static_store

UID = "1299d386-525b-4032-98ae-1949f69f9cfc"

# sample -> (allowed, code, rules named in the deny message, rules in warnings)
DECISIONS: dict[str, tuple[bool, int | None, list[str], list[str]]] = {
    "capabilities-psp-policy__panic.json": (True, None, [], []),
    "disallow-service-loadbalancer-policy__service_loadbalancer.json": (True, None, [], []),  # audit only
    "echo__create_accept.json": (False, 403, ["require-team", "no-latest-tag"], []),  # template checked
    "echo__delete_accept.json": (True, None, [], []),  # DELETE rules judge Pods, not templates
    "echo__update_accept.json": (False, 403, ["require-team", "no-latest-tag"], []),
    "kubernetes__admission.k8s.io.v1.AdmissionReview.json": (True, None, [], []),  # no rule for the op
    "kubernetes__admission.k8s.io.v1beta1.AdmissionReview.json": (True, None, [], []),
    "kwctl__privileged-pod-admission-review.json": (False, 403, ["no-privileged"], []),
    "kwctl__unprivileged-pod-admission-review.json": (True, None, [], []),
    "persistentvolumeclaim-storageclass-policy__pvc-fast-storage-class-request.json": (True, None, [], []),
    "pod-privileged-policy__privileged_init_container.json": (False, 403, ["no-privileged"], []),
    "pod-runtime-class-policy__PodDeleteRequest.json": (False, 403, ["deletable-pods-only"], []),
    "policy-server__deployment_admission_review.json": (False, 403, ["require-team"], []),
    "user-group-psp-policy__cronjob_root_user.json": (False, 403, ["require-team"], ["non-root-user"]),
    "user-group-psp-policy__statefulset_root_user.json": (False, 403, ["require-team"], ["non-root-user"]),
}


def test_every_sample_has_a_decision() -> None:
    shared.require("admission")
    assert sorted(DECISIONS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_recorded_requests(webhook: Running, name: str) -> None:
    shared.require("admission")
    allowed, code, denied, warned = DECISIONS[name]
    doc = review(name)
    r = webhook.review(doc)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["apiVersion"] == doc["apiVersion"] and body["kind"] == "AdmissionReview"
    resp = body["response"]
    assert resp["uid"] == doc["request"]["uid"]
    assert resp["allowed"] is allowed
    if code is None:
        assert "status" not in resp
    else:
        assert resp["status"]["code"] == code
        entries = resp["status"]["message"].split("; ")
        # One entry per violation, each starting with its rule's name, all deny rules named.
        assert [e.split(":")[0] for e in entries] == denied
    assert [w.split(":")[0] for w in resp.get("warnings", [])] == warned


def test_v1beta1_answered_in_v1beta1(webhook: Running) -> None:
    doc = review("pod-privileged-policy__privileged_init_container.json", api_version="admission.k8s.io/v1beta1")
    body = webhook.review(doc).json()
    assert body["apiVersion"] == "admission.k8s.io/v1beta1"
    assert body["response"]["allowed"] is False and body["response"]["uid"] == UID


def test_dry_run_same_decision_labelled_in_metrics(webhook: Running) -> None:
    doc = review("kwctl__privileged-pod-admission-review.json")
    doc["request"]["dryRun"] = True
    body = webhook.review(doc).json()
    assert body["response"]["allowed"] is False
    labels = {"decision": "deny", "operation": "CREATE", "kind": "Pod"}
    assert webhook.metric("guardrails_admission_requests_total", dry_run="true", **labels) == 1
    assert webhook.metric("guardrails_admission_requests_total", dry_run="false", **labels) == 0


def test_status_subresource_skipped(webhook: Running) -> None:
    doc = review("kwctl__privileged-pod-admission-review.json")
    doc["request"]["operation"] = "UPDATE"
    doc["request"]["subResource"] = "status"
    doc["request"]["oldObject"] = copy.deepcopy(doc["request"]["object"])
    assert webhook.review(doc).json()["response"] == {"uid": UID, "allowed": True}
    doc["request"].pop("subResource")
    assert webhook.review(doc).json()["response"]["allowed"] is False


def test_connect_skipped_unless_a_rule_asks(start: ServerFactory) -> None:
    from tests.webhook.conftest import _rule

    doc = review("kwctl__privileged-pod-admission-review.json")
    doc["request"]["operation"] = "CONNECT"
    plain = start()
    assert plain.review(doc).json()["response"]["allowed"] is True
    asks = start(store=static_store([_rule("no-exec", "deny", ["Pod"], {"metadata": {"name": "!nginx"}}, operations=["CONNECT"])]))
    assert asks.review(doc).json()["response"]["allowed"] is False


@pytest.mark.parametrize("namespace", ["kube-system", "guardrails"])
def test_excluded_namespaces_are_never_judged(webhook: Running, namespace: str) -> None:
    doc = review("kwctl__privileged-pod-admission-review.json")
    doc["request"]["namespace"] = namespace
    doc["request"]["object"]["metadata"]["namespace"] = namespace
    assert webhook.review(doc).json()["response"] == {"uid": UID, "allowed": True}
    assert webhook.metric("guardrails_rule_violations_total", rule="no-privileged") == 0


def test_inline_waiver_annotation_never_waives_a_deny_rule(webhook: Running) -> None:
    doc = review("kwctl__privileged-pod-admission-review.json")
    doc["request"]["object"]["metadata"]["annotations"] = {
        "guardrails.dev/ignore": "no-privileged",
        "guardrails.dev/ignore-reason": "trust me",
    }
    resp = webhook.review(doc).json()["response"]
    assert resp["allowed"] is False
    assert resp["status"]["message"].startswith("no-privileged: ")


def test_a_rule_that_raises_fails_closed_with_500(webhook: Running) -> None:
    doc = review("kwctl__unprivileged-pod-admission-review.json")
    doc["request"]["kind"] = {"group": "", "version": "v1", "kind": "ConfigMap"}
    doc["request"]["object"] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}
    r = webhook.review(doc)
    assert r.status_code == 200
    resp = r.json()["response"]
    assert resp["allowed"] is False
    assert resp["status"]["code"] == 500
    assert resp["status"]["message"].startswith("crashy: rule could not be evaluated: KeyError")
    assert webhook.metric("guardrails_admission_requests_total", decision="error") == 1


def test_a_rule_that_raises_denies_even_failing_open(start: ServerFactory) -> None:
    # The object's author can make a check raise: --fail-mode open must not make that a way in.
    doc = review("kwctl__unprivileged-pod-admission-review.json")
    doc["request"]["kind"] = {"group": "", "version": "v1", "kind": "ConfigMap"}
    doc["request"]["object"] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}
    resp = start(fail_open=True).review(doc).json()["response"]
    assert resp["allowed"] is False and resp["status"]["code"] == 500
    assert resp["status"]["message"].startswith("crashy: rule could not be evaluated")


def test_audit_counted_never_shown(webhook: Running) -> None:
    doc = review("disallow-service-loadbalancer-policy__service_loadbalancer.json")
    resp = webhook.review(doc).json()["response"]
    assert resp == {"uid": doc["request"]["uid"], "allowed": True}
    assert webhook.metric("guardrails_rule_violations_total", rule="audit-loadbalancer", action="audit") == 1


JUNK: list[tuple[str, bytes, str]] = [
    ("empty", b"", "body is not JSON"),
    ("not json", b"{nope", "body is not JSON"),
    ("json list", b"[]", "not an AdmissionReview: body must be a JSON object"),
    ("wrong kind", b'{"apiVersion": "v1", "kind": "Pod"}', "not an AdmissionReview: kind must be 'AdmissionReview'"),
    ("no uid", b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"operation": "CREATE"}}',
     "not an AdmissionReview: request.uid must be a non-empty string"),
    ("binary", bytes(range(256)), "body is not JSON"),
]


@pytest.mark.parametrize(("body", "reason"), [(b, r) for _, b, r in JUNK], ids=[i for i, _, _ in JUNK])
def test_junk_is_a_400_with_one_line(webhook: Running, body: bytes, reason: str) -> None:
    r = webhook.client.post("/validate", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.text.startswith(reason)
    assert r.text.count("\n") == 1 and r.text.endswith("\n")


def test_get_is_405(webhook: Running) -> None:
    assert webhook.client.get("/validate").status_code == 405


def test_declared_oversized_body_is_413_before_reading(webhook: Running, raw: Raw) -> None:
    sock = raw(webhook)
    sock.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{" % (9 * 1024 * 1024))
    answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"over the 8388608-byte limit" in answer


def test_oversized_chunked_body_is_413(start: ServerFactory) -> None:
    small = start(max_body=64 * 1024)

    def chunks() -> Any:
        for _ in range(20):
            yield b" " * 8192

    r = small.client.post("/validate", content=chunks())
    assert r.status_code == 413
    assert "64" in r.text or "65536" in r.text
    # A body under the cap is still judged.
    assert small.review(review("kwctl__unprivileged-pod-admission-review.json")).status_code == 200


Raw = Callable[[Running], ssl.SSLSocket]


@pytest.fixture
def raw(tls_files: TLSFiles) -> Iterator[Raw]:
    """Open TLS sockets to a server, for requests httpx would refuse to send; closed at teardown."""
    opened: list[socket.socket] = []

    def connect(running: Running) -> ssl.SSLSocket:
        sock = socket.create_connection(("127.0.0.1", running.server.port), timeout=5)
        opened.append(sock)
        tls = tls_files.client_context().wrap_socket(sock, server_hostname="localhost")
        opened.append(tls)
        return tls

    yield connect
    for sock in opened:
        sock.close()


def _read_all(sock: ssl.SSLSocket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        out += chunk
    return out


def test_slow_body_gets_408_and_the_connection_closed(webhook: Running, raw: Raw) -> None:
    sock = raw(webhook)
    sock.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    started = time.monotonic()
    answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in answer.lower()
    assert time.monotonic() - started < 4  # read_timeout is 1 s in tests


def test_slow_headers_are_cut_off(webhook: Running, raw: Raw) -> None:
    sock = raw(webhook)
    sock.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    assert _read_all(sock) == b""
    assert time.monotonic() - started < 4  # header_timeout is 1 s in tests


def test_oversized_headers_are_refused(webhook: Running, raw: Raw) -> None:
    sock = raw(webhook)
    # Headers still incomplete past the 32 KiB bound: refused without waiting for the rest.
    sock.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (40 * 1024))
    assert _read_all(sock).startswith(b"HTTP/1.1 400 ")


def test_tls_below_1_2_is_refused(webhook: Running, tls_files: TLSFiles) -> None:
    ctx = tls_files.client_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # asking for old TLS on purpose
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", webhook.server.port), timeout=5) as sock, pytest.raises(ssl.SSLError):
        ctx.wrap_socket(sock, server_hostname="localhost")


def test_plain_http_is_not_served(webhook: Running) -> None:
    with socket.create_connection(("127.0.0.1", webhook.server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = sock.recv(1024)
    assert b"ok" not in data


def test_health_ready_metrics(webhook: Running) -> None:
    assert webhook.client.get("/healthz").text == "ok\n"
    ready = webhook.client.get("/readyz")
    assert ready.status_code == 200
    details = ready.json()
    assert details["ready"] is True and details["rules_loaded"] == len(RULES) and details["rules_error"] is None
    assert details["draining"] is False and details["certificate_not_after"]
    webhook.review(review("kwctl__privileged-pod-admission-review.json"))
    text = webhook.client.get("/metrics").text
    assert "guardrails_rules_loaded 7.0" in text
    assert 'guardrails_admission_duration_seconds_bucket{decision="deny",le="0.0001"}' in text
    assert "guardrails_certificate_expiry_timestamp_seconds" in text
    assert webhook.metric("guardrails_rule_violations_total", rule="no-privileged", action="deny", status="fail") == 1
    # Object and namespace names never become labels.
    assert "nginx" not in text and 'namespace="' not in text


def test_logs_are_json_with_uid_and_decision(webhook: Running, caplog: pytest.LogCaptureFixture) -> None:
    import json
    import logging

    from guardrails.webhook.logs import JSONFormatter

    caplog.set_level(logging.INFO, logger="guardrails.webhook")
    webhook.review(review("kwctl__privileged-pod-admission-review.json"))
    deadline = time.monotonic() + 5
    while not [r for r in caplog.records if r.getMessage() == "admission"] and time.monotonic() < deadline:
        time.sleep(0.01)
    [record] = [r for r in caplog.records if r.getMessage() == "admission"]
    line = json.loads(JSONFormatter().format(record))
    assert line["uid"] == UID and line["decision"] == "deny" and line["msg"] == "admission"
    assert line["findings"][0]["rule"] == "no-privileged"


def test_metrics_and_messages_name_rules_by_id(start: ServerFactory, tmp_path: Any) -> None:
    """Two Kyverno policies reusing a rule name are two rules to the webhook too."""
    import yaml

    from guardrails.policy.load import load_rules
    from tests.twin_policies import POD, twin_repo

    root = twin_repo(tmp_path)
    rs = load_rules([root / "policies"])
    running = start(store=static_store(rs.rules, rs.waivers))
    doc = review("kwctl__unprivileged-pod-admission-review.json")
    doc["request"]["object"] = yaml.safe_load(POD)
    doc["request"]["namespace"] = "apps"
    resp = running.review(doc).json()["response"]
    assert resp["allowed"] is False
    assert "require-team/check-label: " in resp["status"]["message"]
    assert "require-owner/check-label: " in resp["status"]["message"]
    for rule in ("require-team/check-label", "require-owner/check-label"):
        assert running.metric("guardrails_rule_violations_total", rule=rule, action="deny") == 1
