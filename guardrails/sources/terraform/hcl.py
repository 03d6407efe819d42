"""Source lines for plan findings: the .tf file and line of a resource block and of the
attribute a finding is about, when the configuration is beside the plan.

The plan names each resource by address (`module.store["a"].aws_s3_bucket.logs[0]`); its
block is `resource "aws_s3_bucket" "logs"` in one of the .tf files of the module the call path
leads to: the root module's folder, then each module call's folder, found through
`.terraform/modules/modules.json` (what `terraform init` writes, registry modules included)
or, for local sources, the plan configuration's `source` joined to its parent's. Every
instance of a `count`/`for_each` resource is located at its one block.

python-hcl2's parse tree carries a line for every block and attribute; it is imported only
when a plan has findings and its configuration is there to read. Only files whose text names
the resource are parsed; each file is parsed once per scan.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.errors import SourceError
from guardrails.model import FieldPath, Finding, Location
from guardrails.sources.terraform.plan import call_path

__all__ = ["Block", "Config", "config_root", "locate_plan_findings", "parse_blocks"]


@dataclasses.dataclass(slots=True)
class Block:
    """A block's line, its attributes' lines and its nested blocks (in order, by type)."""

    line: int
    attributes: dict[str, int] = dataclasses.field(default_factory=dict)
    blocks: dict[str, list[Block]] = dataclasses.field(default_factory=dict)

    def locate(self, steps: FieldPath) -> int:
        """The line of the deepest written step: an attribute, a nested block, or this block."""
        block, line = self, self.line
        i = 0
        while i < len(steps):
            step = steps[i]
            if not isinstance(step, str):
                break
            if step in block.attributes:
                return block.attributes[step]
            nested = block.blocks.get(step)
            if not nested:
                break
            index = steps[i + 1] if i + 1 < len(steps) and isinstance(steps[i + 1], int) else 0
            assert isinstance(index, int)
            block = nested[index] if index < len(nested) else nested[-1]
            line = block.line
            i += 2 if i + 1 < len(steps) and isinstance(steps[i + 1], int) else 1
        return line


def parse_blocks(text: str) -> dict[tuple[str, ...], Block]:
    """Top-level blocks of one .tf file by (block type, labels...): ("resource", type, name)."""
    from hcl2 import api  # lark and the HCL grammar: only when a finding is to be located

    tree = api.parses_to_tree(text)
    out: dict[tuple[str, ...], Block] = {}
    body = next((c for c in tree.children if getattr(c, "data", None) == "body"), None)
    for child in getattr(body, "children", ()):
        if getattr(child, "data", None) == "block":
            key, block = _block(child)
            out.setdefault(key, block)
    return out


def _name(node: Any) -> str:
    """An identifier, keyword or quoted label as text."""
    if getattr(node, "data", None) in ("identifier", "keyword"):
        return str(node.children[0])
    if getattr(node, "data", None) == "string":
        return "".join(str(c.children[0]) for c in node.children if getattr(c, "data", None) == "string_part")
    return str(node)


def _block(node: Any) -> tuple[tuple[str, ...], Block]:
    labels: list[str] = []
    body = None
    for c in node.children:
        data = getattr(c, "data", None)
        if data == "body":
            body = c
        elif data in ("identifier", "keyword", "string"):
            labels.append(_name(c))
    block = Block(node.meta.line)
    for c in getattr(body, "children", ()):
        data = getattr(c, "data", None)
        if data == "attribute":
            block.attributes.setdefault(_name(c.children[0]), c.meta.line)
        elif data == "block":
            (kind, *rest), nested = _block(c)
            if kind == "dynamic" and rest:  # dynamic "ingress" { content { ... } }: every ingress block
                content = nested.blocks.get("content")
                inner = Block(nested.line, dict(content[0].attributes), dict(content[0].blocks)) if content else nested
                for k, v in nested.attributes.items():
                    inner.attributes.setdefault(k, v)
                block.blocks.setdefault(rest[0], []).append(inner)
            else:
                block.blocks.setdefault(kind, []).append(nested)
    return tuple(labels), block


class Config:
    """The .tf files of a root module and its module calls, read and parsed on demand."""

    def __init__(self, root: pathlib.Path, shown: str, sources: Mapping[str, str]) -> None:
        self.root = root
        self.shown = shown  # how the root is written in locations ("infra", ".")
        self.sources = sources  # module call path -> source (from the plan's configuration)
        self.problems: list[SourceError] = []
        self._installed: dict[str, str] | None = None
        self._parsed: dict[pathlib.Path, dict[tuple[str, ...], Block]] = {}
        self._texts: dict[pathlib.Path, str] = {}

    def _module_dir(self, calls: str) -> pathlib.Path | None:
        if not calls:
            return self.root
        if self._installed is None:
            self._installed = _modules_json(self.root)
        if calls in self._installed:
            return self.root / self._installed[calls]
        source = self.sources.get(calls, "").split(" (", 1)[0]
        if source.startswith(("./", "../")):
            return self.root / source
        return None

    def _files(self, folder: pathlib.Path) -> list[pathlib.Path]:
        try:
            return sorted(p for p in folder.iterdir() if p.suffix == ".tf" and p.is_file())
        except OSError:
            return []

    def _text(self, path: pathlib.Path) -> str:
        if path not in self._texts:
            try:
                self._texts[path] = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                self.problems.append(SourceError(f"cannot read: {e}", location=Location(self._display(path))))
                self._texts[path] = ""
        return self._texts[path]

    def _blocks(self, path: pathlib.Path) -> dict[tuple[str, ...], Block]:
        if path not in self._parsed:
            try:
                self._parsed[path] = parse_blocks(self._text(path))
            except Exception as e:  # lark's errors carry the position; the findings stay at the plan
                line = getattr(e, "line", 0)
                self.problems.append(
                    SourceError(
                        f"cannot parse the Terraform configuration: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                        location=Location(self._display(path), line if isinstance(line, int) and line > 0 else 0),
                        hint="the findings are reported at the plan instead",
                    )
                )
                self._parsed[path] = {}
        return self._parsed[path]

    def _display(self, path: pathlib.Path) -> str:
        rel = os.path.relpath(path, self.root)
        return rel if self.shown in ("", ".") else os.path.join(self.shown, rel)

    def locate(self, calls: str, key: tuple[str, ...], steps: FieldPath) -> Location | None:
        folder = self._module_dir(calls)
        if folder is None:
            return None
        # the block's opening, as text: only files that hold it are parsed
        pattern = re.compile(r'(?m)^\s*' + r"\s+".join(f'"?{re.escape(k)}"?' for k in key) + r"\s*\{")
        for path in self._files(folder):
            if not pattern.search(self._text(path)):
                continue
            block = self._blocks(path).get(key)
            if block is not None:
                return Location(self._display(path), block.locate(steps), 1)
        return None


def _modules_json(root: pathlib.Path) -> dict[str, str]:
    """`terraform init`'s record of where each module call's files are."""
    try:
        data = json.loads((root / ".terraform" / "modules" / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for m in data.get("Modules") or () if isinstance(data, Mapping) else ():
        if isinstance(m, Mapping) and isinstance(m.get("Key"), str) and isinstance(m.get("Dir"), str) and m["Key"]:
            out[m["Key"]] = m["Dir"]
    return out


def config_root(plan_display: str, tf_dir: str | None) -> tuple[pathlib.Path, str] | None:
    """Where the plan's configuration is: `--tf-dir`, else the plan's folder, else the working
    directory, the first that holds .tf files; None when none does."""
    candidates: list[str] = []
    if tf_dir is not None:
        candidates.append(tf_dir)
    else:
        if plan_display not in ("-", "") and not plan_display.startswith("<"):
            candidates.append(os.path.dirname(plan_display) or ".")
        candidates.append(".")
    for c in candidates:
        folder = pathlib.Path(c)
        try:
            if any(p.suffix == ".tf" for p in folder.iterdir()):
                return folder, c
        except OSError:
            continue
    return None


def _blocks_of(plan: Mapping[str, Any]) -> dict[str, tuple[str, str, str]]:
    """address -> (mode, type, name), from the plan's resource changes."""
    out: dict[str, tuple[str, str, str]] = {}
    changes = plan.get("resource_changes")
    for rc in changes if isinstance(changes, list) else ():
        if isinstance(rc, Mapping) and all(isinstance(rc.get(k), str) for k in ("address", "type", "name")):
            out[rc["address"]] = (str(rc.get("mode", "managed")), rc["type"], rc["name"])
    return out


def locate_plan_findings(findings: Sequence[Finding], plan: Mapping[str, Any], config: Config) -> list[Finding]:
    """Each finding located at its resource block's attribute (or the block itself)."""
    modes = _blocks_of(plan)
    out = []
    for f in findings:
        address = f.origin.address
        found = modes.get(address) if address else None
        if found is None:
            out.append(f)
            continue
        mode, rtype, name = found
        key = ("resource", rtype, name) if mode == "managed" else ("data", rtype, name)
        kube = not f.resource.api_version.startswith("terraform.io/")
        steps: FieldPath = ()
        if not kube and f.path[:1] == ("spec",):
            steps = f.path[1:]
        elif not kube and f.path[:1] == ("metadata",):
            steps = ("labels",) if rtype.startswith("google_") else ("tags",)
        loc = config.locate(call_path(f.origin.module or ""), key, steps)
        out.append(f.with_location(loc) if loc is not None else f)
    return out
