"""What an unauthenticated client can hold: the real server (uvicorn, TLS) against raw sockets.

The issue's attack: 700 silent TCP connections pushed a replica past its 256 MiB limit (each
held asyncio's 256 KiB TLS buffer for 60 s), nothing capped connections, and a server out of
file descriptors logged a traceback on every accept retry. Deadlines here are generous
("closed, not held"); speed is bench work.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import pathlib
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence

import httpx
import pytest

from guardrails.webhook import logs
from guardrails.webhook.transport import Throttled
from tests.webhook.conftest import Running, ServerFactory, TLSFiles, rules_folder

SLACK = 15.0  # seconds a loaded 2-core machine may take beyond a deadline


def _silent(port: int, n: int) -> list[socket.socket]:
    """n TCP connections that never send a byte (no ClientHello)."""
    return [socket.create_connection(("127.0.0.1", port), timeout=SLACK) for _ in range(n)]


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _handshaked(port: int, ca_file: pathlib.Path, n: int) -> list[ssl.SSLSocket]:
    ctx = ssl.create_default_context(cafile=str(ca_file))
    return [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=SLACK), server_hostname="127.0.0.1")
            for _ in range(n)]


def _close(socks: Sequence[socket.socket]) -> None:
    for s in socks:
        s.close()


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_silent_connections_are_closed_at_the_handshake_deadline(start: ServerFactory) -> None:
    w = start(handshake_timeout=1.0)
    socks = _silent(w.server.port or 0, 20)
    try:
        assert w.client.get("/healthz").status_code == 200  # answering while they wait
        started = time.monotonic()
        assert all(_closed_by_server(s) for s in socks)
        assert time.monotonic() - started < 1.0 + SLACK
        assert _wait_for(lambda: w.metric("guardrails_tls_handshake_failures_total", reason="timeout") == 20, SLACK)
        assert w.metric("guardrails_connections_open") == 1  # the client reading /metrics
    finally:
        _close(socks)


def test_a_client_that_is_not_tls_is_dropped_not_answered(webhook: Running) -> None:
    with socket.create_connection(("127.0.0.1", webhook.server.port or 0), timeout=SLACK) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _closed_by_server(s)
    assert _wait_for(lambda: webhook.metric("guardrails_tls_handshake_failures_total", reason="error") == 1, SLACK)


def test_at_the_cap_the_longest_waiting_connection_makes_room(start: ServerFactory, tls_files: TLSFiles) -> None:
    w = start(max_connections=8, handshake_timeout=60.0, header_timeout=60.0)
    port = w.server.port or 0
    silent = _silent(port, 4)
    idle = _handshaked(port, tls_files.ca_file, 4)  # handshaked, no request: waiting too
    try:
        assert _wait_for(lambda: len(w.server.gate.open) == 8, SLACK)  # type: ignore[union-attr]
        # New connections (the verifying client's) still get answers: the oldest waiting go first.
        with httpx.Client(base_url=w.url, verify=tls_files.client_context(), timeout=SLACK) as fresh:
            assert fresh.get("/healthz").status_code == 200
        assert _closed_by_server(silent[0])
        assert w.metric("guardrails_connections_evicted_total") >= 1
        assert w.metric("guardrails_connections_open") <= 8
    finally:
        _close(silent + idle)


def _busy(port: int, ca_file: pathlib.Path, n: int) -> list[ssl.SSLSocket]:
    """n connections each in the middle of a request (headers sent, body not)."""
    socks = _handshaked(port, ca_file, n)
    for s in socks:
        s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    return socks


def test_past_the_cap_of_busy_connections_new_ones_are_refused_then_served(
    start: ServerFactory, tls_files: TLSFiles,
) -> None:
    w = start(max_connections=4, read_timeout=60.0, header_timeout=60.0)
    port = w.server.port or 0
    busy = _busy(port, tls_files.ca_file, 4)
    try:
        assert _wait_for(lambda: not w.server.gate.waiting and len(w.server.gate.open) == 4, SLACK)  # type: ignore[union-attr]
        ctx = tls_files.client_context()
        with socket.create_connection(("127.0.0.1", port), timeout=SLACK) as raw, pytest.raises((ssl.SSLError, OSError)):
            ctx.wrap_socket(raw, server_hostname="127.0.0.1")  # closed before any TLS state is made
        assert w.server.gate.refused >= 1  # type: ignore[union-attr]
    finally:
        _close(busy)
    # Once they go, a verifying client gets answers again.
    with httpx.Client(base_url=w.url, verify=tls_files.client_context(), timeout=SLACK) as fresh:
        assert _wait_for(lambda: fresh.get("/healthz").status_code == 200, SLACK)
        assert fresh.get("/metrics").text.count("guardrails_connections_refused_total 1.0") == 1


def test_refusals_are_one_log_line_per_interval() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JSONFormatter())
    logs.logger.addHandler(handler)
    old = logs.logger.level
    logs.logger.setLevel(logging.INFO)

    async def flood() -> None:
        throttled = Throttled(0.2)
        for _ in range(1000):
            throttled.event(logging.WARNING, "connection refused", max_connections=4)
        await asyncio.sleep(0.5)

    try:
        asyncio.run(flood())
    finally:
        logs.logger.removeHandler(handler)
        logs.logger.setLevel(old)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    assert "repeated" not in lines[0] and lines[1]["repeated"] == 999


# --- a real `guardrails serve` process: memory and file descriptors --------------------------


class Served:
    """`guardrails serve` in a process with generated certificates; stderr lines collected."""

    def __init__(self, tmp: pathlib.Path, *flags: str, nofile: int | None = None) -> None:
        tmp.mkdir()
        rules = rules_folder(tmp / "rules")
        self.cert_dir = tmp / "tls"

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "guardrails", "serve", "--host", "127.0.0.1", "--port", "0",
             "--cert-dir", str(self.cert_dir), "--rules", str(rules), "--watch-interval", "30", *flags],
            stderr=subprocess.PIPE, text=True, preexec_fn=limit,
        )
        self.lines: list[str] = []
        self._port: list[int] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert _wait_for(lambda: self._port or self.proc.poll() is not None, 60) and self._port, self.lines
        self.port = self._port[0]

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if line.startswith("{") and json.loads(line).get("msg") == "listening":
                self._port.append(int(json.loads(line)["port"]))

    @property
    def ca_file(self) -> pathlib.Path:
        return self.cert_dir / "ca.crt"

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=f"https://127.0.0.1:{self.port}", verify=ssl.create_default_context(cafile=str(self.ca_file)),
                            timeout=SLACK)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()


@pytest.fixture
def served(tmp_path: pathlib.Path) -> Iterator[type[Served]]:
    started: list[Served] = []

    class Factory(Served):
        def __init__(self, *flags: str, nofile: int | None = None) -> None:
            super().__init__(tmp_path / f"s{len(started)}", *flags, nofile=nofile)
            started.append(self)

    yield Factory
    for s in started:
        s.stop()


def test_memory_held_by_connections_is_small_and_capped(served: type[Served]) -> None:
    s = served("--max-connections", "300", "--handshake-timeout", "60")
    with s.client() as c:
        assert c.get("/healthz").status_code == 200
    base = s.rss_mib()
    silent = _silent(s.port, 300)
    try:
        with s.client() as c:
            assert c.get("/healthz").status_code == 200  # the 301st: a silent one made room
        silent_growth = s.rss_mib() - base
        # 300 connections held ~90 MiB before (asyncio's TLS buffer each); now a few KiB each.
        assert silent_growth < 30, f"{silent_growth:.0f} MiB for 300 silent connections"
        more = _silent(s.port, 300)  # the cap holds: twice as many do not cost twice as much
        with s.client() as c:
            assert c.get("/healthz").status_code == 200
        assert s.rss_mib() - base < 40
        _close(more)
    finally:
        _close(silent)
    idle = _handshaked(s.port, s.ca_file, 200)
    try:
        for sock in idle:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in idle:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        idle_growth = s.rss_mib() - base
        assert idle_growth < 60, f"{idle_growth:.0f} MiB with 200 idle keep-alive TLS connections"
    finally:
        _close(idle)


def test_out_of_file_descriptors_is_one_log_line_and_recovers(served: type[Served]) -> None:
    s = served("--handshake-timeout", "60", nofile=96)
    socks = _silent(s.port, 150)  # the kernel queues them; the server runs out of fds accepting
    try:
        time.sleep(4)  # asyncio retries the accept each second
        lines = list(s.lines)
        accept = [line for line in lines if "cannot accept" in line]
        assert len(accept) == 1, lines[-20:]
        assert json.loads(accept[0])["level"] == "error"
        assert not [line for line in lines if "Traceback" in line or "out of system resource" in line]
    finally:
        _close(socks)
    with s.client() as c:  # fds come back as the silent connections go
        assert _wait_for(lambda: c.get("/healthz").status_code == 200, SLACK)
