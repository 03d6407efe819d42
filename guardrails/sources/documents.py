"""THE document reader: bytes -> text -> YAML/JSON documents with their node trees -> positions.

Every YAML file the project reads (manifests, rule files, settings, rule tests) goes through
this module: one decoder, one document loop, one way from a parser mark or a field path to a
`Location`. libyaml's C parser does the parsing; each document keeps its first line and its
node tree (from the parser's own marks, no second pass) so a field is located without reading
the text again. Documents that are not Kubernetes objects are counted, never fatal; malformed
YAML becomes a SourceError with its position and the documents before it are kept.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from guardrails.errors import SourceError, UnreadableError
from guardrails.kube.objects import unset_nulls
from guardrails.model import FieldPath, Location, Origin, Resource
from guardrails.sources import kubeyaml
from guardrails.sources.text import decode

__all__ = [
    "Document",
    "decode",
    "documents",
    "is_kubernetes_object",
    "mark_location",
    "node_location",
    "node_trees",
    "read_documents",
    "read_text",
    "resources_of",
    "single_document",
    "yaml_error",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    index: int
    line: int  # first line, 1-based
    data: Any
    # The parser's node tree, kept so findings are located without parsing the text again.
    node: yaml.Node | None = dataclasses.field(default=None, compare=False, repr=False)

    def locate(self, path: FieldPath, display: str) -> Location:
        """Where `path` is in this document (its nearest existing parent when it is missing)."""
        if self.node is None:
            return Location(display, self.line, 1)
        return node_location(self.node, path, display)


def mark_location(mark: Any, display: str) -> Location:
    """A parser mark (0-based) -> a Location (1-based); no mark -> the file alone."""
    if mark is None:
        return Location(display)
    return Location(display, mark.line + 1, mark.column + 1)


def node_location(root: yaml.Node, path: FieldPath, display: str) -> Location:
    """Position of the deepest node along `path` (the key of a mapping entry, the item of a list)."""
    node: Any = root
    mark = root.start_mark
    for step in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == step:
                    mark, node = k.start_mark, v
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
    return mark_location(mark, display)


def yaml_error(e: yaml.YAMLError, display: str, text: str = "") -> SourceError:
    """A parser or constructor error -> one SourceError at its position, in one line."""
    if isinstance(e, yaml.reader.ReaderError):
        # The reader refuses a character before any token exists: its position is an index
        # into the text, not a mark.
        line = text.count("\n", 0, e.position) + 1 if text else 0
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        return SourceError(
            f"malformed YAML: character {char} (offset {e.position}) is not allowed in YAML",
            location=Location(display, line),
            hint="remove the control character; the rest of the scan went on",
        )
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    msg = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    # PyYAML's reader puts the offending character and its position on lines of their own: a
    # message is one line in every report (a newline would split a GitHub annotation).
    msg = " ".join(msg.split())
    return SourceError(msg, location=mark_location(mark, display), hint="fix the syntax; the rest of the scan went on")


MAX_BYTES = 64 * 1024 * 1024  # one manifest file; the API server takes 3 MiB per request


def documents(
    text: str, display: str, *, keep_nodes: bool = True, drop_nulls: bool = False
) -> Iterator[Document | SourceError]:
    """Every document in the text, as Kubernetes reads it (see kubeyaml); a document that cannot
    be read is a SourceError at its position and the documents after it are still read, a text
    that breaks off malformed ends with one.

    `keep_nodes=False` drops the node trees (callers that never locate a field); `drop_nulls`
    reads map entries set to null as unset, as the API server stores an object.
    """
    if len(text) > MAX_BYTES:
        yield SourceError(
            f"{len(text) // (1024 * 1024)} MiB is more than the {MAX_BYTES // (1024 * 1024)} MiB read from one file",
            location=Location(display, 1),
            hint="split the file; the rest of the scan went on",
        )
        return
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        # JSON is valid YAML, but the JSON parser is several times faster on big files
        # (Terraform plans); YAML below still gives positions if it is not valid JSON.
        line = 1 + text[: len(text) - len(stripped)].count("\n")
        try:
            data = json.loads(text, parse_int=kubeyaml.json_int, parse_constant=kubeyaml.json_constant)
            if (
                is_kubernetes_object(data)
                and text.count("[") + text.count("{") > kubeyaml.MAX_DEPTH
                and kubeyaml.depth_exceeds(data)
            ):
                raise RecursionError
            # Only Kubernetes objects: a Terraform plan's nulls are its own business.
            yield Document(0, line, unset_nulls(data) if drop_nulls and is_kubernetes_object(data) else data)
            return
        except ValueError:
            pass
        except kubeyaml.JsonValueError as e:
            yield SourceError(str(e), location=Location(display, line), hint="the rest of the scan went on")
            return
        except RecursionError:
            yield SourceError(
                f"JSON nested deeper than {kubeyaml.MAX_DEPTH} levels", location=Location(display, line), hint="the rest of the scan went on"
            )
            return
    loader = kubeyaml.Loader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node() said there is one
            try:
                data = kubeyaml.build(node, drop_nulls=drop_nulls)
            except kubeyaml.BuildError as e:
                yield SourceError(e.message, location=mark_location(e.node.start_mark, display), hint="the rest of the scan went on")
            else:
                yield Document(index, node.start_mark.line + 1, data, node if keep_nodes else None)
            index += 1
    except yaml.YAMLError as e:
        yield yaml_error(e, display, text)
    finally:
        loader.dispose()


def node_trees(text: str) -> list[yaml.Node]:
    """The node tree of every document, composed as YAML even when the text is JSON (JSON read by
    the JSON parser has none); a malformed tail ends the list. For locating findings only."""
    loader = kubeyaml.Loader(text)
    out: list[yaml.Node] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                out.append(node)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return out


def read_text(path: pathlib.Path, display: str) -> str:
    """A file's text, or a SourceError naming it (unreadable, not text)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UnreadableError(f"cannot read: {e.strerror or e}", location=Location(display)) from None
    return decode(raw, display)


def read_documents(path: pathlib.Path, display: str, *, keep_nodes: bool = True) -> Iterator[Document | SourceError]:
    """`documents` of a file; an unreadable file is one SourceError."""
    try:
        text = read_text(path, display)
    except SourceError as e:
        yield e
        return
    yield from documents(text, display, keep_nodes=keep_nodes)


def single_document(text: str, display: str) -> Document | None:
    """The one document of a settings-like file (None when empty); more than one is an error."""
    docs = [d for d in documents(text, display)]
    for d in docs:
        if isinstance(d, SourceError):
            raise d
    found = [d for d in docs if isinstance(d, Document)]
    if len(found) > 1:
        raise SourceError(
            "expected a single YAML document, found several",
            location=Location(display, found[1].line, 1),
            hint="remove the extra `---` documents",
        )
    return found[0] if found else None


def is_kubernetes_object(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and bool(data.get("kind"))
    )


def resources_of(doc: Document, display: str) -> tuple[list[Resource], int]:
    """The resources a document holds and the count of skipped non-Kubernetes documents.

    `kind: List` and every `*List` kind with an `items` list are unpacked; their items carry
    their position so findings point into the right item.
    """
    data = doc.data
    if data is None:
        return [], 0  # an empty document (a trailing `---`) is nothing, not a skip
    if not is_kubernetes_object(data):
        return [], 1
    kind = data["kind"]
    items = data.get("items")
    if kind.endswith("List") and isinstance(items, list):
        out: list[Resource] = []
        skipped = 0
        for i, item in enumerate(items):
            if is_kubernetes_object(item):
                out.append(Resource(obj=item, origin=Origin(display, doc.index, doc.line, item_index=i)))
            else:
                skipped += 1
        return out, skipped
    return [Resource(obj=data, origin=Origin(display, doc.index, doc.line))], 0
