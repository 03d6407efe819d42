"""Request body bytes in flight across all connections, bounded (`--max-inflight-bytes`).

The body cap bounds one request; this bounds them together: a thousand connections each
sending a body just under the cap would otherwise hold a thousand bodies at once. Each request
claims its declared Content-Length before a byte is read (or, chunked, what it has received so
far) and gives it back once its answer is sent; a claim that does not fit is refused. Runs on
the event loop only, so no lock.
"""

from __future__ import annotations

from guardrails.webhook.metrics import Metrics

__all__ = ["Claim", "InFlight"]


class InFlight:
    def __init__(self, limit: int, metrics: Metrics | None = None) -> None:
        self.limit = limit
        self.held = 0
        self.metrics = metrics

    def claim(self) -> Claim:
        return Claim(self)

    def _take(self, n: int) -> bool:
        if self.held + n > self.limit:
            return False
        self.held += n
        self._publish()
        return True

    def _give(self, n: int) -> None:
        self.held -= n
        self._publish()

    def _publish(self) -> None:
        if self.metrics is not None:
            self.metrics.inflight_bytes.set(self.held)


class Claim:
    """One request's share of the bytes in flight."""

    __slots__ = ("_pool", "held")

    def __init__(self, pool: InFlight) -> None:
        self._pool = pool
        self.held = 0

    def grow(self, size: int) -> bool:
        """Hold `size` bytes in all (more than now); False, holding what it held, if they do not fit."""
        if size <= self.held:
            return True
        if not self._pool._take(size - self.held):
            return False
        self.held = size
        return True

    def release(self) -> None:
        if self.held:
            self._pool._give(self.held)
            self.held = 0
