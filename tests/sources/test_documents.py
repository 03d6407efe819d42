"""Documents, their first lines, List unpacking, skipped non-Kubernetes documents, malformed YAML."""

from __future__ import annotations

import codecs

import pytest

from guardrails.errors import SourceError
from guardrails.model import Location
from guardrails.sources import documents as yamldocs

MULTI = """\
# a comment
apiVersion: v1
kind: Pod
metadata: {name: a}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: s}}
- {notk8s: true}
---
image: nginx        # helm values: not a Kubernetes object
---
"""


def test_documents_start_lines_and_resources() -> None:
    docs = list(yamldocs.documents(MULTI, "m.yaml"))
    assert [d.line for d in docs if isinstance(d, yamldocs.Document)] == [2, 6, 12, 14]
    resources, skipped = [], 0
    for d in docs:
        assert isinstance(d, yamldocs.Document)
        found, n = yamldocs.resources_of(d, "m.yaml")
        resources += found
        skipped += n
    assert [(r.kind, r.name, r.origin.doc_index, r.origin.item_index) for r in resources] == [
        ("Pod", "a", 0, None),
        ("Service", "s", 1, 0),
    ]
    assert skipped == 2  # the list item and the helm values; the empty document is nothing


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n", 5, 1),
        ("a: 1\n b: 2\n", 2, 3),
        ("key: \"unterminated\n", 2, 1),
    ],
)
def test_malformed_yaml_is_reported_with_position_after_good_documents(text: str, line: int, column: int) -> None:
    docs = list(yamldocs.documents("apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\n" + text, "bad.yaml"))
    assert isinstance(docs[0], yamldocs.Document)
    err = docs[-1]
    assert isinstance(err, SourceError)
    assert err.location is not None and err.location.path == "bad.yaml"
    assert (err.location.line, err.location.column) == (line + 4, column)
    assert "malformed YAML" in err.message


def test_json_documents() -> None:
    [d] = yamldocs.documents('\n{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}}', "p.json")
    assert isinstance(d, yamldocs.Document) and d.line == 2 and d.data["kind"] == "Pod"


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF8 + b"kind: Pod",
        codecs.BOM_UTF16_LE + "kind: Pod".encode("utf-16-le"),
        b"kind: Pod",
    ],
)
def test_decode_boms(raw: bytes) -> None:
    assert yamldocs.decode(raw, "f") == "kind: Pod"


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF16_LE + "kind: Pod\n".encode("utf-16-le")[:-1],  # cut inside a character
        b"\xff\xfe" + b"ab\n",  # bytes that only start like a UTF-16 BOM
        codecs.BOM_UTF32_LE + b"abc",
    ],
)
def test_a_file_its_bom_does_not_describe_is_an_error_not_a_traceback(raw: bytes) -> None:
    with pytest.raises(SourceError) as e:
        yamldocs.decode(raw, "f.yaml")
    assert "byte-order mark" in e.value.message and e.value.location is not None


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: \"x\x00\"\n", 2), ("\x07kind: Pod\n", 1), ("a: 1\n---\nb: 2\nc: \x1b[31m\n", 4)],
)
def test_a_control_character_is_one_line_at_its_line(text: str, line: int) -> None:
    *_, err = yamldocs.documents(text, "ctl.yaml")
    assert isinstance(err, SourceError) and err.location is not None and err.location.line == line
    assert "\n" not in err.render() and "U+00" in err.message


def test_decode_rejects_non_utf8_with_line() -> None:
    with pytest.raises(SourceError) as e:
        yamldocs.decode(b"a: 1\nb: \xff\n", "latin.yaml")
    assert e.value.location is not None and e.value.location.line == 2


def test_a_binary_terraform_plan_says_how_to_get_its_json() -> None:
    from guardrails.errors import SourceError

    with pytest.raises(SourceError) as e:
        yamldocs.decode(b"PK\x03\x04\x14\x00\x08\x00tfplan", "plan.out")
    assert e.value.render() == (
        "plan.out: a zip archive, not YAML or JSON (a binary Terraform plan?) — "
        "scan its JSON: terraform show -json plan.out > plan.json"
    )


def test_one_reader_parses_yaml_for_the_whole_package() -> None:
    # Every YAML loader loop and every "parser mark -> Location" lives in sources/documents.py
    # (with its builder, kubeyaml.py):
    # a second copy is how the five drifted ones came about.
    import pathlib
    import re

    import guardrails

    root = pathlib.Path(guardrails.__file__).parent
    pattern = re.compile(r"CSafeLoader|SafeLoader|yaml\.(safe_)?load|compose_all|start_mark|problem_mark")
    copies = [
        f"{p.relative_to(root)}:{n}"
        for p in sorted(root.rglob("*.py"))
        if p.relative_to(root).as_posix() not in ("sources/documents.py", "sources/kubeyaml.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert copies == []


def test_single_document_settings() -> None:
    assert yamldocs.single_document("", "s.yaml") is None
    doc = yamldocs.single_document("a: 1\nb:\n  c: 2\n", "s.yaml")
    assert doc is not None and doc.data == {"a": 1, "b": {"c": 2}}
    assert doc.locate(("b", "c"), "s.yaml") == Location("s.yaml", 3, 3)
    with pytest.raises(SourceError, match="single YAML document") as e:
        yamldocs.single_document("a: 1\n---\nb: 2\n", "s.yaml")
    assert e.value.location is not None and e.value.location.line == 3


def test_unreadable_file_is_one_error(tmp_path: object) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    [err] = yamldocs.read_documents(tmp_path / "missing.yaml", "missing.yaml")
    assert isinstance(err, SourceError) and err.message.startswith("cannot read")


def test_node_trees_of_json_text_locate_fields() -> None:
    [tree] = yamldocs.node_trees('{"spec":\n  {"hostPID": true}}')
    assert yamldocs.node_location(tree, ("spec", "hostPID"), "p.json") == Location("p.json", 2, 4)
