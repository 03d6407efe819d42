"""`guardrails schema` and the schemas `guardrails init` writes: real files an editor can follow."""

from __future__ import annotations

import json
import pathlib
import re

import jsonschema
import pytest
import yaml

from guardrails.commands import init, schema
from tests.conftest import REPO, CliRunner

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _validator(text: str) -> jsonschema.protocols.Validator:
    data = json.loads(text)
    cls = jsonschema.validators.validator_for(data)
    cls.check_schema(data)
    return cls(data, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("name", list(schema.SCHEMAS))
def test_one_schema_on_standard_output(run_cli: CliRunner, name: str) -> None:
    r = run_cli(["schema", name])
    assert r.code == 0 and r.err == ""
    _validator(r.out)  # a valid JSON Schema of its own draft
    assert r.out == schema.text(name)


def test_output_writes_every_schema(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "deep" / "schemas"
    r = run_cli(["schema", "--output", str(target)])
    assert r.code == 0, r
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.schema.json" for n in schema.SCHEMAS)
    for name in schema.SCHEMAS:
        assert (target / f"{name}.schema.json").read_text(encoding="utf-8") == schema.text(name)
        assert f"wrote {(target / f'{name}.schema.json').as_posix()}" in r.out
    only = run_cli(["schema", "settings", "-o", str(tmp_path / "one")])
    assert only.code == 0 and [p.name for p in (tmp_path / "one").iterdir()] == ["settings.schema.json"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["schema"], "name one schema to print, or write them with --output DIR"),
        (["schema", "rule", "settings"], "name one schema to print"),
        (["schema", "rul"], "unknown schema 'rul' — did you mean 'rule'?"),
        (["schema", "bogus", "-o", "x"], "unknown schema 'bogus'"),
    ],
)
def test_schema_usage_errors(run_cli: CliRunner, argv: list[str], says: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = run_cli(argv)
    assert r.code == 2 and says in r.err and r.out == ""
    assert list(tmp_path.iterdir()) == []


def test_output_into_a_file_is_an_error(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    (tmp_path / "file").write_text("x")
    r = run_cli(["schema", "-o", str(tmp_path / "file")])
    assert r.code == 2 and "cannot create the folder" in r.err and "Traceback" not in r.err


def _native_documents(*roots: pathlib.Path) -> list[tuple[pathlib.Path, dict[str, object]]]:
    docs = []
    for root in roots:
        for path in sorted(root.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if "guardrails.dev/v1" not in text:
                continue  # Helm templates and the like are not YAML until rendered
            for doc in yaml.safe_load_all(text):
                if isinstance(doc, dict) and doc.get("apiVersion") == "guardrails.dev/v1" and doc.get("kind") in ("Rule", "Exception"):
                    docs.append((path, doc))
    return docs


def test_the_rule_schema_accepts_every_shipped_and_example_rule() -> None:
    validator = _validator(schema.text("rule"))
    docs = _native_documents(REPO / "rules", REPO / "examples")
    assert len(docs) > 50  # the built-in library is here: never an empty pass
    for path, doc in docs:
        errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(doc, default=str)))]
        assert errors == [], f"{path}: {errors}"


def _init(run_cli: CliRunner, root: pathlib.Path) -> None:
    r = run_cli(["init", str(root)])
    assert r.code == 0, r
    for name in init.SCHEMAS:
        assert f"wrote {(root / init.SCHEMA_DIR / f'{name}.schema.json').as_posix()}" in r.out


def test_init_writes_the_schemas_its_modelines_point_at(run_cli: CliRunner, tmp_path: pathlib.Path) -> None:
    _init(run_cli, tmp_path)
    pointed = {}
    for rel in (".guardrails.yaml", "policies/require-team-label.yaml"):
        first = (tmp_path / rel).read_text(encoding="utf-8").splitlines()[0]
        m = MODELINE.match(first)
        assert m, f"{rel}: no modeline on the first line: {first!r}"
        # yaml-language-server resolves a relative $schema from the file's own folder.
        target = ((tmp_path / rel).parent / m.group(1)).resolve()
        assert target.is_file(), f"{rel}: the modeline points at {target}, which does not exist"
        pointed[rel] = target
    assert pointed[".guardrails.yaml"].read_text(encoding="utf-8") == schema.text("settings")
    assert pointed["policies/require-team-label.yaml"].read_text(encoding="utf-8") == schema.text("rule")
    # ...and each file is valid against the schema its modeline names.
    for rel, target in pointed.items():
        data = yaml.safe_load((tmp_path / rel).read_text(encoding="utf-8"))
        assert list(_validator(target.read_text(encoding="utf-8")).iter_errors(data)) == []


def test_init_rewrites_its_schemas_and_scans_never_read_them(run_cli: CliRunner, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / init.SCHEMA_DIR / "rule.schema.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    _init(run_cli, tmp_path)  # generated files are refreshed, never an "already exists"
    assert stale.read_text(encoding="utf-8") == schema.text("rule")
    monkeypatch.chdir(tmp_path)
    r = run_cli(["scan", ".", "--format", "json"])
    assert r.code == 0, r
    report = json.loads(r.out)
    assert report["summary"]["files"] == 3  # the settings and the two policy files, not the schemas
