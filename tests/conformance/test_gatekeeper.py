"""Every case of the gatekeeper-library suites in ../shared/conformance/gatekeeper, every
assertion, through the engine Gatekeeper would choose (CEL for a template that has it, else
Rego; native fast paths are compared with Rego in tests/gatekeeper/test_native.py).
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.testing import gator
from tests.conftest import SHARED

ROOT = SHARED / "conformance" / "gatekeeper"

# "<template folder>/<test>/<case>" -> reason. The one place known gaps live.
SKIPS: dict[str, str] = {
    **{
        f"general/block-endpoint-edit-default-role/block-endpoint-default-role/{c}": (
            "rego-cpp cannot compile a call whose argument iterates (`f(x[_])`): "
            "the constraint is reported as skipped (issue 9)"
        )
        for c in ("example-disallowed",)
    },
    **{
        f"general/block-wildcard-ingress/block-wildcard-ingress/{c}": (
            "rego-cpp cannot compile a call whose argument iterates (`f(x[_])`) (issue 9)"
        )
        for c in ("blank-host", "host-omitted", "wildcard-host")
    },
    **{
        f"general/disallowanonymous/{t}/{c}": (
            "rego-cpp cannot compile a call whose argument iterates (`f(x[_])`) (issue 9)"
        )
        for t, c in (
            ("disallow-anonymous", "example-disallowed"),
            ("disallow-authenticated", "authenticated-disallowed-with-parameter-true"),
        )
    },
    **{
        f"general/horizontalpodautoscaler/horizontal-pod-autoscaler/{c}": (
            "rego-cpp returns an answer regopy cannot read for this template (issue 9)"
        )
        for c in (
            "example-allowed-hpa",
            "example-disallowed-hpa-replicas",
            "example-disallowed-hpa-replicaspread",
            "example-disallowed-scaletarget",
        )
    },
    "pod-security-policy/users/users-and-groups-together/example-allowed": (
        "rego-cpp evaluates `accept_value(\"RunAsAny\", _, _)` with an undefined argument as false, "
        "OPA as undefined (issue 9)"
    ),
}


def _cases() -> list[Any]:
    out = []
    for suite in sorted(ROOT.glob("*/*/suite.yaml")):
        folder = suite.parent.relative_to(ROOT).as_posix()
        doc = yaml.safe_load(suite.read_text(encoding="utf-8"))
        for test in doc.get("tests") or []:
            for case in test.get("cases") or []:
                case_id = f"{folder}/{test['name']}/{case['name']}"
                marks = [pytest.mark.skip(reason=SKIPS[case_id])] if case_id in SKIPS else []
                out.append(pytest.param(suite, test, case, id=case_id, marks=marks))
    return out


CASES = _cases()


@functools.cache
def _rules(suite: pathlib.Path, template: str, constraint: str) -> list[Any]:
    return gator.load_rules([suite.parent / template, suite.parent / constraint])


def test_the_suites_are_there() -> None:
    assert len(CASES) == 217, "the shared suites changed: update the skip table and this count"
    stale = set(SKIPS) - {p.id for p in CASES}
    assert not stale, f"skip table names cases that do not exist: {sorted(stale)}"


@pytest.mark.parametrize(("suite", "test", "case"), CASES)
def test_case(suite: pathlib.Path, test: dict[str, Any], case: dict[str, Any]) -> None:
    rules = _rules(suite, test["template"], test["constraint"])
    outcome = gator.run_case(rules, suite.parent, test["name"], case)
    assert outcome.error is None, outcome.error
    assert outcome.assertions, "case without assertions"
    for a in outcome.assertions:
        assert a.ok, f"expected {a.describe()}, got {a.matched}; violations: {list(outcome.messages)}"
