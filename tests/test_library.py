"""Meta-tests of the built-in rule library: every rule is documented, tested and exercised.

STYLE.md §5: metadata is data, checked here; every rule has a RuleTest with a passing and a
failing resource; `examples/bad` fires every rule and `examples/good` passes every rule; our
own compliant manifests pass the restricted profile.
"""

from __future__ import annotations

import collections
import json
import pathlib
import re
from typing import Any

import hcl2
import pytest
import yaml

from guardrails.engine import Engine
from guardrails.model import Status, is_link, remediation_parts
from guardrails.policy import profiles
from guardrails.policy.load import load_rules
from guardrails.rule import CompiledRule
from guardrails.sources import documents as yamldocs
from tests.conftest import REPO, CliRunner

RULES = REPO / "rules"
RULE_FILES = sorted(p for p in RULES.rglob("*.yaml") if not p.name.endswith(".test.yaml"))
REQUIRED = ("title", "description", "remediation", "severity", "action", "references", "profiles")
# A reference is an https link or a CIS benchmark id: benchmark, version, recommendation.
CIS_ID = re.compile(r"CIS [A-Z][A-Za-z ]+ v\d+\.\d+\.\d+ \d+(\.\d+)*")
TERRAFORM_RULES = [p for p in RULE_FILES if p.parent.name == "terraform"]


def _docs(path: pathlib.Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _id(p: pathlib.Path) -> str:
    return p.relative_to(RULES).as_posix()


@pytest.mark.parametrize("path", RULE_FILES, ids=_id)
def test_every_rule_carries_its_metadata(path: pathlib.Path) -> None:
    (doc,) = _docs(path)
    assert doc["apiVersion"] == "guardrails.dev/v1" and doc["kind"] == "Rule"
    spec = doc["spec"]
    missing = [k for k in REQUIRED if not spec.get(k)]
    assert not missing, f"{_id(path)} lacks {missing}"
    prose, code = remediation_parts(spec["remediation"])
    assert prose.endswith("."), "the remediation's prose is a sentence ending with a period"
    assert spec["title"][0].isupper() and not spec["title"].endswith(".")
    bad = [r for r in spec["references"] if not (r.startswith("https://") if is_link(r) else CIS_ID.fullmatch(r))]
    assert not bad, f"references are https links or CIS ids (CIS AWS Foundations v3.0.0 3.7): {bad}"
    assert "CIS " not in spec["description"], "CIS ids belong in references, where every output lists them"
    assert all(p in profiles.PROFILES for p in spec["profiles"])
    if path in TERRAFORM_RULES:
        # rules for plans say what to write in HCL (and only the first reference that is a link
        # is a SARIF helpUri, so there must be one)
        assert [lang for lang, _ in code] and all(lang == "hcl" for lang, _ in code), "a Terraform rule's fix is an ```hcl block"
        assert any(is_link(r) for r in spec["references"])


@pytest.mark.parametrize("path", TERRAFORM_RULES, ids=_id)
def test_every_terraform_remediation_is_hcl_that_parses(path: pathlib.Path) -> None:
    (doc,) = _docs(path)
    kinds = set(doc["spec"]["match"]["kinds"])
    for _, code in remediation_parts(doc["spec"]["remediation"])[1]:
        parsed = hcl2.loads(code + "\n")
        written = {kind.strip("\"") for block in parsed.get("resource", ()) for kind in block}  # labels keep their quotes
        # the snippet writes a resource the rule judges, or the provider setting it reads
        assert written & kinds or parsed.get("provider"), f"{_id(path)}: the HCL writes none of {sorted(kinds)}"


@pytest.mark.parametrize("path", RULE_FILES, ids=_id)
def test_every_rule_has_a_test_with_a_pass_and_a_fail(path: pathlib.Path) -> None:
    (rule,) = _docs(path)
    name = rule["metadata"]["name"]
    test = path.with_name(f"{path.stem}.test.yaml")
    assert test.is_file(), f"{_id(path)} has no {test.name}"
    (doc,) = _docs(test)
    results = collections.Counter(r["result"] for r in doc["spec"]["results"] if r["rule"] == name)
    assert results["pass"] >= 1 and results["fail"] >= 1, f"{test.name} needs a passing and a failing resource"


def test_the_library_passes_its_own_tests(run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    r = run_cli(["test", "--strict", "rules/"])
    assert r.code == 0, r.out
    assert " 0 failed in " in r.out.splitlines()[-1]


def test_restricted_includes_baseline_and_default_includes_the_seed_and_baseline() -> None:
    def names(*selected: str) -> set[str]:
        return {r.name for r in load_rules(builtin=True, profiles=selected).rules}

    baseline, restricted, default = names("baseline"), names("restricted"), names("default")
    # Profiles add to the default set, which holds the baseline level.
    assert baseline == default and default < restricted
    assert {r.name for r in load_rules(builtin=True).rules if "baseline" in r.profiles} < default
    assert names("all") == names("default", "restricted", "best-practices", "terraform")
    assert {r.name for r in load_rules(builtin=True).rules} == default


def _kubernetes(rule: CompiledRule) -> bool:
    """Rules for Kubernetes objects; Terraform rules have their own examples (plans)."""
    return not (rule.source and rule.source.path.startswith("builtin:terraform/"))


def _outcomes(folder: str) -> dict[str, collections.Counter[Status]]:
    """Kubernetes rule -> outcomes over every resource of every manifest under examples/<folder>."""
    ruleset = load_rules(builtin=True, profiles=("all",))
    engine = Engine([r for r in ruleset.rules if _kubernetes(r)])
    out: dict[str, collections.Counter[Status]] = {r.name: collections.Counter() for r in engine.rules}
    for path in sorted((REPO / "examples" / folder).rglob("*.yaml")):
        for doc in yamldocs.documents(path.read_text(), path.name):
            assert isinstance(doc, yamldocs.Document), doc
            for resource in yamldocs.resources_of(doc, path.name)[0]:
                for result in engine.results(resource):
                    out[result.rule][result.status] += 1
    return out


def test_examples_bad_fire_every_rule() -> None:
    never = [rule for rule, seen in _outcomes("bad").items() if not seen[Status.FAIL]]
    assert not never, f"no examples/bad manifest fires {never}"


def test_examples_good_pass_every_rule_and_never_fail() -> None:
    outcomes = _outcomes("good")
    failing = [rule for rule, seen in outcomes.items() if seen[Status.FAIL] or seen[Status.ERROR]]
    assert not failing, f"examples/good fails {failing}"
    untested = [rule for rule, seen in outcomes.items() if not seen[Status.PASS]]
    assert not untested, f"no examples/good manifest is judged (and passed) by {untested}"


# deploy/ (the webhook's own manifests) joins as soon as it holds any.
COMPLIANT = ["examples/good"] + (["deploy"] if any((REPO / "deploy").rglob("*.yaml")) else [])


@pytest.mark.parametrize("folder", COMPLIANT)
def test_our_compliant_manifests_pass_the_restricted_profile(run_cli: CliRunner, folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    r = run_cli(["scan", folder, "--profile", "restricted", "--fail-on", "info", "--format", "json"])
    assert r.code == 0, r.out
    assert json.loads(r.out)["findings"] == []
