"""YAML and JSON documents -> Kubernetes resources, with where each document starts.

libyaml's C loader does the parsing; we keep each document's first line (from the parser's own
marks, no second pass) so findings can later be located by re-reading only their document.
Documents that are not Kubernetes objects are counted, never fatal; malformed YAML becomes a
SourceError with its position and the documents before it are kept.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from guardrails.errors import SourceError
from guardrails.model import Location, Origin, Resource
from guardrails.sources.text import decode

__all__ = ["Document", "decode", "documents", "is_kubernetes_object", "resources_of"]


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    index: int
    line: int  # first line, 1-based
    data: Any
    # The parser's node tree, kept so findings are located without parsing the text again.
    node: yaml.Node | None = dataclasses.field(default=None, compare=False, repr=False)


def _yaml_error(e: yaml.YAMLError, display: str) -> SourceError:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    msg = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    loc = Location(display, mark.line + 1, mark.column + 1) if mark is not None else Location(display)
    return SourceError(msg, location=loc, hint="fix the syntax; the rest of the scan went on")


def documents(text: str, display: str) -> Iterator[Document | SourceError]:
    """Every document in the text, then a SourceError if the text breaks off malformed."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        # JSON is valid YAML, but the JSON parser is several times faster on big files
        # (Terraform plans); YAML below still gives positions if it is not valid JSON.
        try:
            yield Document(0, 1 + text[: len(text) - len(stripped)].count("\n"), json.loads(text))
            return
        except ValueError:
            pass
    loader = yaml.CSafeLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node() said there is one
            data = loader.construct_document(node)
            yield Document(index, node.start_mark.line + 1, data, node)
            index += 1
    except yaml.YAMLError as e:
        yield _yaml_error(e, display)
    finally:
        loader.dispose()


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
