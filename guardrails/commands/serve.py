"""`guardrails serve`: run the admission webhook (needs the `webhook` extra, imported lazily)."""

from __future__ import annotations

import argparse
from typing import Any

from guardrails.config import Flags, merge
from guardrails.errors import UsageError
from guardrails.policy import profiles

__all__ = ["INSTALL_HINT", "add_parser", "run"]

INSTALL_HINT = "pip install 'kube-guardrails[webhook]'"

EXAMPLES = """\
examples:
  guardrails serve --tls-cert /tls/tls.crt --tls-key /tls/tls.key --rules /etc/guardrails/rules
  guardrails serve --in-cluster --rules /etc/guardrails/rules     # shared CA, caBundle patched
  guardrails serve --port 8443 --cert-dir /tmp/tls                # self-signed, for local tries
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the validating admission webhook (HTTPS)",
        description="Judge AdmissionReviews with the same rules as `guardrails scan`.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=8443, help="port to listen on (default 8443; 0 picks a free one)")
    p.add_argument("--tls-cert", metavar="FILE", help="serving certificate (PEM); reloaded when it changes")
    p.add_argument("--tls-key", metavar="FILE", help="its private key (PEM)")
    p.add_argument("--cert-dir", metavar="DIR", default="/tmp/guardrails-tls",
                   help="where generated certificates are written (without --tls-cert)")
    p.add_argument("--rules", metavar="PATH", action="append", default=[],
                   help="rule file or folder, repeatable; folders are watched and reloaded")
    p.add_argument("--builtin", action="store_true", help="also use the built-in rules when --rules is given")
    p.add_argument("--profile", action="append", default=[], metavar="NAME",
                   help=profiles.flag_help())
    p.add_argument("--config", metavar="FILE",
                   help="a .guardrails.yaml for rules, profiles and exceptions, read as `scan` reads it")
    p.add_argument("--fail-mode", choices=("closed", "open"), default="closed",
                   help="a deny rule that cannot be evaluated denies (closed, default) or allows (open)")
    p.add_argument("--enforcement", metavar="MODE", default=None,
                   help="what a rule's denial does: audit (allow, log and count it), warn (allow with "
                        "its messages as warnings) or enforce (deny; the default); also `enforcement:` "
                        "in --config. Outages follow --fail-mode in every mode")
    p.add_argument("--exclude-namespace", metavar="NS", action="append", default=None,
                   help="never judge this namespace (default: kube-system and our own)")
    p.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024, help="largest request body (8 MiB)")
    p.add_argument("--max-inflight-bytes", type=_count, default=None, metavar="BYTES",
                   help="request body bytes held at once across all requests; past it a new request gets "
                        "503 and the API server's failurePolicy applies (64 MiB; also `max-inflight-bytes:` in --config)")
    p.add_argument("--read-timeout", type=float, default=10.0, help="seconds to receive headers and body")
    p.add_argument("--max-connections", type=_count, default=1000, metavar="N",
                   help="open connections at most; past it the longest-idle one is closed, or the new one (1000)")
    p.add_argument("--handshake-timeout", type=_positive, default=5.0, metavar="SECONDS",
                   help="time a client has to finish its TLS handshake (5)")
    p.add_argument("--keep-alive", type=_count, default=20, metavar="SECONDS",
                   help="an idle keep-alive connection is closed after this long (20)")
    p.add_argument("--deadline", type=_positive, default=3.0, metavar="SECONDS",
                   help="time a decision may take; past it the fail mode answers, naming the rule (3)")
    p.add_argument("--now", metavar="TIME|wall",
                   help="evaluation time of policies that read the clock (Kyverno's CEL time.now(), JMESPath time_now): "
                        "wall, the real clock at each request (admission really happens now), or a fixed RFC 3339 "
                        "time; also `now:` in --config; without it those policies are skipped (never a deny)")
    p.add_argument("--isolation", choices=("on", "off"), default=None,
                   help="Gatekeeper Rego in supervised worker processes, killed past the deadline or on a "
                        "crash (on, the default) or in-process, unbounded (off); also `isolation:` in "
                        "--config and GUARDRAILS_ISOLATION, in that order")
    p.add_argument("--eval-threads", type=int, default=4, metavar="N",
                   help="threads judging requests off the event loop (4)")
    p.add_argument("--drain-seconds", type=float, default=15.0, help="after SIGTERM, keep answering this long")
    p.add_argument("--watch-interval", type=float, default=2.0, help="seconds between looks at rules and certs")
    p.add_argument("--in-cluster", action="store_true",
                   help="share a CA through a Secret and patch the ValidatingWebhookConfiguration caBundle")
    p.add_argument("--service", default="guardrails", help="Service name, for certificate names")
    p.add_argument("--namespace", default=None, help="our namespace (default: POD_NAMESPACE)")
    p.add_argument("--webhook-config", default="guardrails", help="ValidatingWebhookConfiguration to patch")
    p.add_argument("--ca-secret", default="guardrails-webhook-ca", help="Secret holding the shared CA")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _settings(args: argparse.Namespace) -> Any:
    from guardrails.webhook.settings import Settings

    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together", hint="give both, or neither to generate them")
    # The same merge as `scan`; a server reads only the settings file it is given.
    merged = merge(Flags(
        config=args.config, discover=False, rules=tuple(args.rules), builtin=args.builtin, profiles=tuple(args.profile),
        enforcement=args.enforcement, max_inflight_bytes=args.max_inflight_bytes, isolation=args.isolation,
        now=args.now,
    ))
    if merged.max_inflight_bytes < args.max_body_bytes:
        raise UsageError(
            f"--max-inflight-bytes ({merged.max_inflight_bytes}) is below --max-body-bytes ({args.max_body_bytes}): "
            "a request of the largest allowed size could never be judged",
            hint="raise --max-inflight-bytes (or max-inflight-bytes: in --config), or lower --max-body-bytes",
        )
    loader = merged.rules
    extra: dict[str, Any] = {}
    if args.namespace:
        extra["namespace"] = args.namespace
    return Settings(
        host=args.host,
        port=args.port,
        rules=loader.paths,
        builtin=loader.builtin,
        profiles=loader.profiles,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        cert_dir=args.cert_dir,
        service=args.service,
        in_cluster=args.in_cluster,
        ca_secret=args.ca_secret,
        webhook_config=args.webhook_config,
        fail_open=args.fail_mode == "open",
        enforcement=merged.enforcement,
        exclude_namespaces=tuple(args.exclude_namespace) if args.exclude_namespace is not None else None,
        max_body=args.max_body_bytes,
        max_inflight=merged.max_inflight_bytes,
        isolation=merged.isolation,
        now=merged.clock(),
        deadline=args.deadline,
        eval_threads=max(1, args.eval_threads),
        read_timeout=args.read_timeout,
        header_timeout=args.read_timeout,
        max_connections=args.max_connections,
        handshake_timeout=args.handshake_timeout,
        keep_alive=args.keep_alive,
        drain_seconds=args.drain_seconds,
        watch_interval=args.watch_interval,
        log_level=args.log_level,
        **extra,
    )


def run(args: argparse.Namespace, io: Any) -> int:
    try:
        from guardrails.webhook import server
    except ImportError as e:
        io.stderr.write(f"guardrails serve needs the webhook extra ({e.name or e} is missing): {INSTALL_HINT}\n")
        return 2
    from guardrails import isolation

    settings = _settings(args)
    try:
        with isolation.chosen(settings.isolation):  # before the rules load: templates compile in workers
            return server.serve(settings)
    except (OSError, ValueError) as e:  # unreadable or malformed certificate files
        where = f"{e.filename}: " if isinstance(e, OSError) and e.filename else ""
        text = (e.strerror if isinstance(e, OSError) else None) or str(e)
        raise UsageError(f"cannot start: {where}{text}", hint="check --tls-cert, --tls-key and --cert-dir") from None
