"""The admission webhook: `guardrails serve` (FastAPI/uvicorn, TLS, metrics, reload)."""
