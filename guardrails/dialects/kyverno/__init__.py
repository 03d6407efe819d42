"""Kyverno ClusterPolicy/Policy and PolicyException: match/exclude, autogen, validate rules and
`adapter`, which compiles documents with them. Kyverno's JMESPath, `{{ }}` variables and
conditions live in `guardrails.lang`, shared with native rules; nothing here reads files."""
