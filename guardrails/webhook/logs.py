"""Structured logs: one JSON object per line on stderr, with the request uid and the decision.

Request fields are the client's words: every string is clipped to MAX_FIELD characters and every
list to MAX_ITEMS entries (saying how much was left out), so one request cannot write megabytes
of log; control characters are escaped by the JSON encoding."""

from __future__ import annotations

import datetime
import logging
import sys
from typing import Any

import orjson

__all__ = ["MAX_FIELD", "MAX_ITEMS", "JSONFormatter", "clip", "configure", "event", "logger"]

logger = logging.getLogger("guardrails.webhook")

MAX_FIELD = 512  # characters of one logged string
MAX_ITEMS = 50  # entries of one logged list (findings of one decision)


def clip(value: Any, depth: int = 0) -> Any:
    """`value` with long strings and lists cut short, saying by how much."""
    if isinstance(value, str):
        return value if len(value) <= MAX_FIELD else f"{value[:MAX_FIELD]}... ({len(value) - MAX_FIELD} more characters)"
    if depth > 4:
        return "..."
    if isinstance(value, dict):
        return {clip(str(k)): clip(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, (list, tuple)):
        out = [clip(v, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            out.append(f"... ({len(value) - MAX_ITEMS} more)")
        return out
    return value


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(clip(fields))
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure(level: str = "info", stream: Any = None) -> None:
    """JSON lines for our logger and uvicorn's, on one handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter())
    for name in ("guardrails.webhook", "uvicorn", "uvicorn.error"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level.upper())
        log.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


def event(level: int, msg: str, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, msg, extra={"fields": fields})
