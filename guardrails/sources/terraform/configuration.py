"""The plan's `configuration`: what the .tf files wrote, as Terraform records it in the plan.

Three questions are answered from it:

- which module call path leads to a resource, and that module's `source` (for messages and
  for finding the .tf files of local modules);
- whether an attribute was written at all: a value known only after apply that the
  configuration leaves out is computed by the provider (its documented default applies),
  while one written as an expression (a reference to another resource, a variable) really
  depends on something not known yet;
- which variables are declared sensitive (their values are never printed).

Expressions are `{"constant_value": ...}` or `{"references": [...]}`; nested blocks are lists
of such maps, one per block written; `dynamic` blocks are recorded under `dynamic`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from guardrails.model import FieldPath

__all__ = ["ConfigResource", "Configuration", "read_configuration", "written"]

_EXPRESSION_KEYS = frozenset({"constant_value", "references"})


@dataclasses.dataclass(frozen=True, slots=True)
class ConfigResource:
    """One `resource` (or `data`) block: its expressions and the module it is written in."""

    expressions: Mapping[str, Any]
    module_source: str  # "" for the root module; a local source joined to its parents'
    call_path: str  # "net.subnets"; "" for the root module


@dataclasses.dataclass(frozen=True, slots=True)
class Configuration:
    # call path -> module source as written (`./modules/x`, or registry source with its version)
    sources: Mapping[str, str]
    # (call path, mode, type, name) -> the resource block
    resources: Mapping[tuple[str, str, str, str], ConfigResource]
    present: bool = False  # False: no configuration in the plan, nothing can be told apart

    def resource(self, call_path: str, mode: str, rtype: str, name: str) -> ConfigResource | None:
        return self.resources.get((call_path, mode, rtype, name))


def read_configuration(configuration: Any) -> Configuration:
    """Index the configuration; a missing or malformed one gives an empty index (present=False)."""
    root = configuration.get("root_module") if isinstance(configuration, Mapping) else None
    if not isinstance(root, Mapping):
        return Configuration({}, {})
    sources: dict[str, str] = {}
    resources: dict[tuple[str, str, str, str], ConfigResource] = {}
    for path, source, module in _modules(root):
        if path:
            sources[path] = source
        for r in module.get("resources") or ():
            if not isinstance(r, Mapping):
                continue
            mode, rtype, name = r.get("mode", "managed"), r.get("type"), r.get("name")
            if not (isinstance(mode, str) and isinstance(rtype, str) and isinstance(name, str)):
                continue
            exprs = r.get("expressions")
            resources[(path, mode, rtype, name)] = ConfigResource(
                exprs if isinstance(exprs, Mapping) else {}, _bare(source), path
            )
    return Configuration(sources, resources, present=True)


def _modules(root: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(call path, shown source, module) for the root module and every module call below it."""
    stack: list[tuple[str, str, Mapping[str, Any]]] = [("", "", root)]
    while stack:
        path, source, module = stack.pop()
        yield path, source, module
        calls = module.get("module_calls")
        if not isinstance(calls, Mapping):
            continue
        parent = _bare(source)
        for name, call in calls.items():
            if not isinstance(call, Mapping):
                continue
            child = str(call.get("source") or "")
            if child.startswith(("./", "../")) and parent.startswith(("./", "../")):
                child = _join(parent, child)
            version = call.get("version_constraint")
            shown = f"{child} ({version})" if isinstance(version, str) and version else child
            sub = call.get("module")
            stack.append((f"{path}.{name}" if path else str(name), shown, sub if isinstance(sub, Mapping) else {}))


def _bare(shown: str) -> str:
    """The source without the ` (version)` we add for display."""
    return shown.split(" (", 1)[0]


def _join(parent: str, child: str) -> str:
    parts: list[str] = []
    for step in f"{parent}/{child}".split("/"):
        if step in ("", "."):
            continue
        if step == ".." and parts and parts[-1] != "..":
            parts.pop()
        else:
            parts.append(step)
    joined = "/".join(parts)
    return joined if joined.startswith("..") else f"./{joined}"


def _is_expression(node: Any) -> bool:
    return isinstance(node, Mapping) and bool(node) and _EXPRESSION_KEYS.issuperset(node)


def written(expressions: Mapping[str, Any], steps: FieldPath) -> bool:
    """True when the attribute at `steps` (value coordinates: `root_block_device`, 0,
    `encrypted`) is written in the configuration, itself or through an expression that covers
    it (`tags = var.tags` writes every tag). A `dynamic` block counts as writing its blocks."""
    node: Any = expressions
    for step in steps:
        if _is_expression(node):
            return True
        if isinstance(step, int):
            if not isinstance(node, list) or not node:
                return False
            node = node[step] if step < len(node) else node[-1]
        else:
            if not isinstance(node, Mapping):
                return False
            if step not in node:
                dynamic = node.get("dynamic")
                return isinstance(dynamic, Mapping) and step in dynamic
            node = node[step]
    return node is not None
