"""`.guardrails.yaml`: discovery upwards, validation with positions, paths relative to the file."""

from __future__ import annotations

import datetime
import pathlib

import pytest

from guardrails.config import find_config, load_config
from guardrails.errors import ConfigError
from guardrails.model import Severity


def test_found_upwards_and_paths_are_relative_to_it(tmp_path: pathlib.Path) -> None:
    (tmp_path / ".guardrails.yaml").write_text("rules: [policies/]\nfail-on: high\nexclude: ['charts/**']\nprofiles: [restricted]\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    found = find_config(deep)
    assert found == tmp_path / ".guardrails.yaml"
    cfg = load_config(found)
    assert cfg.rules == (str(tmp_path / "policies/"),)
    assert cfg.fail_on is Severity.HIGH
    assert cfg.exclude == ("charts/**",)
    assert cfg.profiles == ("restricted",)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("rules: [a]\nfial-on: high\n", 2, "unknown setting 'fial-on' — did you mean 'fail-on'?"),
        ("fail-on: urgent\n", 1, "fail-on: unknown severity 'urgent'"),
        ("rules: 3\n", 1, "rules: expected a list of strings"),
        ("builtin: yes please\n", 1, "builtin: expected true or false"),
        ("fail-on: high\nprofiles: [baseline, restrictd]\n", 2, "profiles: unknown profile 'restrictd' — did you mean 'restricted'?"),
        ("rules: [a\n", 2, "malformed YAML"),
        ("- a\n", 1, "expected a mapping"),
        ("rules: [a]\nenforcement: wran\n", 2, "enforcement: unknown enforcement 'wran' — did you mean 'warn'?"),
        ("enforcement: true\n", 1, "enforcement: unknown enforcement 'True' — use one of audit, warn, enforce"),
        ("rules: [a]\nmax-inflight-bytes: 64MiB\n", 2, "max-inflight-bytes: expected a whole number of bytes above 0"),
        ("max-inflight-bytes: 0\n", 1, "max-inflight-bytes: expected a whole number of bytes above 0, found 0"),
        ("max-inflight-bytes: true\n", 1, "max-inflight-bytes: expected a whole number of bytes above 0, found True"),
        ("rules: [a]\nisolation: maybe\n", 2, "isolation: expected on or off, found 'maybe'"),
        ("rules: [a]\nnow: 2026-03-06\n", 2, "now: expected an RFC 3339 time with its zone, or wall, found '2026-03-06'"),
    ],
)
def test_errors_name_the_line(tmp_path: pathlib.Path, text: str, line: int, message: str) -> None:
    p = tmp_path / ".guardrails.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.location is not None and e.value.location.line == line
    assert message in e.value.render()


# One merge for every command: the same `.guardrails.yaml` and flags give the same rules.
MERGE_CASES = [
    # settings file, extra flags, (builtin, profiles)
    ("rules: [policies/]\n", [], (False, None)),
    ("rules: [policies/]\nbuiltin: true\n", [], (True, None)),
    ("rules: [policies/]\nprofiles: [restricted]\n", [], (False, ("restricted",))),
    ("rules: [policies/]\n", ["--builtin"], (True, None)),
    ("rules: [policies/]\n", ["--profile", "baseline"], (True, ("baseline",))),
    ("fail-on: high\n", [], (True, None)),
]


@pytest.mark.parametrize(("text", "flags", "expected"), MERGE_CASES)
def test_scan_serve_and_rules_read_settings_alike(tmp_path: pathlib.Path, text: str, flags: list[str], expected: tuple[bool, object]) -> None:
    from guardrails.cli import build_parser
    from guardrails.commands import scan as scan_cmd
    from guardrails.commands.serve import _settings

    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text(text + "exceptions: [waivers/]\n")
    parser = build_parser()
    scanned = scan_cmd.settings(parser.parse_args(["scan", ".", "--config", str(cfg), *flags])).rules
    served = _settings(parser.parse_args(["serve", "--config", str(cfg), *flags]))
    assert (scanned.builtin, scanned.profiles) == expected
    assert (served.builtin, served.profiles, served.rules) == (scanned.builtin, scanned.profiles, scanned.paths)
    assert str(tmp_path / "waivers") in scanned.paths


def test_serve_config_with_own_rules_does_not_load_the_builtins(tmp_path: pathlib.Path) -> None:
    """The drift bug: `serve --config` with `rules: [policies/]` and no `builtin:` loaded the library."""
    from guardrails.cli import build_parser
    from guardrails.commands.serve import _settings
    from guardrails.webhook.rules import RuleStore

    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "one.yaml").write_text(
        "apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: only-mine}\n"
        "spec: {match: {kinds: [Pod]}, requiredLabels: [team]}\n"
    )
    (tmp_path / ".guardrails.yaml").write_text("rules: [policies/]\n")
    settings = _settings(build_parser().parse_args(["serve", "--config", str(tmp_path / ".guardrails.yaml")]))
    store = RuleStore(settings.rules, builtin=settings.builtin, profiles=settings.profiles)
    store.load()
    assert store.book is not None and [r.name for r in store.book.rules] == ["only-mine"]


def test_test_command_honours_exclude_from_settings(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails.commands.test import discover
    from guardrails.config import Flags, merge

    for folder in ("kept", "vendor-tests"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "t.test.yaml").write_text("apiVersion: guardrails.dev/v1\nkind: RuleTest\n")
    (tmp_path / ".guardrails.yaml").write_text("exclude: ['vendor-tests']\n")
    monkeypatch.chdir(tmp_path)
    exclude = merge(Flags()).exclude
    assert [p.as_posix() for p, _ in discover(["."], exclude)] == ["kept/t.test.yaml"]


# `enforcement:` (serve): setting, flag over setting, and the default.
ENFORCEMENT_CASES = [
    ("", [], "enforce"),
    ("enforcement: warn\n", [], "warn"),
    ("enforcement: Audit\n", [], "audit"),
    ("enforcement: warn\n", ["--enforcement", "enforce"], "enforce"),
    ("", ["--enforcement", "audit"], "audit"),
]


@pytest.mark.parametrize(("text", "flags", "expected"), ENFORCEMENT_CASES)
def test_enforcement_flag_over_setting(tmp_path: pathlib.Path, text: str, flags: list[str], expected: str) -> None:
    from guardrails.cli import build_parser
    from guardrails.commands.serve import _settings

    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text("rules: [policies/]\n" + text)
    served = _settings(build_parser().parse_args(["serve", "--config", str(cfg), *flags]))
    assert served.enforcement.value == expected


# `max-inflight-bytes:` (serve): setting, flag over setting, and the default.
INFLIGHT_CASES = [
    ("", [], 64 * 1024 * 1024),
    ("max-inflight-bytes: 33554432\n", [], 33554432),
    ("max-inflight-bytes: 33554432\n", ["--max-inflight-bytes", "16777216"], 16777216),
    ("", ["--max-inflight-bytes", "9000000"], 9000000),
]


@pytest.mark.parametrize(("text", "flags", "expected"), INFLIGHT_CASES)
def test_max_inflight_bytes_flag_over_setting(tmp_path: pathlib.Path, text: str, flags: list[str], expected: int) -> None:
    from guardrails.cli import build_parser
    from guardrails.commands.serve import _settings

    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text("rules: [policies/]\n" + text)
    served = _settings(build_parser().parse_args(["serve", "--config", str(cfg), *flags]))
    assert served.max_inflight == expected


# `isolation:` (scan and serve): setting, flag over setting; None leaves GUARDRAILS_ISOLATION to decide.
ISOLATION_CASES = [
    ("", [], None),
    ("isolation: off\n", [], "off"),  # YAML 1.1 reads a bare off as false
    ("isolation: 'on'\n", [], "on"),
    ("isolation: true\n", [], "on"),
    ("isolation: off\n", ["--isolation", "on"], "on"),
    ("", ["--isolation", "off"], "off"),
]


@pytest.mark.parametrize(("text", "flags", "expected"), ISOLATION_CASES)
@pytest.mark.parametrize("command", ["scan", "serve"])
def test_isolation_flag_over_setting(
    tmp_path: pathlib.Path, text: str, flags: list[str], expected: str | None, command: str
) -> None:
    from guardrails.cli import build_parser
    from guardrails.commands import scan, serve

    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text("rules: [policies/]\n" + text)
    args = build_parser().parse_args([command, "--config", str(cfg), *flags, *(["."] if command == "scan" else [])])
    chosen = serve._settings(args).isolation if command == "serve" else scan.settings(args).isolation
    assert chosen == expected


# `now:` (scan and serve): setting, flag over setting; the engine's clock it makes.
NOW = datetime.datetime(2026, 3, 6, 12, tzinfo=datetime.UTC)
NOW_CASES = [
    ("", [], None),
    ("now: 2026-03-06T12:00:00Z\n", [], NOW),
    ("now: '2026-03-06T13:00:00+01:00'\n", [], NOW),
    ("now: wall\n", [], "wall"),
    ("now: WALL\n", [], "wall"),
    ("now: wall\n", ["--now", "2026-03-06T12:00:00Z"], NOW),
    ("now: 2026-03-01T00:00:00Z\n", ["--now", "wall"], "wall"),
]


@pytest.mark.parametrize(("text", "flags", "expected"), NOW_CASES)
@pytest.mark.parametrize("command", ["scan", "serve"])
def test_now_flag_over_setting(
    tmp_path: pathlib.Path, text: str, flags: list[str], expected: datetime.datetime | str | None, command: str
) -> None:
    from guardrails.cli import build_parser
    from guardrails.commands import scan, serve
    from guardrails.context import FixedClock, wall_clock

    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text("rules: [policies/]\n" + text)
    args = build_parser().parse_args([command, "--config", str(cfg), *flags, *(["."] if command == "scan" else [])])
    clock = serve._settings(args).now if command == "serve" else scan.settings(args).clock()
    if expected is None:
        assert clock is None
    elif expected == "wall":
        assert clock is wall_clock
    else:
        assert clock == FixedClock(expected) and clock() == expected
