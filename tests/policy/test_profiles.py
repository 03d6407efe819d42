"""Profiles: what each selects, restricted on top of baseline, and `--profile` on the command line."""

from __future__ import annotations

import json
import pathlib

import pytest

from guardrails.policy import profiles
from tests.conftest import CliRunner


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["baseline"], {"baseline"}),
        (["restricted"], {"restricted", "baseline"}),
        (["default"], {"default", "baseline"}),
        (["best-practices", "restricted"], {"best-practices", "restricted", "baseline"}),
        (["all"], {"all", *profiles.PROFILES}),
    ],
)
def test_expand(names: list[str], expected: set[str]) -> None:
    assert profiles.expand(names) == expected


def test_unknown_names_get_a_suggestion() -> None:
    assert profiles.unknown(["baseline", "restricted"]) is None
    assert profiles.unknown(["baseline", "restricted-v2"]) == ("restricted-v2", "did you mean 'restricted'?")
    bad = profiles.unknown(["pss"])
    assert bad is not None and bad[1].startswith("profiles: default, baseline")


PRIVILEGED_ROOT_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: app
      image: ghcr.io/myorg/app:1.0.0
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}
      securityContext: {privileged: true, runAsUser: 0}
"""


def _rules(run_cli: CliRunner, *args: str) -> tuple[int, set[str]]:
    r = run_cli(["scan", "pod.yaml", "--format", "json", *args])
    return r.code, {f["rule"] for f in json.loads(r.out)["findings"]}


def test_scan_profile_selects_the_built_in_rules(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_ROOT_POD)
    monkeypatch.chdir(tmp_path)
    code, default = _rules(run_cli)
    assert code == 1 and "disallow-privileged-containers" in default and "disallow-root-user" not in default
    # Profiles add to the default set: naming one never drops the seed rules.
    _, baseline = _rules(run_cli, "--profile", "baseline")
    assert baseline == default
    _, restricted = _rules(run_cli, "--profile", "restricted")
    assert default < restricted and "disallow-root-user" in restricted and "require-run-as-non-root" in restricted
    _, practices = _rules(run_cli, "--profile", "best-practices")
    assert default < practices and "require-read-only-root-filesystem" in practices
    _, both = _rules(run_cli, "--profile", "best-practices", "--profile", "restricted")
    assert both == practices | restricted


@pytest.mark.parametrize("profile", ["baseline", "restricted", "best-practices", "terraform", "all"])
def test_no_profile_drops_the_default_set(profile: str) -> None:
    """The issue's case: `--profile restricted` used to run the restricted rules alone, so a plan
    scanned with it reported nothing. Every profile keeps every default rule."""
    from guardrails.policy.load import load_rules

    default = {r.id for r in load_rules(builtin=True).rules}
    chosen = {r.id for r in load_rules(builtin=True, profiles=[profile]).rules}
    assert chosen == default if profile == "baseline" else default < chosen
    assert any(r.startswith("terraform-") for r in chosen)


def test_the_summary_names_the_rule_sets(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_ROOT_POD)
    (tmp_path / "mine.yaml").write_text(
        "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: mine}\n"
        "spec:\n  match: {kinds: [Pod]}\n  requiredLabels: [team]\n"
    )
    monkeypatch.chdir(tmp_path)
    last = run_cli(["scan", "pod.yaml", "--profile", "restricted"]).out.splitlines()[-1]
    assert "rules (built-in default, baseline, restricted)" in last
    last = run_cli(["scan", "pod.yaml", "--rules", "mine.yaml"]).out.splitlines()[-1]
    assert "1 rule (mine.yaml)" in last
    last = run_cli(["scan", "pod.yaml", "--rules", "mine.yaml", "--profile", "all"]).out.splitlines()[-1]
    assert "rules (built-in all; mine.yaml)" in last


def test_profile_with_own_rules_adds_the_built_in_ones(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_ROOT_POD)
    (tmp_path / "mine.yaml").write_text(
        "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: mine}\n"
        "spec:\n  match: {kinds: [Pod]}\n  requiredLabels: [team]\n"
    )
    monkeypatch.chdir(tmp_path)
    assert _rules(run_cli, "--rules", "mine.yaml")[1] == {"mine"}
    with_builtin = _rules(run_cli, "--rules", "mine.yaml", "--profile", "baseline")[1]
    assert {"mine", "disallow-privileged-containers"} <= with_builtin and with_builtin == {"mine"} | _rules(run_cli)[1]


def test_an_unknown_profile_is_a_usage_error(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_ROOT_POD)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["scan", "pod.yaml", "--profile", "restriced"])
    assert r.code == 2
    assert r.err == "guardrails: unknown profile 'restriced' — did you mean 'restricted'?\n"
