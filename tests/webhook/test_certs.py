"""Generated certificates: a CA that only signs, an EC P-256 leaf with the service's names, bundles."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from guardrails.webhook import certs

DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def ca() -> certs.KeyPair:
    return certs.generate_ca(lifetime=100 * DAY)


def _cert(pair: certs.KeyPair) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pair.cert_pem)


def test_service_names() -> None:
    assert certs.service_names("guardrails", "policy") == [
        "guardrails", "guardrails.policy", "guardrails.policy.svc", "guardrails.policy.svc.cluster.local",
    ]


def test_ca_signs_only(ca: certs.KeyPair) -> None:
    cert = _cert(ca)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and not usage.digital_signature
    assert cert.issuer == cert.subject


def test_leaf_is_a_separate_p256_key_with_the_names(ca: certs.KeyPair) -> None:
    names = certs.service_names("guardrails", "policy")
    leaf = certs.issue_leaf(ca, names, lifetime=10 * DAY, ips=["127.0.0.1"])
    cert = _cert(leaf)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert leaf.key_pem != ca.key_pem
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == names
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert ExtendedKeyUsageOID.SERVER_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    cert.verify_directly_issued_by(_cert(ca))
    assert datetime.timedelta(days=9) < leaf.not_after - datetime.datetime.now(datetime.UTC) <= 10 * DAY


def test_leaf_never_outlives_its_ca(ca: certs.KeyPair) -> None:
    leaf = certs.issue_leaf(ca, ["x"], lifetime=1000 * DAY)
    assert leaf.not_after == ca.not_after


def test_bundle_keeps_valid_cas_newest_first_without_duplicates(ca: certs.KeyPair) -> None:
    newer = certs.generate_ca(lifetime=200 * DAY)
    out = certs.bundle([ca.cert_pem, newer.cert_pem, ca.cert_pem])
    assert out == newer.cert_pem + ca.cert_pem
    later = datetime.datetime.now(datetime.UTC) + 150 * DAY  # the first CA has expired by then
    assert certs.bundle([ca.cert_pem, newer.cert_pem], now=later) == newer.cert_pem
