"""The global bound on request body bytes in flight (`--max-inflight-bytes`), against a real
`guardrails serve` process (uvicorn, our TLS gate) with raw TLS clients that verify our CA.

The attack: many connections each sending a body just under the per-request cap, and never
finishing, so the server holds them all. With the bound the server holds at most the bound:
the requests past it get a 503 at once (the API server's failurePolicy decides), counted and
logged once per interval, and once the big bodies are done small requests are answered.
"""

from __future__ import annotations

import json
import pathlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest

from tests.webhook.test_transport import SLACK, Served, _wait_for

MiB = 1024 * 1024
SIZE = 2_200_000  # each body; two fit in the bound, three do not
BOUND = 6 * MiB
CLIENTS = 32  # ~70 MB of bodies were they all held
TAIL = 1000  # bytes each client keeps back, so its request stays in flight


@pytest.fixture
def served(tmp_path: pathlib.Path) -> Iterator[Served]:
    s = Served(tmp_path / "s", "--max-body-bytes", str(3 * MiB), "--max-inflight-bytes", str(BOUND),
               "--read-timeout", "120", "--eval-threads", "2")
    yield s
    s.stop()


def _review(size: int) -> bytes:
    doc = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "big", "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"}, "operation": "CREATE",
        "namespace": "shop", "name": "cm", "userInfo": {"username": "dev"},
        "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"team": "a"}}},
    }}
    text = json.dumps(doc).encode()
    return text + b" " * (size - len(text))  # whitespace after the document is still JSON


class Sender:
    """One TLS connection sending a big review, all but its tail; then on request the tail."""

    def __init__(self, port: int, ctx: ssl.SSLContext, body: bytes, chunked: bool) -> None:
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=SLACK),
                                    server_hostname="127.0.0.1")
        self.body, self.chunked = body, chunked
        self.cut = False  # the server closed on us (refused)

    def _frame(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    def start(self) -> None:
        length = b"Transfer-Encoding: chunked" if self.chunked else b"Content-Length: %d" % len(self.body)
        head = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n\r\n" % length
        try:
            self.sock.sendall(head)
            for i in range(0, len(self.body) - TAIL, 64 * 1024):
                self.sock.sendall(self._frame(self.body[i:min(i + 64 * 1024, len(self.body) - TAIL)]))
        except OSError:
            self.cut = True

    def finish(self) -> bytes:
        tail = self._frame(self.body[-TAIL:]) + (b"0\r\n\r\n" if self.chunked else b"")
        try:
            self.sock.sendall(tail)
        except OSError:
            self.cut = True
        out = b""
        try:
            while b"\r\n\r\n" not in out or len(out) < _length(out):
                data = self.sock.recv(65536)
                if not data:
                    break
                out += data
        except OSError:
            pass
        self.sock.close()
        return out


def _length(response: bytes) -> int:
    head, _, _ = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(response)


def _metric(s: Served, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    with s.client() as c:
        text = c.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return 0.0


def test_many_large_bodies_are_held_within_the_bound_and_small_requests_answered_after(served: Served) -> None:
    s = served
    ctx = ssl.create_default_context(cafile=str(s.ca_file))
    with s.client() as c:
        assert c.get("/healthz").status_code == 200
    base = s.rss_mib()
    body = _review(SIZE)
    senders = [Sender(s.port, ctx, body, chunked=i % 2 == 1) for i in range(CLIENTS)]
    threads = [threading.Thread(target=x.start) for x in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Every client has sent all but its tail: the accepted ones are held, the rest refused.
    assert _wait_for(lambda: _metric(s, "guardrails_admission_inflight_refused_total") >= CLIENTS - BOUND // SIZE, SLACK)
    held = _metric(s, "guardrails_admission_inflight_body_bytes")
    assert 0 < held <= BOUND
    growth = s.rss_mib() - base
    sent = CLIENTS * (SIZE - TAIL) / MiB
    assert growth < 30, f"{growth:.0f} MiB held for {sent:.0f} MiB sent, with a {BOUND // MiB} MiB bound"

    answers = [x.finish() for x in senders]
    ok = [a for a in answers if a.startswith(b"HTTP/1.1 200")]
    busy = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
    assert 1 <= len(ok) <= BOUND // SIZE, [a[:40] for a in answers]
    for a in ok:
        assert json.loads(a.partition(b"\r\n\r\n")[2])["response"]["allowed"] is True
    for a in busy:
        assert b"max-inflight-bytes" in a
    refused = _metric(s, "guardrails_admission_inflight_refused_total")
    assert refused == CLIENTS - len(ok)  # every other client was refused (its 503 may be lost in the close)
    assert _metric(s, "guardrails_admission_inflight_body_bytes") == 0

    # The big ones done, a small request is answered; the flood was one log line.
    with s.client() as c:
        r = c.post("/validate", content=_review(2000), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["response"]["allowed"] is True
    time.sleep(0.2)
    lines = [json.loads(line) for line in s.lines if line.startswith("{")]
    refusals = [line for line in lines if line.get("msg") == "request refused: too many body bytes in flight"]
    assert len(refusals) == 1 and "max-inflight-bytes" in refusals[0]["reason"], refusals


def test_claims_grow_within_the_bound_and_give_back_what_they_held() -> None:
    from guardrails.webhook.inflight import InFlight

    pool = InFlight(100)
    a, b = pool.claim(), pool.claim()
    assert a.grow(60) and pool.held == 60
    assert not b.grow(50) and b.held == 0 and pool.held == 60  # refused: nothing taken
    assert b.grow(40) and pool.held == 100
    assert a.grow(30) and pool.held == 100  # a claim never shrinks while held
    assert not a.grow(61) and a.held == 60
    a.release()
    a.release()  # twice is once
    assert pool.held == 40
    b.release()
    assert pool.held == 0
