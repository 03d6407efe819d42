"""The shipped rule.schema.json is exactly what the check modules describe."""

from __future__ import annotations

from guardrails.policy import schema


def test_committed_schema_is_in_sync_with_the_checks() -> None:
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.render(), (
        "rule.schema.json is stale: run python -m guardrails.policy.schema"
    )
