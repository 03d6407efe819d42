"""Prometheus metrics of one webhook process, in a registry of its own (never the global one).

Labels carry only bounded values: decision, operation, kind, dry-run, rule and action. The
decision is allow, deny, error, or would-deny: a rule's denial that the enforcement mode (warn,
audit) allowed; `guardrails_enforcement` says which mode answers. No namespace or object name
ever becomes a label. A request's operation and kind are the client's
words (anyone who reaches the port can send a review), so they are folded: an operation the API
server does not send, a kind that is not a Kubernetes kind name, and every kind past the first
MAX_KINDS seen read `other`. Rule ids come from the loaded rules, a bounded set.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["BUCKETS", "MAX_KINDS", "OPERATIONS", "Metrics"]

OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})
MAX_KINDS = 200  # distinct kind labels; a cluster serves a few dozen to a few hundred kinds
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")  # what a Kubernetes kind name looks like
OTHER = "other"

# Sub-millisecond resolution: a decision takes tens of microseconds to a few milliseconds.
BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "guardrails_admission_requests", "Admission requests answered, by decision",
            ["decision", "operation", "kind", "dry_run"], registry=r,
        )
        self.latency = Histogram(
            "guardrails_admission_duration_seconds", "Time from the request's body to its answer, by decision",
            ["decision"], buckets=BUCKETS, registry=r,
        )
        self.violations = Counter(
            "guardrails_rule_violations", "Failing or erroring rule outcomes at admission, by rule and action",
            ["rule", "action", "status"], registry=r,
        )
        self.invalid = Counter(
            "guardrails_admission_invalid_requests", "Requests refused before judging (HTTP 4xx), by reason",
            ["reason"], registry=r,
        )
        self.inflight_bytes = Gauge(
            "guardrails_admission_inflight_body_bytes", "Request body bytes held now (received or being judged)",
            registry=r,
        )
        self.inflight_refused = Counter(
            "guardrails_admission_inflight_refused",
            "Requests refused with 503 because the bodies in flight reached --max-inflight-bytes", registry=r,
        )
        self.rules_loaded = Gauge("guardrails_rules_loaded", "Rules in the current rule set that the webhook evaluates", registry=r)
        self.rules_skipped = Gauge(
            "guardrails_rules_skipped", "Rules in the current rule set the webhook cannot evaluate (their matches are skips), by reason",
            ["reason"], registry=r,
        )
        self.rule_warnings = Gauge("guardrails_rule_load_warnings", "Warnings of the current rule set's load", registry=r)
        self.reload_errors = Counter("guardrails_rule_reload_errors", "Rule reloads that failed", registry=r)
        self.reload_failing = Gauge(
            "guardrails_rule_reload_failing", "1 while the last rule reload failed and an older set is in use", registry=r
        )
        self.cert_expiry = Gauge(
            "guardrails_certificate_expiry_timestamp_seconds", "When the serving certificate expires (Unix time)",
            registry=r,
        )
        self.deadlines = Counter(
            "guardrails_admission_deadline_exceeded", "Decisions answered by the fail mode after their deadline, by the rule running",
            ["rule"], registry=r,
        )
        self.draining = Gauge("guardrails_draining", "1 once SIGTERM was received", registry=r)
        self.enforcement = Gauge(
            "guardrails_enforcement", "1 for the enforcement mode in use (audit, warn or enforce), 0 for the others",
            ["mode"], registry=r,
        )
        # Transport (webhook/transport.py): what clients hold before they send a request.
        self.connections_open = Gauge("guardrails_connections_open", "Connections open, handshaking or not", registry=r)
        self.connections_refused = Counter(
            "guardrails_connections_refused", "Connections closed at accept: every connection was busy in a request",
            registry=r,
        )
        self.connections_evicted = Counter(
            "guardrails_connections_evicted", "Idle or handshaking connections closed to make room for a new one",
            registry=r,
        )
        self.handshake_failures = Counter(
            "guardrails_tls_handshake_failures", "TLS handshakes that timed out or failed", ["reason"], registry=r,
        )
        self.accept_errors = Counter(
            "guardrails_accept_errors", "Accepts that failed for lack of file descriptors or memory", registry=r,
        )
        # Label children cached: the hot path should not rebuild label tuples per request.
        self._req: dict[tuple[str, str, str, str], Counter] = {}
        self._lat: dict[str, Histogram] = {}
        self._vio: dict[tuple[str, str, str], Counter] = {}
        self._kinds: set[str] = set()

    def _kind(self, kind: str) -> str:
        if kind in self._kinds:
            return kind
        if len(self._kinds) >= MAX_KINDS or not _KIND.fullmatch(kind):
            return OTHER
        self._kinds.add(kind)
        return kind

    def observe(self, decision: str, operation: str, kind: str, dry_run: bool, seconds: float) -> None:
        key = (decision, operation if operation in OPERATIONS else OTHER, self._kind(kind), "true" if dry_run else "false")
        child = self._req.get(key)
        if child is None:
            child = self._req[key] = self.requests.labels(*key)
        child.inc()
        lat = self._lat.get(decision)
        if lat is None:
            lat = self._lat[decision] = self.latency.labels(decision)
        lat.observe(seconds)

    def violation(self, rule: str, action: str, status: str) -> None:
        key = (rule, action, status)
        child = self._vio.get(key)
        if child is None:
            child = self._vio[key] = self.violations.labels(*key)
        child.inc()

    def enforce(self, mode: str) -> None:
        """Publish the enforcement mode: every mode is a sample, the one in use set to 1."""
        for m in ("audit", "warn", "enforce"):
            self.enforcement.labels(m).set(1 if m == mode else 0)

    def deadline(self, rule: str | None) -> None:
        self.deadlines.labels(rule or "none").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
