"""The small languages rules are written in, pure and shared by every dialect: JMESPath (with
Kyverno's functions and missing-key mode), `{{ }}` templates, any/all conditions, operators,
Kyverno-style patterns, and Go/OPA value syntax. Nothing here reads files or knows a dialect."""
