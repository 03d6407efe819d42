"""Field path -> line and column, for findings only.

Re-composes (in libyaml's C parser) only the documents that have findings, and walks their
node tree along the path; a missing field is located at its nearest existing parent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from guardrails.model import FieldPath, Finding, Location

__all__ = ["locate_findings", "node_location"]


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
    return Location(display, mark.line + 1, mark.column + 1)


def _nodes(text: str) -> list[yaml.Node]:
    loader = yaml.CSafeLoader(text)
    out = []
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


def locate_findings(
    findings: Iterable[Finding],
    texts: dict[str, str],
    nodes: dict[str, list[yaml.Node]] | None = None,
) -> list[Finding]:
    """Findings with `location` filled in, for those whose origin file text is in `texts`.

    `nodes` are the node trees kept from the first parse, by file; a file without them (JSON
    read by the JSON parser) is composed once more, only because it has findings.
    """
    cache: dict[str, list[yaml.Node]] = dict(nodes or {})
    out = []
    for f in findings:
        o = f.origin
        text = texts.get(o.path)
        if text is None or o.address is not None:
            out.append(f)
            continue
        if o.path not in cache:
            cache[o.path] = _nodes(text)
        trees = cache[o.path]
        if o.doc_index >= len(trees):
            out.append(f.with_location(Location(o.path, o.line, 1)))
            continue
        path = f.path if o.item_index is None else ("items", o.item_index, *f.path)
        out.append(f.with_location(node_location(trees[o.doc_index], path, o.path)))
    return out
