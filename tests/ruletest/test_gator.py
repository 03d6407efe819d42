from __future__ import annotations

import pathlib

import pytest
import yaml

from guardrails.ruletest import gator
from tests import shared

ROOT = shared.require_module("conformance", "gatekeeper")


def run(folder: str, strict: bool = False) -> gator.FileResult:
    path = ROOT / folder / "suite.yaml"
    return gator.run_file(path, yaml.safe_load(path.read_text()), strict=strict)


def test_a_library_suite_passes_case_by_case() -> None:
    result = run("general/requiredlabels")
    assert result.ok
    assert [c.name for c in result.cases] == [
        "must-have-owner/example-allowed",
        "must-have-owner/example-disallowed",
        "must-have-owner/example-disallowed-label-value",
        "must-have-key/label-present",
        "must-have-key/label-missing",
    ]


@pytest.mark.parametrize(
    ("assertion", "messages", "ok"),
    [
        ({"violations": True}, ["a"], True),
        ({"violations": True}, [], False),
        ({"violations": False}, [], True),
        ({"violations": "no  "}, ["a"], False),
        ({"violations": 2}, ["a", "b"], True),
        ({"violations": 1, "message": "b"}, ["ab", "cd"], True),
        ({"violations": 1, "message": "^b"}, ["ab", "cd"], False),
        ({"message": "c"}, ["ab", "cd"], True),
        ({}, [], False),
    ],
)
def test_assertions(assertion: dict[str, object], messages: list[str], ok: bool) -> None:
    assert gator._assert(assertion, messages).ok is ok


def test_a_wrong_expectation_fails_with_detail(tmp_path: pathlib.Path) -> None:
    src = ROOT / "general" / "requiredlabels"
    suite = yaml.safe_load((src / "suite.yaml").read_text())
    suite["tests"][0]["cases"][0]["assertions"] = [{"violations": "yes"}]
    for test in suite["tests"]:
        test["template"] = str(src / test["template"])
        test["constraint"] = str(src / test["constraint"])
        for case in test["cases"]:
            case["object"] = str(src / case["object"])
    result = gator.run_file(tmp_path / "suite.yaml", suite, strict=False)
    bad = [c for c in result.cases if not c.ok]
    assert [c.name for c in bad] == ["must-have-owner/example-allowed"]
    assert "expected at least one violation, got 0" in bad[0].detail


def test_a_null_document_keeps_documents_and_their_node_trees_paired(tmp_path: pathlib.Path) -> None:
    # Drift bug: a `--- null` document was dropped from the documents but not from the node
    # trees, so every later document was located in its predecessor's tree.
    f = tmp_path / "template.yaml"
    f.write_text("--- null\n---\nkind: A\nmetadata:\n  name: first\n---\nkind: B\nspec:\n  x: 1\n")
    docs = gator._read(f)
    assert [d.data["kind"] for d in docs] == ["A", "B"]
    assert gator._locator(str(f), docs[1])(("spec", "x")).line == 9


def _absolute(src: pathlib.Path) -> dict[str, object]:
    suite = yaml.safe_load((src / "suite.yaml").read_text())
    for test in suite["tests"]:
        test["template"] = str(src / test["template"])
        test["constraint"] = str(src / test["constraint"])
        for case in test["cases"]:
            case["object"] = str(src / case["object"])
    return suite


@pytest.mark.parametrize("strict", [False, True])
def test_skipped_tests_and_cases_show_and_never_pass(tmp_path: pathlib.Path, strict: bool) -> None:
    suite = _absolute(ROOT / "general" / "requiredlabels")
    tests = suite["tests"]
    assert isinstance(tests, list)
    tests[0]["skip"] = True
    tests[1]["cases"][0]["skip"] = True
    result = gator.run_file(tmp_path / "suite.yaml", suite, strict=strict)
    skipped = [c.name for c in result.cases if c.skipped]
    assert skipped == ["must-have-owner/example-allowed", "must-have-owner/example-disallowed",
                       "must-have-owner/example-disallowed-label-value", "must-have-key/label-present"]
    assert not any(c.ok for c in result.cases if c.skipped)


def test_a_test_whose_files_load_no_rule_is_an_error(tmp_path: pathlib.Path) -> None:
    """Every `violations: no` case would pass without anything judged."""
    suite = _absolute(ROOT / "general" / "requiredlabels")
    tests = suite["tests"]
    assert isinstance(tests, list)
    other = tmp_path / "constraint.yaml"
    other.write_text("apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: not-a-constraint}\n"
                     "spec: {match: {kinds: [Pod]}, requiredLabels: [team]}\n")
    tests[0]["constraint"] = str(other)
    result = gator.run_file(tmp_path / "suite.yaml", suite, strict=False)
    assert any("load no Gatekeeper rule" in e.message for e in result.errors)
    assert not any(c.name.startswith("must-have-owner/") for c in result.cases)
