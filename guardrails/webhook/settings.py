"""The webhook's settings: one frozen value built by `guardrails serve` from flags and environment."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable

from guardrails.model import Enforcement

__all__ = ["DEFAULT_EXCLUDED", "Settings"]

DEFAULT_EXCLUDED = ("kube-system",)
MiB = 1024 * 1024


def _own_namespace() -> str:
    # The downward API puts the pod's namespace here (deploy/ sets it); the service account
    # mount has it too.
    ns = os.environ.get("POD_NAMESPACE", "")
    if ns:
        return ns
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace", encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return "guardrails"


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 8443
    # Rules: the same inputs as `guardrails scan` (files/folders, built-ins, profiles).
    rules: tuple[str, ...] = ()
    builtin: bool = True
    profiles: tuple[str, ...] | None = None
    # TLS from files (cert-manager, a mounted Secret) or generated into cert_dir.
    tls_cert: str | None = None
    tls_key: str | None = None
    cert_dir: str = "/tmp/guardrails-tls"
    service: str = "guardrails"
    namespace: str = dataclasses.field(default_factory=_own_namespace)
    extra_names: tuple[str, ...] = ("localhost",)
    extra_ips: tuple[str, ...] = ("127.0.0.1",)
    leaf_lifetime: datetime.timedelta = datetime.timedelta(days=30)
    ca_lifetime: datetime.timedelta = datetime.timedelta(days=365)
    # Renew the leaf when less than this fraction of its lifetime is left.
    renew_fraction: float = 1 / 3
    # In a cluster: the shared CA Secret and the webhook configuration whose caBundle we own.
    in_cluster: bool = False
    ca_secret: str = "guardrails-webhook-ca"
    webhook_config: str = "guardrails"
    reconcile_interval: float = 300.0  # re-check the shared CA and the caBundle this often
    # Decisions.
    fail_open: bool = False
    # The staged rollout: what a rule's denial does (audit: allow and log, warn: allow with
    # warnings, enforce: deny). Outages follow `fail_open` whatever this says.
    enforcement: Enforcement = Enforcement.ENFORCE
    exclude_namespaces: tuple[str, ...] | None = None  # None: own namespace + kube-system
    # Bounds.
    # Seconds a decision may take, below the API server's timeoutSeconds (deploy/: 5). Rules
    # run in `eval_threads` threads off the event loop; past the deadline the fail mode answers
    # and names the rule. None judges on the event loop without a deadline: benchmarks only.
    deadline: float | None = 3.0
    eval_threads: int = 4
    max_body: int = 8 * MiB
    # Request body bytes held at once across all connections (being received or judged):
    # past it a new request gets 503 and the API server's failurePolicy applies. Sized so a
    # replica stays inside deploy/'s 256 MiB with bodies decoded beside their bytes.
    max_inflight: int = 64 * MiB
    # "on"/"off": Gatekeeper Rego in supervised workers or in-process (`guardrails serve` sets it
    # around the server); None: as GUARDRAILS_ISOLATION left it. /readyz shows the mode in use.
    isolation: str | None = None
    # The evaluation time of policies that read the clock (--now TIME, or --now wall: the real
    # clock at each request); None: those policies are visible skips, never a deny.
    now: Callable[[], datetime.datetime] | None = None
    max_header_bytes: int = 32 * 1024
    # What a client holds before its request (webhook/transport.py). A connection waiting for
    # its handshake or its next request costs some 50-80 KiB (measured), so 1000 of them stay
    # near 80 MiB over a replica's ~70 MiB, well inside deploy/'s 256 MiB; past the cap the
    # longest-waiting one is closed to make room.
    max_connections: int = 1000
    handshake_timeout: float = 5.0
    read_timeout: float = 10.0
    header_timeout: float = 10.0
    # An idle keep-alive connection is closed after this long. The API server pools connections
    # and a new handshake costs about a millisecond; at the cap idle ones are closed sooner.
    keep_alive: int = 20
    drain_seconds: float = 15.0
    watch_interval: float = 2.0  # how often rule folders and certificate files are looked at
    log_level: str = "info"

    @property
    def excluded(self) -> frozenset[str]:
        if self.exclude_namespaces is not None:
            return frozenset(self.exclude_namespaces)
        return frozenset((*DEFAULT_EXCLUDED, self.namespace))

    @property
    def dns_names(self) -> list[str]:
        from guardrails.webhook.certs import service_names

        return [*service_names(self.service, self.namespace), *self.extra_names]
