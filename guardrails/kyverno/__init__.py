"""Kyverno's semantics, pure: its JMESPath dialect and functions, `{{ }}` variables, condition
operators, match/exclude, autogen and validate rules. The dialect module
(`policy.dialects.kyverno`) compiles documents with these; nothing here reads files."""
