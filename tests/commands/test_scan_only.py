"""`--only` / `--skip` patterns that name no rule are an error with "did you mean": a typo must
never run every rule (a mistyped --skip) or none (a mistyped --only) without a word. A comma
separates names (`--only a,b` is `--only a --only b`), each checked on its own."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.conftest import CliResult, CliRunner

RULES = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: team-label}
spec:
  match: {kinds: [ConfigMap]}
  requiredLabels: [team]
---
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: owner-label}
spec:
  match: {kinds: [ConfigMap]}
  requiredLabels: [owner]
---
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: cost-label}
spec:
  match: {kinds: [ConfigMap]}
  requiredLabels: [cost-centre]
"""
ALL = {"team-label", "owner-label", "cost-label"}
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"

# flags -> exit code, what stderr says, or (None) the rules the run judged
CASES = [
    (["--only", "team-lable"], 2, "--only 'team-lable' names no rule", "did you mean 'team-label'?"),
    (["--skip", "ownr-label"], 2, "--skip 'ownr-label' names no rule", "did you mean 'owner-label'?"),
    (["--only", "nothing-*"], 2, "--only 'nothing-*' names no rule", "guardrails rules list"),
    (["--only", "team-label", "--skip", "zzz"], 2, "--skip 'zzz' names no rule", "guardrails rules list"),
    (["--only", "team-*"], 1, None, {"team-label"}),
    (["--skip", "owner-label"], 1, None, {"team-label", "cost-label"}),
    # commas: each name is checked, and the typo is named alone
    (["--only", "team-label,owner-label"], 1, None, {"team-label", "owner-label"}),
    (["--only", "team-label, owner-label"], 1, None, {"team-label", "owner-label"}),
    (["--only", "team-label,owner-label", "--only", "cost-label"], 1, None, ALL),
    (["--only", "team-*,cost-label"], 1, None, {"team-label", "cost-label"}),
    (["--skip", "team-label,owner-label"], 1, None, {"cost-label"}),
    (["--only", "team-label,ownr-label"], 2, "--only 'ownr-label' names no rule", "did you mean 'owner-label'?"),
    (["--skip", "cost-label,tema-label"], 2, "--skip 'tema-label' names no rule", "did you mean 'team-label'?"),
    (["--only", "team-label,"], 2, "--only 'team-label,' holds an empty rule name", "--only a,b"),
    (["--skip", "team-label,,owner-label"], 2, "--skip 'team-label,,owner-label' holds an empty rule name", "--only a,b"),
]


def _scan(run_cli: CliRunner, tmp_path: pathlib.Path, flags: list[str]) -> CliResult:
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "cm.yaml").write_text(MANIFEST)
    return run_cli(["scan", str(tmp_path / "cm.yaml"), "--rules", str(tmp_path / "rules.yaml"), *flags])


@pytest.mark.parametrize(("flags", "code", "message", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_only_and_skip_must_name_a_rule(run_cli: CliRunner, tmp_path: pathlib.Path, flags: list[str], code: int,
                                        message: str | None, expected: str | set[str]) -> None:
    r = _scan(run_cli, tmp_path, flags)
    assert r.code == code, r
    assert "Traceback" not in r.err
    if message is None:
        assert isinstance(expected, set)
        # every rule fails the unlabelled ConfigMap, so the rules that ran are the rules named
        assert {name for name in ALL if name in r.out} == expected, r.out
        assert f" {len(expected)} rule" in r.out
    else:
        assert isinstance(expected, str)
        assert message in r.err and expected in r.err, r.err


@pytest.mark.parametrize("flag", ["--only", "--skip"])
def test_a_comma_list_is_the_flag_repeated(run_cli: CliRunner, tmp_path: pathlib.Path, flag: str) -> None:
    commas = _scan(run_cli, tmp_path, [flag, "team-label,cost-label", "--format", "json"])
    repeated = _scan(run_cli, tmp_path, [flag, "team-label", flag, "cost-label", "--format", "json"])
    assert (commas.code, json.loads(commas.out)["findings"]) == (repeated.code, json.loads(repeated.out)["findings"])
