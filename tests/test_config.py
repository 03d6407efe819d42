"""`.guardrails.yaml`: discovery upwards, validation with positions, paths relative to the file."""

from __future__ import annotations

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
    ],
)
def test_errors_name_the_line(tmp_path: pathlib.Path, text: str, line: int, message: str) -> None:
    p = tmp_path / ".guardrails.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.location is not None and e.value.location.line == line
    assert message in e.value.render()
