"""Certificates for the webhook: a CA and a separate EC P-256 serving leaf, generated with
`cryptography`, and the few facts about a PEM certificate the server needs (expiry, bundle).

The CA signs only; the leaf serves. So the CA can be shared by replicas through one Secret
while each replica issues and rotates its own leaf.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["KeyPair", "bundle", "generate_ca", "issue_leaf", "not_after", "service_names"]


@dataclasses.dataclass(frozen=True, slots=True)
class KeyPair:
    cert_pem: bytes
    key_pem: bytes

    @property
    def not_after(self) -> datetime.datetime:
        return not_after(self.cert_pem)


def service_names(service: str, namespace: str) -> list[str]:
    """The DNS names the API server may use to reach `service` in `namespace`."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def generate_ca(common_name: str = "guardrails-webhook-ca", *, lifetime: datetime.timedelta) -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def issue_leaf(
    ca: KeyPair,
    dns_names: Sequence[str],
    *,
    lifetime: datetime.timedelta,
    ips: Sequence[str] = (),
    now: datetime.datetime | None = None,
) -> KeyPair:
    """A serving certificate for `dns_names` (and IP addresses), signed by `ca`.

    The leaf never outlives its CA: the API server would stop trusting it at the CA's expiry.
    """
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key must be an EC key")
    key = ec.generate_private_key(ec.SECP256R1())
    now = now or _now()
    end = min(now + lifetime, ca_cert.not_valid_after_utc)
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0] if dns_names else "guardrails")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def not_after(cert_pem: bytes) -> datetime.datetime:
    """Expiry of the first certificate in a PEM file."""
    return x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc


def bundle(cert_pems: list[bytes], *, now: datetime.datetime | None = None) -> bytes:
    """The CAs still valid at `now`, newest first, concatenated: a caBundle."""
    moment = now or _now()
    certs = []
    for pem in cert_pems:
        for cert in x509.load_pem_x509_certificates(pem):
            if cert.not_valid_after_utc > moment:
                certs.append(cert)
    seen: set[bytes] = set()
    out: list[bytes] = []
    for cert in sorted(certs, key=lambda c: c.not_valid_after_utc, reverse=True):
        der = cert.public_bytes(serialization.Encoding.DER)
        if der not in seen:
            seen.add(der)
            out.append(cert.public_bytes(serialization.Encoding.PEM))
    return b"".join(out)
