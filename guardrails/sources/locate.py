"""Field path -> line and column, for findings only.

Re-composes (in libyaml's C parser) only the documents that have findings, and walks their
node tree along the path; a missing field is located at its nearest existing parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import yaml

from guardrails.model import Finding, Location
from guardrails.sources.documents import node_location, node_trees

__all__ = ["locate_findings"]


def locate_findings(
    findings: Iterable[Finding],
    texts: dict[str, str],
    nodes: Mapping[str, Mapping[int, yaml.Node] | Sequence[yaml.Node]] | None = None,
) -> list[Finding]:
    """Findings with `location` filled in, for those whose origin file text is in `texts`.

    `nodes` are the node trees kept from the first parse, by file and document index; a file
    without them (JSON read by the JSON parser) is composed once more, only because it has
    findings.
    """
    cache: dict[str, Mapping[int, yaml.Node] | Sequence[yaml.Node]] = dict(nodes or {})
    out = []
    for f in findings:
        o = f.origin
        text = texts.get(o.path)
        if text is None or o.address is not None:
            out.append(f)
            continue
        if o.path not in cache:
            cache[o.path] = node_trees(text)
        trees = cache[o.path]
        tree = trees.get(o.doc_index) if isinstance(trees, Mapping) else (trees[o.doc_index] if o.doc_index < len(trees) else None)
        if tree is None:
            out.append(f.with_location(Location(o.path, o.line, 1)))
            continue
        path = f.path if o.item_index is None else ("items", o.item_index, *f.path)
        out.append(f.with_location(node_location(tree, path, o.path)))
    return out
