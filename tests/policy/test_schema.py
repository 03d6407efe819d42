"""The shipped schemas are exactly what the code describes: rule.schema.json what the check modules
say, settings.schema.json what `.guardrails.yaml`'s reader accepts."""

from __future__ import annotations

import pathlib

import jsonschema
import pytest
import yaml

from guardrails import config
from guardrails.errors import ConfigError
from guardrails.policy import schema
from guardrails.policy.schema import settings


def test_committed_schema_is_in_sync_with_the_checks() -> None:
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.render(), (
        "rule.schema.json is stale: run python -m guardrails.policy.schema"
    )


def test_committed_settings_schema_is_in_sync() -> None:
    assert settings.SCHEMA_FILE.read_text(encoding="utf-8") == settings.render(), (
        "settings.schema.json is stale: run python -m guardrails.policy.schema"
    )


def test_the_settings_schema_names_every_key_the_reader_accepts() -> None:
    # One list of keys: a setting added to config.py must be described in the schema too.
    assert set(settings.build()["properties"]) == set(config._KEYS), (
        "guardrails/policy/schema/settings.py and config._KEYS differ"
    )


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("", True),
        ("rules: [policies/]\nbuiltin: true\nprofiles: [default, restricted]\nfail-on: medium\nexclude: []\n", True),
        ("rules: policies/\nexceptions: exceptions/\nexclude: 'charts/**'\nprofiles: all\n", True),
        ("fail-on-unknown: true\nfail-on-skip: false\nkustomize: true\nhelm: true\n", True),
        ("helm: {values: [prod.yaml], set: [image.tag=1]}\n", True),
        ("helm: false\nbuiltin: null\n", True),
        ("namespaces: {sandbox: {labels: {tier: sandbox}}}\n", True),
        ("enforcement: warn\ngatekeeper-expansion: standard\n", True),
        ("gatekeeper-expansion: false\nparameters: {approved-registries: {registries: [r.example.com/*]}}\n", True),
        ("max-inflight-bytes: 67108864\n", True),
        ("max-inflight-bytes: 0\n", False),
        ("isolation: off\nfail-on: high\n", True),
        ("isolation: 'on'\n", True),
        ("isolation: sometimes\n", False),
        ("now: '2026-03-06T00:00:00Z'\n", True),
        ("now: '2026-03-06T01:00:00.5+01:00'\n", True),
        ("now: wall\n", True),
        ("now: '2026-03-06'\n", False),
        ("now: '2026-03-06T00:00:00'\n", False),
        ("now: tomorrow\n", False),
        ("now: 3\n", False),
        ("max-inflight-bytes: 64MiB\n", False),
        ("enforcement: block\n", False),
        ("gatekeeper-expansion: all\n", False),
        ("parameters: [approved-registries]\n", False),
        ("parameters: {approved-registries: {}}\n", False),
        ("ruels: [policies/]\n", False),
        ("rules: [1, 2]\n", False),
        ("builtin: yes please\n", False),
        ("profiles: [resticted]\n", False),
        ("fail-on: severe\n", False),
        ("fail-on-skip: 1\n", False),
        ("kustomize: 'true'\n", False),
        ("helm: {values: [a.yaml], extra: 1}\n", False),
        ("helm: 3\n", False),
        ("namespaces: {sandbox: {tier: sandbox}}\n", False),
        ("namespaces: {sandbox: {labels: {tier: 3}}}\n", False),
        ("namespaces: [sandbox]\n", False),
        ("- rules\n", False),
    ],
)
def test_the_settings_schema_and_the_reader_agree(tmp_path: pathlib.Path, text: str, valid: bool) -> None:
    path = tmp_path / ".guardrails.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        config.load_config(path)
        read = True
    except ConfigError:
        read = False
    data = yaml.safe_load(text)
    checked = jsonschema.Draft202012Validator(settings.build()).is_valid(data)
    assert (read, checked) == (valid, valid)
