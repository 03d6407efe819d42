"""The ASGI application: `/validate` as a bare ASGI route, everything else in a small FastAPI app.

The hot path reads the body under a size cap and a deadline, decodes with orjson, judges, and
encodes with orjson: no pydantic, no middleware. Broken requests get a 4xx with a one-line
reason (400 not an AdmissionReview, 405, 408 too slow, 413 too big, 503 too many body bytes in
flight across all requests: the API server's failurePolicy decides), never a 500 or a hang;
a rejected object is an HTTP 200 with allowed=false. While draining, every answer carries
`Connection: close` so the API server drops its pooled connections to this replica.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from guardrails import Finding, SourceError
from guardrails.budget import Budget
from guardrails.reporters.admission import allow, judge
from guardrails.sources.admission import AdmissionRequest, parse_review
from guardrails.webhook import logs
from guardrails.webhook.admit import decide, out_of_time, outage
from guardrails.webhook.inflight import Claim, InFlight
from guardrails.webhook.state import State
from guardrails.webhook.transport import Throttled

__all__ = ["WebhookApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_CLOSE = (b"connection", b"close")


class _Refused(Exception):
    """A request refused before judging: HTTP status, metrics reason, one-line message."""

    def __init__(self, status: int, reason: str, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.close = status, reason, message, close


class WebhookApp:
    """Routes `/validate` to the hot path and the rest to the operations app."""

    def __init__(self, state: State, ops: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.state = state
        self.ops = ops
        s = state.settings
        self.max_body = s.max_body
        self.read_timeout = s.read_timeout
        self.fail_open = s.fail_open
        self.enforcement = s.enforcement
        self.deadline = s.deadline
        self.inflight = InFlight(s.max_inflight, state.metrics)
        self.throttled = Throttled(60.0)  # one line per minute for a flood of busy refusals
        # Bounded: a flood of slow objects queues here (and times out) rather than spawning threads.
        self.pool = concurrent.futures.ThreadPoolExecutor(max(1, s.eval_threads), thread_name_prefix="guardrails-eval")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/validate":
            await self.validate(scope, receive, send)
            return
        if scope["type"] == "http" and self.state.draining:
            await self.ops(scope, receive, _closing(send))
            return
        await self.ops(scope, receive, send)

    def _busy(self) -> _Refused:
        return _Refused(
            503, "busy",
            f"{self.inflight.held} request body bytes in flight across all requests, at the "
            f"{self.inflight.limit}-byte limit (--max-inflight-bytes)", close=True,
        )

    async def _body(self, scope: Scope, receive: Receive, claim: Claim) -> bytes:
        if scope["method"] != "POST":
            raise _Refused(405, "method", f"use POST, not {scope['method']}")
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    raise _Refused(400, "content-length", "Content-Length is not a number", close=True) from None
                if declared > self.max_body:
                    raise _Refused(
                        413, "too-large", f"body of {declared} bytes is over the {self.max_body}-byte limit", close=True
                    )
                if not claim.grow(declared):
                    raise self._busy()
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.read_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Refused(400, "disconnect", "client went away", close=True)
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        raise _Refused(413, "too-large", f"body is over the {self.max_body}-byte limit", close=True)
                    if not claim.grow(size):  # chunked: claimed as it arrives
                        raise self._busy()
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise _Refused(
                408, "timeout", f"body not received within {self.read_timeout:g} s", close=True
            ) from None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def validate(self, scope: Scope, receive: Receive, send: Send) -> None:
        claim = self.inflight.claim()
        try:
            await self._validate(scope, receive, send, claim)
        finally:
            claim.release()  # the body, its decoded review and the answer are gone

    async def _validate(self, scope: Scope, receive: Receive, send: Send, claim: Claim) -> None:
        state = self.state
        try:
            body = await self._body(scope, receive, claim)
            start = time.perf_counter()
            try:
                doc = orjson.loads(body)
            except orjson.JSONDecodeError as e:
                raise _Refused(400, "json", f"body is not JSON: {e}") from None
            try:
                request = parse_review(doc)
            except SourceError as e:
                raise _Refused(400, "review", f"not an AdmissionReview: {e.message}") from None
        except _Refused as r:
            if r.reason == "busy":
                state.metrics.inflight_refused.inc()
                self.throttled.event(logging.WARNING, "request refused: too many body bytes in flight",
                                     status=r.status, reason=r.message)
            else:
                state.metrics.invalid.labels(r.reason).inc()
                logs.event(logging.WARNING, "request refused", status=r.status, reason=r.message)
            if r.reason != "disconnect":
                await self._reply(send, r.status, r.message.encode() + b"\n", _TEXT, close=r.close)
            return

        if self.deadline is None:
            review, decision, findings, skipped = self._decide(request)
        else:
            review, decision, findings, skipped = await self._decide_within(request, start, self.deadline)
        data = orjson.dumps(review)
        elapsed = time.perf_counter() - start
        metrics = state.metrics
        metrics.observe(decision, request.operation, request.kind, request.dry_run, elapsed)
        for f in findings:
            metrics.violation(f.rule, f.action.value, f.status.value)
        if logs.logger.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "uid": request.uid, "decision": decision, "operation": request.operation, "kind": request.kind,
                "namespace": request.namespace, "name": request.name, "dry_run": request.dry_run,
                "user": request.user, "duration_ms": round(elapsed * 1000, 3),
                "enforcement": self.enforcement.value,
            }
            if findings:
                fields["findings"] = [
                    {"rule": f.rule, "action": f.action.value, "status": f.status.value, "message": f.message}
                    for f in findings
                ]
            if skipped:
                fields["skipped"] = skipped
            logs.logger.info("admission", extra={"fields": fields})
        await self._reply(send, 200, data, _JSON, close=state.draining)

    async def _decide_within(
        self, request: AdmissionRequest, start: float, deadline: float
    ) -> tuple[Any, str, tuple[Finding, ...], str]:
        """`_decide` in the evaluation pool, answered by the fail mode once `deadline` passed.

        The rules get the deadline less a margin, so an interrupted rule is named by the engine;
        the loop's own timeout is the backstop for a thread stuck in native code or queued
        behind busy ones (it names the rule then running, if any)."""
        budget = Budget(deadline, deadline=deadline, grace=deadline * 0.15)

        def work() -> tuple[Any, str, tuple[Finding, ...], str]:
            budget.seconds = max(0.001, deadline * 0.8 - (time.perf_counter() - start))
            return self._decide(request, budget)

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.pool, work)
        try:
            return await asyncio.wait_for(future, max(0.001, deadline - (time.perf_counter() - start)))
        except TimeoutError:
            message = out_of_time(deadline, budget.current)
            self.state.metrics.deadline(budget.current)
            logs.event(logging.WARNING, "decision past its deadline", uid=request.uid, rule=budget.current)
            verdict = judge(request, [], fail_open=self.fail_open, outages=[outage(request, message)])
            return verdict.review, verdict.decision, (), ""

    def _decide(self, request: AdmissionRequest, budget: Budget | None = None) -> tuple[Any, str, tuple[Finding, ...], str]:
        """(review, decision, findings, why skipped) for a parsed request."""
        book = self.state.rules.book
        assert book is not None  # the server starts only after the first good load
        ns = self.state.namespaces
        try:
            outcome = decide(
                book, request, excluded=self.state.excluded, fail_open=self.fail_open,
                namespaces=ns.get if ns is not None else None, budget=budget, enforcement=self.enforcement,
            )
            if budget is not None and budget.ran_out is not None:
                self.state.metrics.deadline(budget.ran_out)
                logs.event(logging.WARNING, "decision past its deadline", uid=request.uid, rule=budget.ran_out)
        except Exception:
            # Our own bug, not the object's fault (rule errors are findings): the fail mode decides.
            logs.logger.exception("decision failed", extra={"fields": {"uid": request.uid}})
            crash = outage(request, "the webhook could not evaluate this request (see its logs)")
            verdict = judge(request, [], fail_open=self.fail_open, outages=[crash])
            return verdict.review, verdict.decision, (), ""
        if outcome.verdict is None:
            return allow(request), "allow", outcome.findings, outcome.skipped
        return outcome.verdict.review, outcome.verdict.decision, outcome.findings, ""

    @staticmethod
    async def _reply(send: Send, status: int, body: bytes, ctype: tuple[bytes, bytes], *, close: bool) -> None:
        headers = [ctype, (b"content-length", str(len(body)).encode())]
        if close:
            headers.append(_CLOSE)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _closing(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), _CLOSE]
        await send(message)

    return wrapped


def create_app(state: State) -> WebhookApp:
    """The whole ASGI app; every `watch_interval` seconds it reloads rules and certificates."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse, PlainTextResponse, Response

    interval = state.settings.watch_interval

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    # Rule compilation and API calls run in a thread, so answers keep flowing;
                    # the certificate is loaded into the live SSLContext on the loop's own
                    # thread, where handshakes happen, never concurrently with one.
                    await asyncio.to_thread(state.tick)
                    state.tick_tls()
                except Exception:
                    logs.logger.exception("periodic reload failed")

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            app.pool.shutdown(wait=False, cancel_futures=True)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    ops = FastAPI(title="guardrails webhook", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    @ops.get("/healthz")
    def healthz() -> Response:
        return PlainTextResponse("ok\n")

    @ops.get("/readyz")
    def readyz() -> Response:
        ok, details = state.readiness()
        return JSONResponse({"ready": ok, **details}, status_code=200 if ok else 503)

    @ops.get("/metrics")
    def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app = WebhookApp(state, ops)
    return app
