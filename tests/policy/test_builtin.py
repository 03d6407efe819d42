"""The shipped rule library is schema-valid: scans skip re-validating it at run time."""

from __future__ import annotations

import pathlib

import pytest
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


def test_library_documents_are_cached_and_a_changed_file_invalidates(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guardrails.policy import load

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lib = tmp_path / "lib"
    lib.mkdir()
    rule = lib / "r.yaml"
    rule.write_text("apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: a}\nspec: {requiredLabels: [team]}\n")
    first = load._builtin_documents([rule], lib)
    assert first == {rule: [[1, 1, {"apiVersion": "guardrails.dev/v1", "kind": "Rule", "metadata": {"name": "a"}, "spec": {"requiredLabels": ["team"]}}]]}

    def no_parse(*_: object) -> None:
        raise AssertionError("parsed although the cache is fresh")

    monkeypatch.setattr(load, "_documents", no_parse)
    assert load._builtin_documents([rule], lib) == first
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rule.write_text("# moved\napiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: b}\nspec: {requiredLabels: [team]}\n")
    again = load._builtin_documents([rule], lib)
    assert again is not None and again[rule][0][:2] == [2, 1] and again[rule][0][2]["metadata"]["name"] == "b"
