"""Every rule document counts: over mutated rule files, the loader never raises, and the rules
loaded plus the documents reported as errors, skips or neighbours add up to the documents in
the file (issue 14: nothing silently lost).

A rule document is a leaf of the file: each YAML document, each element of a top-level YAML
list, each item of a `kind: List` (any `*List` kind with an `items` list), recursively; empty
documents (`---` twice, a null list element) are nothing. The loader's ledger
(`RuleSet.documents`: loaded, error, skip, neighbour) must account for each exactly once, and
it is checked against the count the test built, never against itself.
"""

from __future__ import annotations

import json
import pathlib
import tempfile
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from guardrails.errors import GuardrailsError
from guardrails.policy.load import RuleSet, lint_rules
from tests.property import strategies as gen

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
OUTCOMES = {"loaded", "error", "skip", "neighbour"}


def dump(docs: list[tuple[Any, list[int]]]) -> str:
    """YAML documents; one nested past what PyYAML's emitter recurses into is written as JSON
    (JSON is YAML: the reader parses it as a YAML document of the file)."""
    out = []
    for doc, _ in docs:
        try:
            out.append(yaml.dump(doc, Dumper=DUMPER, sort_keys=False, width=10**6))
        except RecursionError:
            out.append(json.dumps(doc) + "\n")
    return "---\n".join(out)


def lint(text: str | bytes) -> tuple[RuleSet, list[GuardrailsError], str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "rules.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        rs, problems = lint_rules([path])  # raising anything is the failure this test looks for
        return rs, problems, path.name


def assert_accounted(rs: RuleSet, problems: list[GuardrailsError], name: str) -> None:
    """What holds for any rule file: every outcome is one of four, every error is a located
    problem in this file, neighbours are listed, and zero rules is never a quiet success."""
    assert set(rs.documents) <= OUTCOMES
    for p in problems:
        assert isinstance(p, GuardrailsError)
        assert p.location is not None and p.location.path.endswith(name), p.render()
        assert "\n" not in p.render()
    if rs.documents.get("error", 0):
        assert problems
    assert rs.documents.get("neighbour", 0) == sum(1 for d in rs.skipped if not d.unsupported)
    if not rs.rules:
        assert problems, "zero rules and no error"


@gen.PROFILE
@given(gen.rule_file())
def test_every_rule_document_is_loaded_or_an_error_or_a_skip(case: tuple[list[Any], list[bool], str]) -> None:
    leaves, good, wrap = case
    docs = gen.wrapped(leaves, wrap)
    rs, problems, name = lint(dump(docs))
    assert_accounted(rs, problems, name)
    expected = sum((len(held) if gen.constructible(doc) else 1) for doc, held in docs)
    assert sum(rs.documents.values()) == expected, (dict(rs.documents), [p.render()[:200] for p in problems])
    # An untouched rule document beside broken ones still loads (names are unique per leaf).
    must_load = [i for doc, held in docs if gen.constructible(doc) for i in held if good[i]]
    assert rs.documents.get("loaded", 0) >= len(must_load)
    loaded_names = {r.policy or r.name for r in rs.rules}
    for i in must_load:
        assert leaves[i]["metadata"]["name"] in loaded_names, [p.render()[:200] for p in problems]


@gen.PROFILE
@given(gen.rule_file(), st.data())
def test_a_corrupted_rule_file_is_located_problems_never_a_traceback(
    case: tuple[list[Any], list[bool], str], data: st.DataObject
) -> None:
    """Text-level damage (cuts, spliced YAML syntax, random bytes): the number of documents is
    no longer known, but each one the parser reaches is accounted for and nothing raises."""
    leaves, _, wrap = case
    raw = dump(gen.wrapped(leaves, wrap)).encode()
    how = data.draw(st.sampled_from(["cut", "splice", "bytes", "prefix"]))
    at = data.draw(st.integers(0, len(raw)))
    if how == "cut":
        raw = raw[:at]
    elif how == "splice":
        raw = raw[:at] + data.draw(st.sampled_from([b":", b"- ", b"{", b"\t", b"'", b"&a", b"*a", b"!!float x", b"%"])) + raw[at:]
    elif how == "bytes":
        raw = raw[:at] + data.draw(st.binary(min_size=1, max_size=64)) + raw[at:]
    else:
        raw = data.draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04", b"[" * 5000, b"{"])) + raw
    rs, problems, name = lint(raw)
    assert_accounted(rs, problems, name)


@gen.PROFILE
@given(st.lists(st.sampled_from(gen.BASES), min_size=1, max_size=3), st.sampled_from(["deep", "huge"]))
def test_json_rule_files_past_the_parser_are_one_error(bases: list[Any], how: str) -> None:
    """JSON (YAML's subset the reader parses apart) nested past the depth limit, or with an
    integer past what Kubernetes constructs, is an error at the file, never a RecursionError."""
    items = [b(f"doc-{i}") for i, b in enumerate(bases)]
    items[0]["spec"] = "@@"
    deep = '{"a": ' * 5000 + "1" + "}" * 5000 if how == "deep" else f'{{"n": {gen.HUGE_INT}}}'
    rs, problems, name = lint(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).replace('"@@"', deep))
    assert_accounted(rs, problems, name)
    assert problems
