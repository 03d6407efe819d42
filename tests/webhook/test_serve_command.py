"""`guardrails serve` as a command: the missing-extra message, flag errors, one line each."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from guardrails.commands.serve import INSTALL_HINT
from tests.webhook.conftest import rules_folder


def test_without_the_webhook_extra_it_says_how_to_install_it() -> None:
    # Make the web packages unimportable in a fresh interpreter, as on an install without the extra.
    code = (
        "import sys\n"
        "for m in ('uvicorn', 'fastapi', 'starlette'): sys.modules[m] = None\n"
        "from guardrails.cli import run\n"
        "sys.exit(run(['serve']))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert INSTALL_HINT == "pip install 'kube-guardrails[webhook]'"
    assert p.stderr.strip().endswith(INSTALL_HINT)
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


CASES = [
    (["serve", "--tls-cert", "a.crt"], "--tls-cert and --tls-key go together"),
    (["serve", "--tls-cert", "nope.crt", "--tls-key", "nope.key", "--port", "0", "--rules", "{rules}"],
     "cannot start: nope.crt: No such file or directory"),
    (["serve", "--rules", "missing-rules/", "--port", "0"], "missing-rules/: no such rule file or folder"),
    (["serve", "--fail-mode", "sometimes"], "invalid choice: 'sometimes'"),
    (["serve", "--enforcement", "wran", "--rules", "{rules}"], "--enforcement: unknown enforcement 'wran' — did you mean 'warn'?"),
    (["serve", "--max-inflight-bytes", "1000", "--rules", "{rules}"],
     "--max-inflight-bytes (1000) is below --max-body-bytes (8388608)"),
    (["serve", "--max-inflight-bytes", "0"], "must be at least 1, not 0"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[c[1][:30] for c in CASES])
def test_bad_flags_are_one_line_exit_2(run_cli: Any, tmp_path: Any, args: list[str], message: str) -> None:
    rules = rules_folder(tmp_path / "rules")
    result = run_cli([a.format(rules=rules) for a in args])
    assert result.code == 2, result
    assert message in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_help_ends_with_examples(run_cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["serve", "--help"])
    assert result.code == 0
    out = result.out + capsys.readouterr().out  # argparse prints --help itself
    assert "examples:\n  guardrails serve --tls-cert" in out


def test_config_file_gives_rules_and_exceptions(tmp_path: Any) -> None:
    from guardrails.cli import build_parser
    from guardrails.commands.serve import _settings

    (tmp_path / ".guardrails.yaml").write_text("rules: [policies/]\nexceptions: [waivers/]\nbuiltin: true\n")
    args = build_parser().parse_args(["serve", "--config", str(tmp_path / ".guardrails.yaml"), "--fail-mode", "open"])
    settings = _settings(args)
    assert settings.rules == (str(tmp_path / "policies"), str(tmp_path / "waivers"))
    assert settings.builtin is True and settings.fail_open is True
    plain = _settings(build_parser().parse_args(["serve", "--rules", "r/", "--exclude-namespace", "ops"]))
    assert plain.rules == ("r/",) and plain.builtin is False and plain.excluded == frozenset({"ops"})
    assert _settings(build_parser().parse_args(["serve"])).builtin is True  # no rules: the built-ins


def test_in_cluster_outside_a_cluster_is_one_line(run_cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    rules_folder(tmp_path / "rules")
    result = run_cli(["serve", "--in-cluster", "--port", "0", "--rules", str(tmp_path / "rules"),
                      "--cert-dir", str(tmp_path / "tls"), "--namespace", "guardrails"])
    assert result.code == 2
    assert result.err.startswith("guardrails: --in-cluster: no in-cluster Kubernetes credentials")
    assert result.err.count("\n") == 1
