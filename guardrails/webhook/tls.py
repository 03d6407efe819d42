"""The serving TLS context: TLS 1.2+, loaded from files, reloaded in place when they change.

The same `ssl.SSLContext` object is handed to uvicorn once; `load_cert_chain` on it again
makes new handshakes use the new certificate while open connections keep theirs, so a
rotation drops no connection. When we issue our own leaf (`issuer` given) it is renewed here
before it expires.
"""

from __future__ import annotations

import datetime
import os
import ssl
from collections.abc import Callable

from guardrails.webhook import certs

__all__ = ["ServingTLS"]

Issuer = Callable[[], certs.KeyPair]


def _mtime(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1, -1)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _write(path: str, data: bytes, mode: int) -> None:
    # Write beside and rename: a reader never sees half a file.
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class ServingTLS:
    def __init__(
        self,
        cert_file: str,
        key_file: str,
        *,
        issuer: Issuer | None = None,
        renew_fraction: float = 1 / 3,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self.cert_file = cert_file
        self.key_file = key_file
        self.issuer = issuer
        self.renew_fraction = renew_fraction
        self.clock = clock
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.set_alpn_protocols(["http/1.1"])
        self.not_before: datetime.datetime | None = None
        self.not_after: datetime.datetime | None = None
        self.error: str | None = None
        self.loads = 0
        self._seen: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None

    def issue(self) -> None:
        """Write a freshly issued leaf to our files (only when we are the issuer)."""
        assert self.issuer is not None
        pair = self.issuer()
        _write(self.key_file, pair.key_pem, 0o600)
        _write(self.cert_file, pair.cert_pem, 0o644)

    def load(self) -> None:
        """Load the files into the context. Raises OSError/ssl.SSLError/ValueError on bad files."""
        seen = (_mtime(self.cert_file), _mtime(self.key_file))
        with open(self.cert_file, "rb") as f:
            pem = f.read()
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(pem)
        self.context.load_cert_chain(self.cert_file, self.key_file)
        self.not_before, self.not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        self._seen = seen
        self.error = None
        self.loads += 1

    def due(self) -> bool:
        """True when our own leaf should be renewed (a fraction of its lifetime left)."""
        if self.issuer is None or self.not_after is None or self.not_before is None:
            return False
        left = self.not_after - self.clock()
        return left < (self.not_after - self.not_before) * self.renew_fraction

    def refresh(self) -> bool | None:
        """Renew our leaf if due, pick up changed files. True reloaded, False failed, None idle."""
        try:
            if self.due():
                self.issue()
            seen = (_mtime(self.cert_file), _mtime(self.key_file))
            if seen == self._seen:
                return None
            self.load()
            return True
        except (OSError, ssl.SSLError, ValueError) as e:
            # A half-written pair (cert updated, key not yet) fails here; the next look retries,
            # and the context keeps serving the last good certificate meanwhile.
            self.error = f"{self.cert_file}: cannot load certificate: {e}"
            self._seen = None
            return False

    def expires_soon(self, margin: datetime.timedelta = datetime.timedelta(hours=24)) -> bool:
        return self.not_after is None or self.not_after - self.clock() < margin
