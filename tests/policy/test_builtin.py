"""The shipped rule library is schema-valid: scans skip re-validating it at run time."""

from __future__ import annotations

import yaml

from guardrails.policy.load import TEST_SUFFIXES, builtin_root, lint_rules, rule_files


def test_every_builtin_rule_file_is_schema_valid_and_compiles() -> None:
    ruleset, problems = lint_rules(builtin=True, validate_builtin=True)
    assert [p.render() for p in problems] == []
    files = rule_files([builtin_root()])
    assert len(ruleset.files) == len([f for f in files if not f.name.endswith(TEST_SUFFIXES)])
    assert ruleset.rules


def test_library_test_files_hold_only_rule_tests() -> None:
    """Scans skip NAME.test.yaml in the library by name: no rule may hide in one."""
    tests = [f for f in rule_files([builtin_root()]) if f.name.endswith(TEST_SUFFIXES)]
    assert tests
    for f in tests:
        kinds = {d.get("kind") for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)}
        assert kinds == {"RuleTest"}, f"{f}: {kinds}"
