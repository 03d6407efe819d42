"""The shipped rule library is schema-valid: scans skip re-validating it at run time."""

from __future__ import annotations

from guardrails.policy.load import builtin_root, lint_rules, rule_files


def test_every_builtin_rule_file_is_schema_valid_and_compiles() -> None:
    ruleset, problems = lint_rules(builtin=True, validate_builtin=True)
    assert [p.render() for p in problems] == []
    assert len(ruleset.files) == len(rule_files([builtin_root()]))
    assert ruleset.rules
