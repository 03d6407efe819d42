"""Rule documents -> compiled rules: schema, dialects, compile (pure), waivers, load (edge)."""
