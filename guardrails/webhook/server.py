"""Run the webhook: uvicorn behind our connection gate (TLS, caps and deadlines in
webhook/transport.py), bounded HTTP parsing, and a SIGTERM drain.

`build(settings)` loads the rules and the certificate (from files, generated, or through the
cluster's shared CA) and returns the uvicorn server; `serve(settings)` runs it until SIGTERM
has drained. One worker per process: scale with replicas.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Literal

import uvicorn

from guardrails.webhook import certdir, certs, logs
from guardrails.webhook.app import create_app
from guardrails.webhook.metrics import Metrics
from guardrails.webhook.namespaces import NamespaceLabels
from guardrails.webhook.rules import RuleStore
from guardrails.webhook.settings import Settings
from guardrails.webhook.state import State
from guardrails.webhook.tls import ServingTLS
from guardrails.webhook.transport import BoundedH11Protocol, Gate, Limits, protocol_class

__all__ = ["BoundedH11Protocol", "WebhookServer", "build", "make_gate", "make_tls", "serve", "serving_config"]


class WebhookServer(uvicorn.Server):
    """SIGTERM: fail readiness and close connections after each answer, exit after the drain
    window. A second signal, or SIGINT, exits at once."""

    def __init__(self, config: uvicorn.Config, state: State, gate: Gate | None = None) -> None:
        super().__init__(config)
        self.state = state
        self.gate = gate
        self.port: int | None = None
        self._timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        import signal

        if sig == signal.SIGTERM and not self.state.draining and self.state.settings.drain_seconds > 0:
            self.state.start_draining()
            self._timer = threading.Timer(self.state.settings.drain_seconds, self._drained)
            self._timer.daemon = True
            self._timer.start()
            return
        super().handle_exit(sig, frame)

    def _drained(self) -> None:
        logs.event(logging.INFO, "drain window over, shutting down")
        self.should_exit = True

    async def startup(self, sockets: Any = None) -> None:
        if self.gate is not None:
            asyncio.get_running_loop().set_exception_handler(self.gate.exception_handler)
        await super().startup(sockets=sockets)
        for server in getattr(self, "servers", []):
            for sock in server.sockets or ():
                self.port = sock.getsockname()[1]
        logs.event(
            logging.INFO, "listening", host=self.config.host, port=self.port,
            enforcement=self.state.settings.enforcement.value, tls=True,
        )

    def _log_started_message(self, listeners: Any) -> None:
        # uvicorn would say http://: it listens in plain TCP, the gate starts TLS. "listening" says it.
        pass


def make_tls(settings: Settings, *, clients: tuple[Any, Any] | None = None) -> tuple[ServingTLS, Callable[[], None] | None]:
    """The serving TLS (files as given, or a leaf we issue from our CA, shared in a cluster) and,
    in a cluster, the periodic reconcile of the shared CA and caBundle."""
    if settings.tls_cert and settings.tls_key:
        tls = ServingTLS(settings.tls_cert, settings.tls_key)
        tls.load()
        return tls, None
    certdir.private_dir(settings.cert_dir)
    ca_file = os.path.join(settings.cert_dir, "ca.crt")
    reconcile: Callable[[], None] | None = None
    if settings.in_cluster:
        from guardrails.webhook.bootstrap import cluster_ca

        current = [cluster_ca(settings, clients=clients)]
    else:
        current = [certs.generate_ca(lifetime=settings.ca_lifetime)]

    def issue() -> certs.KeyPair:
        return certs.issue_leaf(current[0], settings.dns_names, lifetime=settings.leaf_lifetime, ips=list(settings.extra_ips))

    tls = ServingTLS(
        os.path.join(settings.cert_dir, "tls.crt"),
        os.path.join(settings.cert_dir, "tls.key"),
        issuer=issue,
        renew_fraction=settings.renew_fraction,
    )
    if settings.in_cluster:

        def reconcile() -> None:
            ca = cluster_ca(settings, clients=clients)
            if ca.cert_pem != current[0].cert_pem:  # the CA was rotated: serve a leaf it signed
                current[0] = ca
                with open(ca_file, "wb") as f:
                    f.write(ca.cert_pem)
                tls.issue()  # written now, loaded by the next certificate look on the loop

    with open(ca_file, "wb") as f:
        f.write(current[0].cert_pem)
    tls.issue()
    tls.load()
    return tls, reconcile


def make_gate(settings: Settings, tls: ServingTLS, metrics: Metrics | None = None) -> Gate:
    """The connection gate of one server: TLS, the connection cap and the handshake deadline."""
    return Gate(
        Limits(max_connections=settings.max_connections, handshake_timeout=settings.handshake_timeout,
               header_timeout=settings.header_timeout),
        tls.context,
        metrics,
    )


def serving_config(
    app: Any, settings: Settings, gate: Gate, *, lifespan: Literal["auto", "on", "off"] = "on"
) -> uvicorn.Config:
    """How uvicorn serves `app` behind `gate`: plain TCP (the gate starts TLS), h11 with the
    header cap, keep-alive and shutdown times from the settings. `bench/` serves its bare app
    through this too, so the two differ only in the app."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol_class(gate),
        loop="asyncio",
        lifespan=lifespan,
        workers=1,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive,
        timeout_graceful_shutdown=5,
        server_header=False,
        date_header=False,
        log_config=None,
        access_log=False,
    )


def build(
    settings: Settings,
    *,
    rules: RuleStore | None = None,
    tls: ServingTLS | None = None,
    namespaces: NamespaceLabels | None = None,
) -> WebhookServer:
    """Load rules and certificate (raising GuardrailsError / OSError for bad ones) -> server.

    In a cluster the labels of Namespaces are watched (`namespaces`, made here unless given);
    outside one they stay unknown, so namespace selectors never exclude.
    """
    store = rules or RuleStore(settings.rules, builtin=settings.builtin, profiles=settings.profiles,
                               evaluation_clock=settings.now)
    if store.book is None:
        store.load()
    reconcile = None
    if tls is None:
        tls, reconcile = make_tls(settings)
    if namespaces is None and settings.in_cluster:
        from guardrails.webhook.bootstrap import in_cluster_clients

        namespaces = NamespaceLabels(in_cluster_clients()[0])
    if namespaces is not None and namespaces._thread is None:
        namespaces.start()
    state = State(settings, store, tls, reconcile=reconcile, namespaces=namespaces)
    app = create_app(state)
    gate = make_gate(settings, tls, state.metrics)
    config = serving_config(app, settings, gate)
    return WebhookServer(config, state, gate)


def serve(settings: Settings) -> int:
    logs.configure(settings.log_level)
    server = build(settings)
    server.run()
    return 0
