"""Serving TLS: rotation in place without dropping a keep-alive connection, files picked up,
generated certificates, renewal before expiry."""

from __future__ import annotations

import datetime
import http.client
import os
import pathlib
import ssl
import time

from cryptography import x509

from guardrails.webhook import certs
from guardrails.webhook.server import build, make_tls
from guardrails.webhook.tls import ServingTLS
from tests.webhook.conftest import DAY, Running, ServerFactory, TLSFiles, make_settings, static_store


def _serial(sock: ssl.SSLSocket) -> int:
    der = sock.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def _fresh_serial(running: Running, tls: TLSFiles) -> int:
    conn = http.client.HTTPSConnection("127.0.0.1", running.server.port, context=tls.client_context(), timeout=5)
    try:
        conn.connect()
        assert conn.sock is not None
        return _serial(conn.sock)  # type: ignore[arg-type]
    finally:
        conn.close()


def _get(conn: http.client.HTTPSConnection, path: str) -> int:
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def test_rotation_keeps_the_open_connection_and_serves_the_new_cert(webhook: Running, tls_files: TLSFiles) -> None:
    conn = http.client.HTTPSConnection("127.0.0.1", webhook.server.port, context=tls_files.client_context(), timeout=5)
    try:
        assert _get(conn, "/healthz") == 200
        sock = conn.sock
        old = _serial(sock)  # type: ignore[arg-type]
        new = x509.load_pem_x509_certificate(tls_files.issue().cert_pem).serial_number
        deadline = time.monotonic() + 10
        while _fresh_serial(webhook, tls_files) != new:
            assert time.monotonic() < deadline, "new certificate not picked up"
            time.sleep(0.05)
        # The keep-alive connection opened before the rotation is still the same, and still works.
        assert _get(conn, "/healthz") == 200
        assert conn.sock is sock and _serial(sock) == old  # type: ignore[arg-type]
        assert webhook.state.tls is not None and webhook.state.tls.loads == 2
        assert webhook.metric("guardrails_certificate_expiry_timestamp_seconds") == webhook.state.tls.not_after.timestamp()  # type: ignore[union-attr]
    finally:
        conn.close()


def test_a_broken_cert_file_keeps_the_old_one(webhook: Running, tls_files: TLSFiles) -> None:
    before = _fresh_serial(webhook, tls_files)
    tls_files.cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----\n")
    deadline = time.monotonic() + 10
    while webhook.state.tls is None or webhook.state.tls.error is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert _fresh_serial(webhook, tls_files) == before
    assert webhook.client.get("/readyz").json()["certificate_error"].startswith(str(tls_files.cert))


def test_generated_certificates_are_trusted_through_the_written_ca(tmp_path: pathlib.Path) -> None:
    settings = make_settings(cert_dir=str(tmp_path / "certs"), service="gr", namespace="policy")
    with Running(build(settings, rules=static_store()), tmp_path / "certs" / "ca.crt") as running:
        assert running.client.get("/healthz").status_code == 200
        leaf = x509.load_pem_x509_certificate((tmp_path / "certs" / "tls.crt").read_bytes())
        ca = x509.load_pem_x509_certificate((tmp_path / "certs" / "ca.crt").read_bytes())
        assert leaf.issuer == ca.subject and leaf.subject != ca.subject
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        assert names[:4] == ["gr", "gr.policy", "gr.policy.svc", "gr.policy.svc.cluster.local"]
    assert oct(os.stat(tmp_path / "certs" / "tls.key").st_mode & 0o777) == "0o600"


def test_our_own_leaf_is_renewed_before_it_expires(tmp_path: pathlib.Path) -> None:
    ca = certs.generate_ca(lifetime=365 * DAY)
    now = [datetime.datetime.now(datetime.UTC)]
    tls = ServingTLS(
        str(tmp_path / "tls.crt"), str(tmp_path / "tls.key"),
        issuer=lambda: certs.issue_leaf(ca, ["localhost"], lifetime=30 * DAY, now=now[0]), clock=lambda: now[0],
    )
    tls.issue()
    tls.load()
    first = tls.not_after
    assert tls.refresh() is None  # nothing due, nothing changed
    now[0] += 19 * DAY
    assert tls.refresh() is None  # 11 of 30 days left: more than a third
    now[0] += 2 * DAY
    assert tls.due()
    assert tls.refresh() is True  # 9 days left: renewed and loaded
    assert tls.not_after is not None and first is not None and tls.not_after - first == 21 * DAY
    assert not tls.due() and tls.refresh() is None


def test_make_tls_from_files(tls_files: TLSFiles) -> None:
    tls, reconcile = make_tls(make_settings(tls_cert=str(tls_files.cert), tls_key=str(tls_files.key)))
    assert reconcile is None
    assert tls.issuer is None and tls.not_after is not None
    assert tls.context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_certificate_about_to_expire_fails_readiness(start: ServerFactory, tls_files: TLSFiles) -> None:
    tls_files.issue(lifetime=datetime.timedelta(hours=2))
    running = start()
    ready = running.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["certificate_expiring"] is True and ready.json()["draining"] is False
    tls_files.issue(lifetime=30 * DAY)  # renewed on disk (as cert-manager would): ready again
    deadline = time.monotonic() + 10
    while running.client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
