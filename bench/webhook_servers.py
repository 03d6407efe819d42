"""The servers `bench_webhook` compares, each run in its own process and printing `PORT n`:

  on    `guardrails serve` as built by webhook.server.build: rules judged in the evaluation
        thread pool under the decision deadline (budget.py's watchdog), Gatekeeper Rego in
        supervised worker processes (isolation.py) — what a user runs
  off   the same server without that machinery: rules judged on the event loop with no
        deadline, Rego in-process. Built only here (`Settings(deadline=None)` is not reachable
        from the command line, which takes a deadline above 0), to price the safety
  bare  an ASGI app that only parses the review and answers allowed, served through the same
        TLS gate (webhook/transport.py) and uvicorn configuration (server.serving_config):
        the floor
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from typing import Any

import orjson

from guardrails.webhook.server import WebhookServer, build, make_gate, make_tls, serving_config
from guardrails.webhook.settings import Settings

MODES = ("on", "off", "bare")


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    doc = orjson.loads(body)
    out = orjson.dumps({"apiVersion": doc["apiVersion"], "kind": "AdmissionReview",
                        "response": {"uid": doc["request"]["uid"], "allowed": True}})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})


class _Reporting(WebhookServer):
    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        print(f"PORT {self.port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--cert-dir", required=True)
    parser.add_argument("--rules", action="append", default=[], help="rule folders besides the built-in rules")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    from guardrails import isolation
    from guardrails.webhook import logs

    logs.configure(args.log_level)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    settings = Settings(host="127.0.0.1", port=0, builtin=True, rules=tuple(args.rules), cert_dir=args.cert_dir,
                        namespace="guardrails", log_level=args.log_level)
    if args.mode == "bare":
        tls, _ = make_tls(settings)  # a CA + leaf generated as the webhook does
        gate = make_gate(settings, tls)
        state: Any = _BareState(settings)
        server: WebhookServer = _Reporting(serving_config(bare, settings, gate, lifespan="off"), state, gate)
        server.run()
        return
    if args.mode == "off":
        isolation.configure("off")  # before the rules load: templates then compile in-process
        settings = dataclasses.replace(settings, deadline=None)
    server = build(settings)
    server.__class__ = _Reporting
    server.run()


@dataclasses.dataclass
class _BareState:
    """What WebhookServer reads of its state (drain, log line) for the bare app."""

    settings: Settings
    draining: bool = False


if __name__ == "__main__":
    main()
