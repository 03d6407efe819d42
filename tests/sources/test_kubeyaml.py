"""YAML as Kubernetes reads it: every case's expected object comes from kubectl's own decoding.

`kubectl annotate --local -o json` reads a manifest exactly as `kubectl apply` does
(sigs.k8s.io/yaml: go-yaml v2, then JSON) without a cluster; a custom kind keeps the values
untyped, so what kubectl prints is what it decoded. The cases where kubectl refuses the file
must be errors here too, at the offending line, with the rest of the file still read.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
from typing import Any

import pytest
import yaml

from guardrails.errors import SourceError
from guardrails.sources import documents as yamldocs
from guardrails.sources import kubeyaml
from tests import tools

# (case, the value of `spec.v`, written as in a manifest)
CASES = [
    ("bare equals sign", "="),
    ("yaml 1.1 booleans", "[y, Y, yes, Yes, YES, n, NO, on, Off, true, False, TRUE]"),
    ("not booleans", "[o, nope, 'yes', ye, tru]"),
    ("nulls", "[~, null, Null, NULL, '', !!null '']"),
    ("empty value", "{a: , b: ~}"),
    ("octal and hex", "[017, 0o17, 0O17, 0x1F, 0X1f, -0x1F, +0o7, 08, 09.5]"),
    ("binary", "[0b101, -0b11, 0B1]"),
    ("underscores", "[1_000, 0x_1F, 1_000.5, 1__0]"),
    ("floats", "[1.0, 1.5, 1e3, 1.5e3, .5, +.5, -.5, 1., 6.02e23, 1e21, 1e-7, -0.0]"),
    ("not floats", "[1e400, .e5, 1.2.3, 12:30:00, 1:20, 0x, 1e, .]"),
    ("big integers", "[9223372036854775807, 9223372036854775808, 18446744073709551615, -9223372036854775809, 99999999999999999999]"),
    ("timestamps stay text", "[2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, 2001-13-45, 2001-12-14T21:59:43Z]"),
    ("explicit tags", "[!!str 1, !!int '12', !!float 1, !!float '1.5', !!bool 'yes', !!timestamp 2001-12-14, !!binary aGVsbG8=]"),
    ("unknown tags ignored", "[!foo bar, !!python/none x, !custom {a: 1}]"),
    ("merge key first", "{<<: {privileged: true, runAsUser: 0}, privileged: false}"),
    ("merge key last wins over earlier keys", "{privileged: false, <<: {privileged: true}}"),
    ("merge list: earlier maps win", "{<<: [{a: 1}, {a: 2, b: 2}], c: 3}"),
    ("merge replaces a nested map whole", "{<<: {x: {y: 1}}, x: {z: 2}}"),
    ("quoted << is a key", "{'<<': {a: 1}}"),
    ("duplicate keys: the last wins", "{k: 1, k: 2, m: {a: 1}, m: {b: 2}}"),
    ("keys as JSON writes them", "{1: a, 1.5: b, 1e7: c, true: d, no: e, 0x10: f, 2001-12-14: g}"),
    ("strings", "[\"a\\tb\", 'it''s', plain text, \"\\u00e9\"]"),
    ("block scalars", "\n    a: |\n      line1\n      line2\n    b: >-\n      folded\n      text\n    c: |+\n      kept\n\n    d: plain"),
]

ALIASES = """\
  anchors:
    base: &b {privileged: true, runAsUser: 0}
    over1:
      privileged: false
      <<: *b
    over2:
      <<: *b
      privileged: false
    list: &l [1, 2]
    again: *l
"""

# (case, manifest text after `spec:`, what our error says, line of the error within the file)
ERRORS = [
    ("!!float of a word", "  v: !!float \"x\"\n", "cannot decode !!str `x` as a !!float", 6),
    ("!!int of a float", "  v: !!int 1.5\n", "cannot decode !!float `1.5` as a !!int", 6),
    ("!!timestamp of a bad date", "  v: !!timestamp 2001-02-30\n", "as a !!timestamp", 6),
    ("!!binary that is not base64", "  v: !!binary '%%%'\n", "invalid base64", 6),
    ("infinity", "  v: .inf\n", "not a number JSON can carry", 6),
    ("not a number", "  v: .nan\n", "not a number JSON can carry", 6),
    ("null key", "  v: {~: a}\n", "map key", 6),
    # The alias is the anchor's own node in the tree: the error is at the anchor.
    ("self-referencing alias", "  v: &a\n    x: *a\n", "self-referencing alias", 6),
    ("merge of a scalar", "  v: {<<: 1}\n", "map merge requires map", 6),
]


def _manifest(name: str, body: str) -> str:
    return f"apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: {name}\nspec:\n{body}"


def _kubectl(path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    kubectl = tools.require("kubectl")
    return subprocess.run(
        [kubectl, "annotate", "--local", "-f", str(path), "guardrails.dev/probe=1", "-o", "json"],
        capture_output=True, text=True, timeout=120,
    )


def _objects(out: str) -> list[Any]:
    decoder, objs, i = json.JSONDecoder(parse_int=kubeyaml.json_int), [], 0
    while i < len(out):
        if out[i].isspace():
            i += 1
            continue
        obj, i = decoder.raw_decode(out, i)
        objs.append(obj)
    return objs


@pytest.fixture(scope="module")
def decoded_by_kubectl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    text = "---\n".join(_manifest(f"case-{i}", f"  v: {value}\n") for i, (_, value) in enumerate(CASES))
    text += "---\n" + _manifest("aliases", ALIASES)
    path = tmp_path_factory.mktemp("kubectl") / "cases.yaml"
    path.write_text(text)
    p = _kubectl(path)
    assert p.returncode == 0, p.stderr
    return {o["metadata"]["name"]: o["spec"] for o in _objects(p.stdout)}


def _ours(text: str) -> Any:
    [doc] = yamldocs.documents(text, "t.yaml")
    assert isinstance(doc, yamldocs.Document), doc
    return doc.data["spec"]


@pytest.mark.parametrize(("i", "case"), [(i, c[0]) for i, c in enumerate(CASES)], ids=[c[0] for c in CASES])
def test_a_value_reads_as_kubectl_decodes_it(decoded_by_kubectl: dict[str, Any], i: int, case: str) -> None:
    ours = _ours(_manifest(f"case-{i}", f"  v: {CASES[i][1]}\n"))
    # kubectl's JSON read as an unstructured object reads it (integers beyond int64 are floats).
    assert ours == decoded_by_kubectl[f"case-{i}"]
    assert json.dumps(ours, sort_keys=True) == json.dumps(decoded_by_kubectl[f"case-{i}"], sort_keys=True)


def test_aliases_and_merges_read_as_kubectl_decodes_them(decoded_by_kubectl: dict[str, Any]) -> None:
    assert _ours(_manifest("aliases", ALIASES)) == decoded_by_kubectl["aliases"]


def test_the_privileged_merge_differential_is_closed() -> None:
    # The guardrail differential of the issue: PyYAML reads false, kubectl sends true.
    text = _manifest("p", "  securityContext:\n    privileged: false\n    <<: {privileged: true}\n")
    assert _ours(text)["securityContext"]["privileged"] is True


@pytest.mark.parametrize(("case", "body", "message", "line"), ERRORS, ids=[e[0] for e in ERRORS])
def test_what_kubectl_refuses_is_an_error_at_its_line(tmp_path: pathlib.Path, case: str, body: str, message: str, line: int) -> None:
    path = tmp_path / "bad.yaml"
    text = _manifest("bad", body)
    path.write_text(text)
    assert _kubectl(path).returncode != 0, f"kubectl accepted {case}"
    after = _manifest("after", "  ok: true\n")
    docs = list(yamldocs.documents(text + "---\n" + after, "bad.yaml"))
    err = docs[0]
    assert isinstance(err, SourceError) and message in err.message, err
    assert err.location is not None and err.location.line == line
    # The next document is still read, and keeps its own index for locating its findings.
    assert isinstance(docs[1], yamldocs.Document) and docs[1].data["spec"] == {"ok": True} and docs[1].index == 1


def test_an_alias_bomb_is_an_error_not_a_hang() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    [err] = yamldocs.documents("\n".join(lines) + "\n", "bomb.yaml")
    assert isinstance(err, SourceError) and "alias bomb" in err.message
    assert err.location is not None and err.location.line >= 2


def test_nesting_deeper_than_the_limit_is_an_error() -> None:
    depth = kubeyaml.MAX_DEPTH + 5
    [err] = yamldocs.documents("v: " + "[" * depth + "]" * depth + "\n", "deep.yaml")
    assert isinstance(err, SourceError) and "nested deeper" in err.message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"apiVersion": "v1", "kind": "Pod", "spec": ' + "[" * 300 + "]" * 300 + "}",
    ],
)
def test_deep_json_is_an_error(text: str) -> None:
    [err] = yamldocs.documents(text, "deep.json")
    assert isinstance(err, SourceError) and "nested deeper" in err.message
    assert err.location is not None and err.location.line == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"n": 9223372036854775807}', 9223372036854775807),
        ('{"n": 9223372036854775808}', 9223372036854775808.0),
        ('{"n": 1.0}', 1.0),
    ],
)
def test_json_numbers_as_an_unstructured_object_holds_them(text: str, expected: Any) -> None:
    [doc] = yamldocs.documents(text, "n.json")
    assert isinstance(doc, yamldocs.Document)
    assert doc.data["n"] == expected and type(doc.data["n"]) is type(expected)


@pytest.mark.parametrize("text", ['{"n": NaN}', '{"n": Infinity}', '{"n": ' + "9" * 5000 + "}"])
def test_json_kubectl_refuses_is_an_error(text: str) -> None:
    [err] = yamldocs.documents(text, "n.json")
    assert isinstance(err, SourceError)


def test_a_huge_integer_in_yaml_stays_text_as_in_go() -> None:
    # Go's ParseFloat fails on overflow, so go-yaml keeps the text; no 4300-digit int limit here.
    assert _ours(_manifest("h", f"  v: {'9' * 5000}\n"))["v"] == "9" * 5000


def test_a_file_beyond_the_size_limit_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamldocs, "MAX_BYTES", 100)
    [err] = yamldocs.documents("a: b\n" * 100, "big.yaml")
    assert isinstance(err, SourceError) and "MiB" in err.message


@pytest.mark.parametrize(
    "text",
    [
        "spec:\n  securityContext: null\n  x: 1\n",
        "spec:\n  securityContext: ~\n  x: 1\n",
        "spec:\n  securityContext:\n  x: 1\n",
        "spec:\n  securityContext: {privileged: true}\n  securityContext: null\n  x: 1\n",
    ],
)
def test_an_explicit_null_is_unset_when_read_as_the_api_server_stores_it(text: str) -> None:
    [doc] = yamldocs.documents(text, "n.yaml", drop_nulls=True)
    assert isinstance(doc, yamldocs.Document) and doc.data == {"spec": {"x": 1}}
    [doc] = yamldocs.documents('{"spec": {"securityContext": null, "x": 1}, "apiVersion": "v1", "kind": "Pod"}', "n.json", drop_nulls=True)
    assert isinstance(doc, yamldocs.Document) and doc.data["spec"] == {"x": 1}


def _corpus() -> list[pathlib.Path]:
    root = pathlib.Path(__file__).resolve().parents[2]
    files = sorted((root / "examples").rglob("*.yaml")) + sorted((root / "rules").rglob("*.yaml"))
    return [f for f in files if "templates" not in f.parts]


def test_the_builder_gives_pyyaml_s_objects_wherever_yaml_1_1_and_kubectl_agree() -> None:
    # The fast builder against the old path (PyYAML's resolver and constructor) on every file of
    # examples/ and the rule library: the same objects wherever the two readings agree, which is
    # everywhere except the YAML-1.1 corners above.
    import random

    from bench import corpus

    checked = 0
    rng = random.Random(0)
    bench_file = yaml.safe_dump_all([corpus.workload(rng, i) for i in range(200)], sort_keys=False)
    texts = [f.read_text() for f in _corpus()] + [bench_file]
    for text in texts:
        try:
            old = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader)]
        except yaml.YAMLError:
            continue
        new = [d.data for d in yamldocs.documents(text, "f", keep_nodes=False) if isinstance(d, yamldocs.Document)]
        if text.lstrip()[:1] in "{[":
            continue
        assert json.dumps(new, sort_keys=True, default=str) == json.dumps(old, sort_keys=True, default=str)
        checked += 1
    assert checked > 40
