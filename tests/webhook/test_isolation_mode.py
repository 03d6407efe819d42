"""`--isolation on|off` and `isolation:` in the settings, over GUARDRAILS_ISOLATION, as a real
`guardrails serve` process reports it in /readyz; and `scan --isolation off` runs Rego
in-process (no worker forked) and leaves the mode as it found it."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from guardrails import isolation
from tests import isolated_rules
from tests.webhook.test_transport import Served

# (environment, settings file, flags) -> the mode /readyz reports
CASES = [
    (None, "", [], "on"),
    ("off", "", [], "off"),  # the environment variable keeps working
    ("off", "", ["--isolation", "on"], "on"),  # the flag over the environment
    (None, "isolation: off\n", [], "off"),  # YAML reads a bare off as false: the same
    ("off", "isolation: 'on'\n", [], "on"),  # the settings over the environment
    (None, "isolation: off\n", ["--isolation", "on"], "on"),  # the flag over the settings
]


@pytest.mark.parametrize(("env", "settings", "flags", "expected"), CASES)
def test_readyz_shows_the_isolation_chosen(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, env: str | None, settings: str, flags: list[str],
    expected: str,
) -> None:
    if env is None:
        monkeypatch.delenv("GUARDRAILS_ISOLATION", raising=False)
    else:
        monkeypatch.setenv("GUARDRAILS_ISOLATION", env)
    extra = list(flags)
    if settings:
        cfg = tmp_path / "settings.yaml"
        cfg.write_text(settings)
        extra += ["--config", str(cfg)]
    s = Served(tmp_path / "s", *extra)
    try:
        with s.client() as c:
            ready = c.get("/readyz").json()
    finally:
        s.stop()
    assert ready["isolation"] == expected


def test_scan_isolation_off_runs_rego_in_process_and_restores_the_mode(tmp_path: pathlib.Path, run_cli: Any) -> None:
    pytest.importorskip("regorus", reason="Gatekeeper Rego needs the gatekeeper extra (regorus)")
    import yaml

    rules = isolated_rules.loop_folder(tmp_path / "rules")
    target = tmp_path / "pod.yaml"
    target.write_text(yaml.safe_dump(isolated_rules.pod("bad", bad=True)))
    before = isolation.stats()["forked"]
    mode = isolation.name()
    result = run_cli(["scan", "--isolation", "off", "--rules", str(rules), "--format", "json", str(target)])
    assert result.code == 1 and "bad label" in result.out  # the Rego rule judged the Pod
    assert isolation.stats()["forked"] == before  # in this process: no worker
    assert isolation.name() == mode
    result = run_cli(["scan", "--isolation", "maybe", "--rules", str(rules), str(target)])
    assert result.code == 2 and "invalid choice: 'maybe'" in result.err
