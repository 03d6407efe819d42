"""`guardrails scan --now` and `now:` in the settings: policies that read the clock (CEL
time.now() in a ValidatingPolicy and in validate.cel, JMESPath time_since) are judged at the
time given, through the real CLI; without one they are visible skips, never judged by the
machine's clock; `wall` is refused (a scan's verdict must not depend on when CI runs it)."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.clock_rules import RULE_IDS, config_map, write_rules
from tests.conftest import CliRunner

# (flags, settings file, exit code, rule ids failing on `old`, skipped rule ids, text in the output)
CASES = [
    ([], "", 0, [], list(RULE_IDS), ""),
    (["--now", "2026-03-06T12:00:00Z"], "", 1, list(RULE_IDS), [], ""),
    (["--now", "2026-03-06T13:00:00+01:00"], "", 1, list(RULE_IDS), [], ""),  # the same instant
    (["--now", "2026-03-01T12:00:00Z"], "", 0, [], [], ""),  # a day earlier: both were fresh
    ([], "now: 2026-03-06T12:00:00Z\n", 1, list(RULE_IDS), [], ""),  # read as Kubernetes reads YAML: a string
    ([], "now: '2026-03-06T12:00:00Z'\n", 1, list(RULE_IDS), [], ""),
    (["--now", "2026-03-01T12:00:00Z"], "now: 2026-03-06T12:00:00Z\n", 0, [], [], ""),  # the flag wins
    (["--now", "wall"], "", 2, [], [], "a scan takes a fixed evaluation time, not wall"),
    ([], "now: wall\n", 2, [], [], "a scan takes a fixed evaluation time, not wall"),
    (["--now", "2026-03-06"], "", 2, [], [], "--now: expected an RFC 3339 time with its zone"),
    (["--now", "2026-03-06T12:00:00"], "", 2, [], [], "--now: expected an RFC 3339 time with its zone"),
    ([], "now: tomorrow\n", 2, [], [], "now: expected an RFC 3339 time with its zone"),
    ([], "now: 2026\n", 2, [], [], "now: expected an RFC 3339 time with its zone"),
]


@pytest.mark.parametrize(("flags", "settings", "code", "failing", "skipped", "says"), CASES)
def test_scan_judges_clock_policies_at_the_time_given(
    run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], settings: str,
    code: int, failing: list[str], skipped: list[str], says: str,
) -> None:
    rules = write_rules(tmp_path / "rules")
    target = tmp_path / "cms.yaml"
    target.write_text(config_map("old", "2026-03-01T00:00:00Z") + "---\n" + config_map("new", "2026-03-06T00:00:00Z"))
    if settings:
        (tmp_path / ".guardrails.yaml").write_text(settings)
    monkeypatch.chdir(tmp_path)
    r = run_cli(["scan", *flags, "--rules", str(rules), "--format", "json", str(target)])
    assert r.code == code, r
    if code == 2:
        assert says in r.err, r
        return
    report = json.loads(r.out)
    fails = sorted(f["rule"] for f in report["findings"] if f["status"] == "fail")
    assert fails == sorted(failing)
    assert all(f["resource"]["name"] == "old" for f in report["findings"] if f["status"] == "fail")
    assert sorted(s["rule"] for s in report["summary"]["skippedRules"]) == sorted(skipped)
    for s in report["summary"]["skippedRules"]:
        assert "no evaluation time was given" in s["reason"] and s["resources"] == 2


def test_scan_without_a_time_fails_on_skip_when_asked(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    rules = write_rules(tmp_path / "rules")
    target = tmp_path / "cm.yaml"
    target.write_text(config_map("old", "2026-03-01T00:00:00Z"))
    r = run_cli(["scan", "--fail-on-skip", "--rules", str(rules), str(target)])
    assert r.code == 1, r
    assert "skipped  fresh-vpol on 1 resource" in r.out and "--now TIME" in r.out


def test_a_parallel_scan_gives_its_workers_the_time(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    rules = write_rules(tmp_path / "rules")
    for i in range(24):  # enough files for --jobs to fork
        (tmp_path / f"cm{i}.yaml").write_text(config_map(f"old{i}", "2026-03-01T00:00:00Z"))
    r = run_cli(["scan", "--jobs", "2", "--now", "2026-03-06T12:00:00Z", "--rules", str(rules), "--format", "json",
                 *(str(tmp_path / f"cm{i}.yaml") for i in range(24))])
    assert r.code == 1, r
    assert len([f for f in json.loads(r.out)["findings"] if f["status"] == "fail"]) == 24 * len(RULE_IDS)
