"""`python -m guardrails.policy.schema` rewrites rule.schema.json from the check modules."""

from guardrails.policy.schema import SCHEMA_FILE, render

SCHEMA_FILE.write_text(render(), encoding="utf-8")
print(f"wrote {SCHEMA_FILE}")
