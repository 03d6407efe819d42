"""`python -m guardrails.policy.schema` rewrites rule.schema.json (from the check modules) and
settings.schema.json."""

from guardrails.policy import schema
from guardrails.policy.schema import settings

for target, text in ((schema.SCHEMA_FILE, schema.render()), (settings.SCHEMA_FILE, settings.render())):
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
