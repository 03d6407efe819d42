"""What a client can hold before it has sent a request: connections are counted and capped, TLS
handshakes have a deadline, a connection waiting for its handshake or its next request is cheap,
and running out of file descriptors is logged once per interval, not once per accept.

Handing uvicorn the TLS context makes asyncio give every accepted socket a TLS state with a
256 KiB read buffer at once and 60 s to finish its handshake, and nothing counts connections:
700 silent TCP connections held some 200 MiB. So uvicorn listens in plain TCP and our protocol
class (`protocol_class`) takes each connection through the `Gate`:

- past `max_connections`, the connection waiting longest for a handshake or for its next request
  is closed to make room (closing an idle keep-alive connection is ordinary HTTP; a client
  retries), and when every connection is busy in a request the new one is closed at once,
  before any TLS state is made;
- TLS then starts over the socket with `handshake_timeout`, and a read buffer sized to TLS
  records, allocated when the first byte arrives;
- after the handshake the request line and headers have `header_timeout`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import ssl
import time
from asyncio import sslproto
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from guardrails.webhook import logs
from guardrails.webhook.metrics import Metrics

__all__ = ["BoundedH11Protocol", "Gate", "LeanSSLProtocol", "Limits", "Throttled", "protocol_class"]

# Per-connection read buffer of the TLS layer: a TLS record is at most 16 KiB of data plus its
# header and tag, so two fit; asyncio's own 256 KiB is what made idle connections expensive.
TLS_READ_BUFFER = 32 * 1024
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int = 1000
    handshake_timeout: float = 5.0
    header_timeout: float = 10.0
    log_interval: float = 60.0  # at most one line per interval for each repeated transport event


class Throttled:
    """One log line for the first of a kind of event, then at most one per `interval` saying
    how many more there were: a flood of refused connections or failed accepts cannot flood
    the log. Runs on the event loop."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._pending: dict[str, tuple[int, int, dict[str, Any]]] = {}  # msg -> (level, count, last fields)

    def event(self, level: int, msg: str, **fields: Any) -> None:
        if msg in self._pending:
            _, count, _ = self._pending[msg]
            self._pending[msg] = (level, count + 1, fields)
            return
        logs.event(level, msg, **fields)
        self._pending[msg] = (level, 0, fields)
        asyncio.get_running_loop().call_later(self.interval, self._flush, msg)

    def _flush(self, msg: str) -> None:
        level, count, fields = self._pending.pop(msg)
        if count:
            logs.event(level, msg, **fields, repeated=count, over_seconds=self.interval)
            # Keep the window open: the next one reports what came meanwhile.
            self._pending[msg] = (level, 0, fields)
            asyncio.get_running_loop().call_later(self.interval, self._flush, msg)


class LeanSSLProtocol(sslproto.SSLProtocol):
    """asyncio's TLS protocol with a record-sized read buffer, allocated on the first read.

    asyncio.sslproto is not a documented module; its SSLProtocol (Python 3.11 to 3.13) reads
    `max_size` and grows `_ssl_buffer` in get_buffer(), which is what this relies on."""

    max_size = TLS_READ_BUFFER

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # get_buffer() grows this to max_size when the socket first has bytes to read.
        self._ssl_buffer = bytearray()
        self._ssl_buffer_view = memoryview(self._ssl_buffer)


async def start_tls(
    loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, protocol: asyncio.Protocol,
    context: ssl.SSLContext, timeout: float,
) -> None:
    """`loop.start_tls(server_side=True)` with `LeanSSLProtocol`, the same steps, except that
    the layer calls `protocol.connection_made` itself once the handshake is done: data can
    follow in the same tick, before this coroutine resumes."""
    waiter = loop.create_future()
    layer = LeanSSLProtocol(loop, protocol, context, waiter, True, None, ssl_handshake_timeout=timeout)
    transport.pause_reading()
    transport.set_protocol(layer)
    made = loop.call_soon(layer.connection_made, transport)
    resumed = loop.call_soon(transport.resume_reading)
    try:
        await waiter
    except BaseException:
        transport.close()
        made.cancel()
        resumed.cancel()
        raise


class Gate:
    """The connections of one server: counted, capped, the longest-waiting evicted first."""

    def __init__(self, limits: Limits, context: ssl.SSLContext, metrics: Metrics | None = None) -> None:
        self.limits = limits
        self.context = context
        self.metrics = metrics
        self.throttled = Throttled(limits.log_interval)
        self.open: set[GuardedH11Protocol] = set()
        # Waiting for a handshake or for the next request, oldest first (dicts keep order).
        self.waiting: dict[GuardedH11Protocol, float] = {}
        self.refused = 0
        self.evicted = 0
        self.handshake_failures = 0

    def admit(self, conn: GuardedH11Protocol) -> bool:
        if len(self.open) >= self.limits.max_connections:
            if self.waiting:
                oldest = next(iter(self.waiting))
                self.evicted += 1
                if self.metrics is not None:
                    self.metrics.connections_evicted.inc()
                oldest.evict()
            else:
                self.refused += 1
                if self.metrics is not None:
                    self.metrics.connections_refused.inc()
                self.throttled.event(
                    logging.WARNING, "connection refused: every connection is busy in a request",
                    max_connections=self.limits.max_connections,
                )
                return False
        self.open.add(conn)
        self.waiting[conn] = time.monotonic()
        self._publish()
        return True

    def wait(self, conn: GuardedH11Protocol) -> None:
        self.waiting.pop(conn, None)
        self.waiting[conn] = time.monotonic()

    def busy(self, conn: GuardedH11Protocol) -> None:
        self.waiting.pop(conn, None)

    def release(self, conn: GuardedH11Protocol) -> None:
        self.waiting.pop(conn, None)
        if conn in self.open:
            self.open.discard(conn)
            self._publish()

    def handshake_failed(self, reason: str) -> None:
        self.handshake_failures += 1
        if self.metrics is not None:
            self.metrics.handshake_failures.labels(reason).inc()

    def _publish(self) -> None:
        if self.metrics is not None:
            self.metrics.connections_open.set(len(self.open))

    def exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's handler: a failed accept (out of file descriptors: asyncio retries each
        second and logs a traceback each time) is one throttled line; the rest as asyncio does."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES and "accept" in str(context.get("message", "")):
            if self.metrics is not None:
                self.metrics.accept_errors.inc()
            self.throttled.event(
                logging.ERROR, "cannot accept connections: out of file descriptors or memory; retrying each second",
                error=f"{type(exc).__name__}: {exc.strerror or exc}", open_connections=len(self.open),
            )
            return
        loop.default_exception_handler(context)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request line and headers.

    uvicorn bounds the header size (`h11_max_incomplete_event_size`) and idle keep-alive time,
    but not how slowly headers may trickle in; without this a client sending one byte a second
    would hold a connection for ever. Body time is bounded by the app's read timeout.
    """

    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._headers_timer: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout, self._too_slow)

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        if self._headers_timer is None and (before is None or before.response_complete):
            self._headers_timer = self.loop.call_later(self.header_timeout, self._too_slow)
        super().data_received(data)
        if self.cycle is not before and self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._headers_timer = None
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self.transport.close()


class GuardedH11Protocol(BoundedH11Protocol):
    """Accepted in plain TCP: admitted by the gate, then TLS with a deadline, then HTTP."""

    gate: Gate  # set on the per-server subclass made by protocol_class

    _plain: asyncio.Transport | None = None
    _ready = False
    _handshake: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self._plain is None:  # accepted
            self._plain = transport
            if not self.gate.admit(self):
                transport.abort()
                return
            transport.pause_reading()  # no byte is read before the TLS layer is in place
            self._handshake = self.loop.create_task(self._start_tls(transport))
            return
        # The handshake is done: the TLS layer calls this before it passes on any data.
        self._ready = True
        self.gate.wait(self)
        super().connection_made(transport)

    async def _start_tls(self, plain: asyncio.Transport) -> None:
        started = self.loop.time()
        try:
            await start_tls(self.loop, plain, self, self.gate.context, self.gate.limits.handshake_timeout)
        except (TimeoutError, OSError):
            # Timed out, reset, or not a TLS client at all: there is no one to answer.
            late = self.loop.time() - started >= self.gate.limits.handshake_timeout
            self.gate.handshake_failed("timeout" if late else "error")
            plain.abort()
            self.gate.release(self)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self.gate.busy(self)  # a request is with the app: never evicted
        # Else (part of a request line, say) it stays waiting, as old as it was: trickling
        # bytes does not make a connection younger.

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is None or self.cycle.response_complete:
            self.gate.wait(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gate.release(self)
        if self._ready:
            super().connection_lost(exc)

    def evict(self) -> None:
        """Closed to make room for a new connection (it was waiting longest)."""
        self.gate.release(self)
        if self._ready and not self.transport.is_closing():
            self.transport.close()
        elif not self._ready:
            if self._handshake is not None:
                self._handshake.cancel()
            if self._plain is not None:
                self._plain.abort()


def protocol_class(gate: Gate) -> type[GuardedH11Protocol]:
    """The protocol class uvicorn makes each connection with, bound to this server's gate."""
    return type("GuardedProtocol", (GuardedH11Protocol,), {"gate": gate, "header_timeout": gate.limits.header_timeout})
