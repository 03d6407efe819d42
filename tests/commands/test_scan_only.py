"""`--only` / `--skip` patterns that name no rule are an error with "did you mean": a typo must
never run every rule (a mistyped --skip) or none (a mistyped --only) without a word."""

from __future__ import annotations

import pathlib

import pytest

from tests.conftest import CliRunner

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
"""
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"

# flags -> exit code, what stderr says (None: the run judged)
CASES = [
    (["--only", "team-lable"], 2, "--only 'team-lable' names no rule", "did you mean 'team-label'?"),
    (["--skip", "ownr-label"], 2, "--skip 'ownr-label' names no rule", "did you mean 'owner-label'?"),
    (["--only", "nothing-*"], 2, "--only 'nothing-*' names no rule", "guardrails rules list"),
    (["--only", "team-label", "--skip", "zzz"], 2, "--skip 'zzz' names no rule", "guardrails rules list"),
    (["--only", "team-*"], 1, None, None),
    (["--skip", "owner-label"], 1, None, None),
]


@pytest.mark.parametrize(("flags", "code", "message", "hint"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_only_and_skip_must_name_a_rule(run_cli: CliRunner, tmp_path: pathlib.Path, flags: list[str], code: int,
                                        message: str | None, hint: str | None) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "cm.yaml").write_text(MANIFEST)
    r = run_cli(["scan", str(tmp_path / "cm.yaml"), "--rules", str(tmp_path / "rules.yaml"), *flags])
    assert r.code == code, r
    assert "Traceback" not in r.err
    if message is None:
        assert "team-label" in r.out
        assert "owner-label" not in r.out and "1 rule " in r.out
    else:
        assert message in r.err and hint is not None and hint in r.err
