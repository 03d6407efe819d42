"""Shared CA Secret and caBundle patch, through the real `kubernetes` client, against a server
that implements the documented contract of those endpoints (tests/webhook/fake_apiserver.py)."""

from __future__ import annotations

import base64
import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from guardrails.webhook import bootstrap, certs
from guardrails.webhook.server import make_tls
from tests.webhook.conftest import DAY, APIServer, TLSFiles, make_settings
from tests.webhook.fake_apiserver import FakeAPI

NS, SECRET, VWC = "guardrails", "guardrails-webhook-ca", "guardrails"


def _hooks() -> list[dict[str, Any]]:
    svc = {"service": {"name": "guardrails", "namespace": NS, "path": "/validate", "port": 443}}
    return [
        {"name": "validate.guardrails.dev", "clientConfig": dict(svc), "sideEffects": "None",
         "admissionReviewVersions": ["v1", "v1beta1"]},
        {"name": "validate-delete.guardrails.dev", "clientConfig": dict(svc, caBundle=base64.b64encode(b"stale").decode()),
         "sideEffects": "None", "admissionReviewVersions": ["v1"]},
    ]


@pytest.fixture
def apiserver(tls_files: TLSFiles) -> Iterator[Callable[..., APIServer]]:
    started: list[APIServer] = []

    def start(**kw: Any) -> APIServer:
        api = FakeAPI(**kw)
        api.add_webhook_config(VWC, _hooks())
        server = APIServer(api, tls_files)
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


def _bundle_certs(server: APIServer) -> list[list[bytes]]:
    out = []
    for hook in server.api.webhooks[VWC]["webhooks"]:
        pem = base64.b64decode(hook["clientConfig"]["caBundle"])
        out.append([c.public_bytes(serialization.Encoding.PEM) for c in x509.load_pem_x509_certificates(pem)])
    return out


def test_first_replica_creates_the_ca_and_patches_every_webhook(apiserver: Callable[..., APIServer]) -> None:
    server = apiserver()
    settings = make_settings(in_cluster=True, namespace=NS)
    ca = bootstrap.cluster_ca(settings, clients=server.clients())
    stored = server.api.secrets[(NS, SECRET)]["data"]
    assert base64.b64decode(stored["ca.crt"]) == ca.cert_pem
    assert _bundle_certs(server) == [[ca.cert_pem], [ca.cert_pem]]
    assert [r[:2] for r in server.api.requests if r[0] == "POST"] == [("POST", f"/api/v1/namespaces/{NS}/secrets")]
    patches = [r for r in server.api.requests if r[0] == "PATCH"]
    assert [p[2] for p in patches] == ["application/json-patch+json"]
    assert server.api.tokens == {"Bearer sa-token"}
    # A second replica reads the same CA and has nothing to patch.
    again = bootstrap.cluster_ca(settings, clients=server.clients())
    assert again == ca
    assert len([r for r in server.api.requests if r[0] == "PATCH"]) == 1


def test_replicas_racing_to_create_converge_on_the_winner(apiserver: Callable[..., APIServer]) -> None:
    server = apiserver(gate_reads=2)  # both replicas see "no Secret" before either creates it
    settings = make_settings(in_cluster=True, namespace=NS)
    results: list[certs.KeyPair] = []
    threads = [threading.Thread(target=lambda: results.append(bootstrap.cluster_ca(settings, clients=server.clients())))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and results[0] == results[1]
    assert len([r for r in server.api.requests if r[0] == "POST"]) == 2  # one 201, one 409
    assert base64.b64decode(server.api.secrets[(NS, SECRET)]["data"]["ca.crt"]) == results[0].cert_pem


def _seed(server: APIServer, ca: certs.KeyPair) -> None:
    data = {k: base64.b64encode(v).decode() for k, v in (("ca.crt", ca.cert_pem), ("ca.key", ca.key_pem), ("bundle.crt", ca.cert_pem))}
    server.api.secrets[(NS, SECRET)] = server.api._bump({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                                         "metadata": {"name": SECRET, "namespace": NS}, "data": data})


def test_an_expiring_ca_is_rotated_and_the_old_one_kept_in_the_bundle(apiserver: Callable[..., APIServer]) -> None:
    server = apiserver()
    old = certs.generate_ca(lifetime=20 * DAY)  # under 2 x 30-day leaves left
    _seed(server, old)
    new = bootstrap.cluster_ca(make_settings(in_cluster=True, namespace=NS), clients=server.clients())
    assert new != old and new.not_after > old.not_after
    stored = server.api.secrets[(NS, SECRET)]["data"]
    assert base64.b64decode(stored["ca.crt"]) == new.cert_pem
    assert base64.b64decode(stored["bundle.crt"]) == new.cert_pem + old.cert_pem
    assert _bundle_certs(server) == [[new.cert_pem, old.cert_pem]] * 2
    assert [r[0] for r in server.api.requests if "secrets" in r[1]] == ["GET", "PUT"]


def test_concurrent_rotations_converge(apiserver: Callable[..., APIServer]) -> None:
    server = apiserver(gate_reads=2)  # both replicas read the expiring CA, both try to replace it
    old = certs.generate_ca(lifetime=20 * DAY)
    _seed(server, old)
    settings = make_settings(in_cluster=True, namespace=NS)
    results: list[certs.KeyPair] = []
    threads = [threading.Thread(target=lambda: results.append(bootstrap.cluster_ca(settings, clients=server.clients())))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and results[0] == results[1] != old
    assert len([r for r in server.api.requests if r[0] == "PUT"]) == 2  # one 200, one 409 Conflict


def test_an_expired_old_ca_leaves_the_bundle(apiserver: Callable[..., APIServer]) -> None:
    server = apiserver()
    current = certs.generate_ca(lifetime=365 * DAY)
    _seed(server, current)
    shared = bootstrap.converge_ca(
        server.clients()[0], NS, SECRET, make_ca=lambda: pytest.fail("no rotation expected"),
        rotate_before=60 * DAY, now=lambda: datetime.datetime.now(datetime.UTC),
    )
    assert shared.bundle == current.cert_pem


def test_in_cluster_tls_serves_a_leaf_signed_by_the_shared_ca(apiserver: Callable[..., APIServer], tmp_path: Any) -> None:
    server = apiserver()
    settings = make_settings(in_cluster=True, namespace=NS, cert_dir=str(tmp_path))
    tls, reconcile = make_tls(settings, clients=server.clients())
    ca = x509.load_pem_x509_certificate(base64.b64decode(server.api.secrets[(NS, SECRET)]["data"]["ca.crt"]))
    leaf = x509.load_pem_x509_certificate((tmp_path / "tls.crt").read_bytes())
    leaf.verify_directly_issued_by(ca)
    assert (tmp_path / "ca.crt").read_bytes() == base64.b64decode(server.api.secrets[(NS, SECRET)]["data"]["ca.crt"])
    # Someone rotates the CA (another replica): the reconcile serves a leaf from the new one.
    _seed(server, certs.generate_ca(lifetime=365 * DAY))
    assert reconcile is not None
    reconcile()
    assert tls.refresh() is True  # what the event loop's next certificate look does
    new_ca = x509.load_pem_x509_certificate(base64.b64decode(server.api.secrets[(NS, SECRET)]["data"]["ca.crt"]))
    x509.load_pem_x509_certificate((tmp_path / "tls.crt").read_bytes()).verify_directly_issued_by(new_ca)
    assert tls.loads == 2


def test_missing_rbac_is_one_clear_error(apiserver: Callable[..., APIServer]) -> None:
    from guardrails import ConfigError

    server = apiserver(forbid_secrets=True)
    with pytest.raises(ConfigError) as err:
        bootstrap.cluster_ca(make_settings(in_cluster=True, namespace=NS), clients=server.clients())
    line = err.value.render()
    assert line.startswith('Kubernetes API refused 403 Forbidden: secrets "guardrails-webhook-ca" is forbidden')
    assert "\n" not in line and "deploy/rbac.yaml" in line


def test_a_concurrent_edit_of_the_webhook_configuration_is_retried(apiserver: Callable[..., APIServer]) -> None:
    server = apiserver(edits_after_read=1)  # our first patch's test op meets a newer resourceVersion
    ca = certs.generate_ca(lifetime=365 * DAY)
    _, admission = server.clients()
    assert bootstrap.patch_ca_bundle(admission, VWC, ca.cert_pem) == 2
    assert [r[0] for r in server.api.requests] == ["GET", "PATCH", "GET", "PATCH"]
    assert _bundle_certs(server) == [[ca.cert_pem], [ca.cert_pem]]
