"""Every case of the gatekeeper-library suites in ../shared/conformance/gatekeeper, every
assertion, through the engines `auto` picks (native fast path, else CEL where the template has
it, as Gatekeeper does, else Rego), through every template's own Rego (regorus), and through the
CEL of every template that has some.
Native and Rego are also compared message by message in tests/gatekeeper/test_native.py.
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.ruletest import gator
from tests import shared

ROOT = shared.require_module("conformance", "gatekeeper")

# "<engine>:<template folder>/<test>/<case>" -> reason. The one place known gaps live (none
# since the Rego engine is regorus: rego-cpp's quoting of strings inside sprintf'd values is gone).
SKIPS: dict[str, str] = {}
ENGINES = ("auto", "rego", "cel")  # cel: only the templates that have K8sNativeValidation code


def _cases() -> list[Any]:
    out = []
    for suite in sorted(ROOT.glob("*/*/suite.yaml")):
        folder = suite.parent.relative_to(ROOT).as_posix()
        doc = yaml.safe_load(suite.read_text(encoding="utf-8"))
        has_cel = "K8sNativeValidation" in (suite.parent / "template.yaml").read_text(encoding="utf-8")
        for engine in ENGINES if has_cel else ENGINES[:2]:
            for test in doc.get("tests") or []:
                for case in test.get("cases") or []:
                    case_id = f"{engine}:{folder}/{test['name']}/{case['name']}"
                    marks = [pytest.mark.skip(reason=SKIPS[case_id])] if case_id in SKIPS else []
                    out.append(pytest.param(engine, suite, test, case, id=case_id, marks=marks))
    return out


CASES = _cases()


@functools.cache
def _rules(engine: str, suite: pathlib.Path, template: str, constraint: str) -> list[Any]:
    return gator.load_rules([suite.parent / template, suite.parent / constraint], engine=engine)


def test_the_suites_are_there() -> None:
    assert len([c for c in CASES if c.id.startswith("rego:")]) == 217, "the shared suites changed: update this count"
    assert len(CASES) == 217 * 2 + 105, "the shared suites changed: update the skip table and these counts"
    stale = set(SKIPS) - {p.id for p in CASES}
    assert not stale, f"skip table names cases that do not exist: {sorted(stale)}"


@pytest.mark.parametrize(("engine", "suite", "test", "case"), CASES)
def test_case(engine: str, suite: pathlib.Path, test: dict[str, Any], case: dict[str, Any]) -> None:
    rules = _rules(engine, suite, test["template"], test["constraint"])
    assert not any(r.unsupported for r in rules), [r.unsupported for r in rules]
    outcome = gator.run_case(rules, suite.parent, test["name"], case)
    assert outcome.error is None, outcome.error
    assert outcome.assertions, "case without assertions"
    for a in outcome.assertions:
        assert a.ok, f"expected {a.describe()}, got {a.matched}; violations: {list(outcome.messages)}"
