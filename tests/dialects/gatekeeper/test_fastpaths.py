"""The native fast paths agree with their template's own Rego on every conformance case of
those templates: same verdict and same messages."""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import pytest
import yaml

from guardrails.dialects.gatekeeper import fastpaths as native
from guardrails.dialects.gatekeeper import template as gk_template
from guardrails.ruletest import gator
from tests import shared

ROOT = shared.require_module("conformance", "gatekeeper")


def _native_suites() -> list[pathlib.Path]:
    out = []
    for suite in sorted(ROOT.glob("*/*/suite.yaml")):
        t = gk_template.parse(yaml.safe_load((suite.parent / "template.yaml").read_text()))
        if native.known(t):
            out.append(suite)
    return out


def _cases() -> list[Any]:
    out = []
    for suite in _native_suites():
        doc = yaml.safe_load(suite.read_text())
        for test in doc["tests"]:
            for case in test["cases"]:
                out.append(pytest.param(suite, test, case, id=f"{suite.parent.name}/{test['name']}/{case['name']}"))
    return out


CASES = _cases()


@functools.cache
def _rules(suite: pathlib.Path, template: str, constraint: str, engine: str) -> list[Any]:
    return gator.load_rules([suite.parent / template, suite.parent / constraint], engine=engine)


def test_every_fast_path_is_proven_on_the_library_version() -> None:
    names = set()
    for suite in _native_suites():
        t = gk_template.parse(yaml.safe_load((suite.parent / "template.yaml").read_text()))
        assert native.supports(t, None), f"{t.name}: fingerprint {native.fingerprint(t)} not in FAST_PATHS"
        names.add(t.name)
    assert names == set(native.FAST_PATHS)


@pytest.mark.parametrize(("suite", "test", "case"), CASES)
def test_native_agrees_with_rego(suite: pathlib.Path, test: dict[str, Any], case: dict[str, Any]) -> None:
    fast = gator.run_case(_rules(suite, test["template"], test["constraint"], "native"), suite.parent, test["name"], case)
    rego = gator.run_case(_rules(suite, test["template"], test["constraint"], "rego"), suite.parent, test["name"], case)
    assert fast.error is None and rego.error is None, (fast.error, rego.error)
    assert sorted(fast.messages) == sorted(rego.messages)
    assert fast.ok and rego.ok


def test_an_edited_template_runs_its_own_rego(tmp_path: pathlib.Path) -> None:
    src = ROOT / "general" / "requiredlabels"
    text = (src / "template.yaml").read_text().replace("you must provide labels", "labels missing")
    (tmp_path / "template.yaml").write_text(text)
    (rule,) = gator.load_rules([tmp_path / "template.yaml", src / "samples" / "verify-label-key-only" / "constraint.yaml"])
    assert rule.check_key != "gatekeeper/native"


def test_native_agrees_with_rego_on_generated_manifests() -> None:
    """Beyond the suites: the benchmark's generated manifests (mistakes included), through
    every constraint of the fast-path templates, PSP ones fed with Pods carrying them."""
    from bench.bench_gatekeeper import _library, corpus
    from guardrails.engine import Engine
    from guardrails.model import Origin, Resource

    objects = corpus(30, seed=7)
    for o in objects[::3]:
        if o["kind"] == "Pod":
            o["spec"]["hostPID"] = True
            o["spec"]["volumes"] = [{"name": "v", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}}]
            o["spec"]["securityContext"] = {"windowsOptions": {"hostProcess": True}}
    resources = [Resource(o, Origin("c.yaml", i)) for i, o in enumerate(objects)]
    files = _library(only_native=True)
    fast, slow = Engine(gator.load_rules(files, engine="native")), Engine(gator.load_rules(files, engine="rego"))
    compared = 0
    for r in resources:
        a = sorted((f.rule, f.message) for f in fast.evaluate(r))
        b = sorted((f.rule, f.message) for f in slow.evaluate(r))
        assert a == b, r.obj
        compared += len(a)
    assert compared > 40
