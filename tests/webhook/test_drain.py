"""SIGTERM on a real `guardrails serve` process: readiness fails, answers close their connection,
requests are still answered during the drain window, then the process exits 0."""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.admission_samples import review
from tests.webhook.conftest import TLSFiles, rules_folder

DRAIN = 4.0  # long enough for the checks below on a loaded CI machine


@pytest.fixture
def served(tls_files: TLSFiles, tmp_path: pathlib.Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    rules = tmp_path / "rules"
    rules_folder(rules)
    proc = subprocess.Popen(
        [sys.executable, "-m", "guardrails", "serve", "--host", "127.0.0.1", "--port", "0",
         "--tls-cert", str(tls_files.cert), "--tls-key", str(tls_files.key), "--rules", str(rules),
         "--drain-seconds", str(DRAIN), "--watch-interval", "0.2"],
        stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    port = None
    deadline = time.monotonic() + 30
    while port is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        record = json.loads(line)  # every log line is one JSON object
        if record.get("msg") == "listening":
            port = int(record["port"])
    assert port is not None, "server did not report its port"
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stderr.close()


def test_sigterm_drains_then_exits(served: tuple[subprocess.Popen[str], int], tls_files: TLSFiles) -> None:
    proc, port = served
    doc = review("kwctl__unprivileged-pod-admission-review.json")
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=tls_files.client_context(), timeout=5) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and "connection" not in ready.headers
        before = client.post("/validate", json=doc)
        assert before.status_code == 200 and "connection" not in before.headers
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        deadline = sent + DRAIN
        while client.get("/readyz").status_code != 503:
            assert time.monotonic() < deadline, "readiness did not fail after SIGTERM"
            time.sleep(0.05)
        draining = client.get("/readyz")
        assert draining.json()["draining"] is True
        assert draining.headers["connection"] == "close"
        # Still answering admission requests during the window, each closing its connection.
        answer = client.post("/validate", json=doc)
        assert answer.status_code == 200 and answer.json()["response"]["allowed"] is True
        assert answer.headers["connection"] == "close"
        assert proc.poll() is None and time.monotonic() - sent < DRAIN
    assert proc.wait(timeout=DRAIN + 15) == 0
    assert time.monotonic() - sent >= DRAIN * 0.9
