"""The two servers `bench_webhook` compares, each run in its own process and printing `PORT n`:

  webhook  `guardrails serve` as built by webhook.server.build, with the built-in rules
  bare     an ASGI app that only parses the review and answers allowed, served the same way
           (same uvicorn protocol class, same TLS context): the floor the webhook is held to
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

import orjson
import uvicorn

from guardrails.webhook.server import BoundedH11Protocol, WebhookServer, build, make_tls
from guardrails.webhook.settings import Settings


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


class _Reporting(uvicorn.Server):
    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        print(f"PORT {self.servers[0].sockets[0].getsockname()[1]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("webhook", "bare"))
    parser.add_argument("--cert-dir", required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    settings = Settings(host="127.0.0.1", port=0, builtin=True, cert_dir=args.cert_dir, namespace="guardrails",
                        log_level=args.log_level)
    if args.mode == "webhook":
        from guardrails.webhook import logs

        logs.configure(args.log_level)
        server: uvicorn.Server = build(settings)
        assert isinstance(server, WebhookServer)
        original = server.startup

        async def startup(sockets: Any = None) -> None:
            await original(sockets=sockets)
            print(f"PORT {server.port}", flush=True)

        server.startup = startup  # type: ignore[method-assign]
        server.run()
        return
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    tls, _ = make_tls(settings)  # the same generated CA + leaf as the webhook uses
    config = uvicorn.Config(
        bare, host="127.0.0.1", port=0, http=BoundedH11Protocol, loop="asyncio", lifespan="off",
        ssl_context_factory=lambda _c, _d: tls.context, server_header=False, date_header=False,
        log_config=None, access_log=False, timeout_keep_alive=60,
    )
    _Reporting(config).run()


if __name__ == "__main__":
    main()
