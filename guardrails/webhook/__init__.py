"""The admission webhook behind `guardrails serve`: ASGI app, TLS, metrics, rule reload, bootstrap.

Imports `guardrails`' public API plus `guardrails.sources.admission` and
`guardrails.reporters.admission`; `guardrails` never imports this package.
"""

from __future__ import annotations

from guardrails.webhook.settings import Settings

__all__ = ["Settings"]
