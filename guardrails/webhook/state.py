"""Everything one webhook process holds: settings, rules, TLS, metrics, readiness, draining.

The periodic jobs (run from the app's lifespan): `tick()` in a worker thread reloads changed
rules and reconciles the shared CA; `tick_tls()` on the event loop renews or reloads the
certificate. Both report in logs and metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from guardrails import isolation
from guardrails.webhook import logs
from guardrails.webhook.metrics import Metrics
from guardrails.webhook.namespaces import NamespaceLabels
from guardrails.webhook.rules import LoadReport, RuleStore
from guardrails.webhook.settings import Settings
from guardrails.webhook.tls import ServingTLS

__all__ = ["MAX_LISTED", "State"]

MAX_LISTED = 20  # skipped rules and load warnings listed in /readyz (the counts are whole)


class State:
    def __init__(
        self,
        settings: Settings,
        rules: RuleStore,
        tls: ServingTLS | None,
        metrics: Metrics | None = None,
        *,
        reconcile: Callable[[], None] | None = None,
        namespaces: NamespaceLabels | None = None,
    ) -> None:
        self.settings = settings
        self.namespaces = namespaces
        self.reconcile = reconcile
        self._reconciled = time.monotonic()
        self.rules = rules
        self.tls = tls
        self.metrics = metrics or Metrics()
        self.excluded = settings.excluded
        self.draining = False
        self.metrics.enforce(settings.enforcement.value)
        self.started = time.monotonic()
        self._cert_error: str | None = None
        self._publish()
        if rules.book is not None:
            _log_load("rules loaded", rules.report)

    def _publish(self) -> None:
        report = self.rules.report
        self.metrics.rules_loaded.set(report.loaded)
        for reason, count in report.by_reason().items():
            self.metrics.rules_skipped.labels(reason).set(count)
        self.metrics.rule_warnings.set(len(report.warnings))
        self.metrics.reload_failing.set(1 if self.rules.error else 0)
        if self.tls is not None and self.tls.not_after is not None:
            self.metrics.cert_expiry.set(self.tls.not_after.timestamp())

    def start_draining(self) -> None:
        if not self.draining:
            self.draining = True
            self.metrics.draining.set(1)
            logs.event(logging.INFO, "draining: readiness fails, connections close after their answer")

    def tick(self) -> None:
        result = self.rules.refresh()
        if result is True:
            _log_load("rules reloaded", self.rules.report)
        elif result is False:
            self.metrics.reload_errors.inc()
            logs.event(logging.ERROR, "rule reload failed, keeping the last good rule set", error=self.rules.error)
        if self.reconcile is not None and time.monotonic() - self._reconciled >= self.settings.reconcile_interval:
            self._reconciled = time.monotonic()
            try:
                self.reconcile()
            except Exception as e:  # the API server may be briefly away; the next round retries
                logs.event(logging.ERROR, "shared CA / caBundle reconcile failed", error=f"{type(e).__name__}: {e}")
        self._publish()

    def tick_tls(self) -> None:
        if self.tls is not None:
            cert = self.tls.refresh()
            if cert is True:
                logs.event(logging.INFO, "serving certificate loaded", not_after=self.tls.not_after)
            elif cert is False and self.tls.error != self._cert_error:
                logs.event(logging.ERROR, "serving certificate not reloaded", error=self.tls.error)
            self._cert_error = self.tls.error
        self._publish()

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        book = self.rules.book
        report = self.rules.report
        details: dict[str, Any] = {
            "rules_loaded": report.loaded,
            "rules_skipped": len(report.skipped),
            "skipped": [
                {"rule": s.rule, "reason": s.reason, "source": s.source} for s in report.skipped[:MAX_LISTED]
            ],
            "skipped_more": max(0, len(report.skipped) - MAX_LISTED),
            "rules_warnings": len(report.warnings),
            "warnings": list(report.warnings[:MAX_LISTED]),
            "warnings_more": max(0, len(report.warnings) - MAX_LISTED),
            "rules_error": self.rules.error,
            "enforcement": self.settings.enforcement.value,
            "isolation": isolation.name(),
            "draining": self.draining,
        }
        ok = book is not None and not self.draining
        if self.tls is not None:
            details["certificate_not_after"] = self.tls.not_after.isoformat() if self.tls.not_after else None
            details["certificate_error"] = self.tls.error
            if self.tls.expires_soon():
                ok = False
                details["certificate_expiring"] = True
        return ok, details


def _log_load(msg: str, report: LoadReport) -> None:
    """One line per load: the counts, and the skipped rules and warnings (the log clips lists)."""
    level = logging.WARNING if report.skipped or report.warnings else logging.INFO
    logs.event(
        level, msg, loaded=report.loaded, skipped=len(report.skipped), warnings=len(report.warnings),
        skipped_rules=[f"{s.rule}: {s.reason}" for s in report.skipped], load_warnings=list(report.warnings),
    )
