"""Kustomize: a folder with a kustomization file. Its `resources` are whole manifests; its
patches, replacements and generator or transformer configurations are parts of a render, never
whole resources, so a scan never judges them as objects (a strategic-merge patch that names only a
container's `securityContext` is not a Deployment missing its image). Unrendered, those parts are
skipped and counted with the command that renders them; rendered (`--kustomize`), each root
kustomization (one no other kustomization scanned builds on) goes through `kubectl kustomize` and
every document is named by the file it came from, from kustomize's own origin annotations.

`kubectl kustomize` runs without `--enable-helm`, exec plugins or network access the user did not
set up: rendering never runs code a repository ships."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from guardrails.errors import SourceError
from guardrails.model import Location
from guardrails.sources import documents
from guardrails.sources.render.run import TIMEOUT, render_output

__all__ = [
    "FILES", "ORIGIN", "Kustomization", "command", "file_of", "read", "render", "roots", "shell_command", "split_origins",
]

FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN = "config.kubernetes.io/origin"
MAX_FILE = 1024 * 1024  # a kustomization file larger than this is not one a person wrote

# Keys whose entries name files that are parts of a render (patches, configurations, data).
_PART_LISTS = ("configurations", "crds", "generators", "transformers", "validators")
_PATH_LISTS = ("patches", "patchesJson6902", "replacements")
_GENERATORS = ("configMapGenerator", "secretGenerator")


@dataclasses.dataclass(frozen=True, slots=True)
class Kustomization:
    folder: pathlib.Path  # resolved
    display: str  # the folder as the scan shows paths
    file: pathlib.Path
    resources: tuple[pathlib.Path, ...] = ()  # whole manifests it lists
    parts: tuple[pathlib.Path, ...] = ()  # patches and configurations: never whole resources
    bases: tuple[pathlib.Path, ...] = ()  # folders it builds on (resources, bases, components)


def file_of(folder: pathlib.Path) -> pathlib.Path | None:
    for name in FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _entries(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for v in value:
            if isinstance(v, str):
                yield v


def read(folder: pathlib.Path, display: str) -> Kustomization:
    """The files a kustomization names, sorted into whole resources, parts and bases; a SourceError
    naming the file when it cannot be read. Remote entries (URLs) and inline patches name no file."""
    file = file_of(folder)
    if file is None:
        raise SourceError("no kustomization file", location=Location(display))
    where = Location(f"{display}/{file.name}")
    try:
        if file.stat().st_size > MAX_FILE:
            raise SourceError(f"kustomization file over {MAX_FILE // 1024} KiB", location=where)
        doc = documents.single_document(documents.read_text(file, where.path), where.path)
    except OSError as e:
        raise SourceError(f"cannot read the kustomization: {e.strerror or e}", location=where) from None
    data = doc.data if doc is not None else None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SourceError("a kustomization is a mapping of keys", location=where)
    here = folder.resolve()
    resources: list[pathlib.Path] = []
    parts: list[pathlib.Path] = []
    bases: list[pathlib.Path] = []

    def local(entry: str) -> pathlib.Path | None:
        if "://" in entry or entry.startswith(("github.com/", "git@")):
            return None
        return (here / entry).resolve()

    for key in ("resources", "bases", "components"):
        for entry in _entries(data.get(key)):
            p = local(entry)
            if p is None:
                continue
            if p.is_dir():
                bases.append(p)
            elif p.is_file():
                (resources if key == "resources" else parts).append(p)
    for key in _PATH_LISTS:
        for item in data.get(key) or ():
            if isinstance(item, Mapping) and isinstance(item.get("path"), str):
                p = local(item["path"])
                if p is not None and p.is_file():
                    parts.append(p)
    for entry in _entries(data.get("patchesStrategicMerge")):
        p = local(entry) if "\n" not in entry else None  # an inline patch is a YAML string
        if p is not None and p.is_file():
            parts.append(p)
    for key in _PART_LISTS:
        for entry in _entries(data.get(key)):
            p = local(entry) if "\n" not in entry else None
            if p is not None and p.is_file():
                parts.append(p)
    openapi = data.get("openapi")
    if isinstance(openapi, Mapping) and isinstance(openapi.get("path"), str):
        p = local(openapi["path"])
        if p is not None and p.is_file():
            parts.append(p)
    for key in _GENERATORS:
        for gen in data.get(key) or ():
            if not isinstance(gen, Mapping):
                continue
            for entry in (*_entries(gen.get("files")), *_entries(gen.get("envs")), *_entries([gen.get("env")])):
                p = local(entry.split("=", 1)[-1])
                if p is not None and p.is_file():
                    parts.append(p)
    return Kustomization(here, display, file, tuple(resources), tuple(parts), tuple(bases))


def roots(found: Iterable[Kustomization]) -> list[Kustomization]:
    """The kustomizations no other one builds on: each is rendered once, its bases with it."""
    found = list(found)
    built_on = {b for k in found for b in k.bases}
    return [k for k in found if k.folder not in built_on]


def closure(root: Kustomization, by_folder: Mapping[pathlib.Path, Kustomization]) -> set[pathlib.Path]:
    """Every file a render of `root` reads, among the kustomizations scanned (its own and its bases')."""
    seen: set[pathlib.Path] = set()
    out: set[pathlib.Path] = set()
    todo = [root]
    while todo:
        k = todo.pop()
        if k.folder in seen:
            continue
        seen.add(k.folder)
        out.update((k.file.resolve(), *k.resources, *k.parts))
        todo.extend(by_folder[b] for b in k.bases if b in by_folder)
    return out


def command(display: str) -> list[str]:
    return ["kubectl", "kustomize", display]


def shell_command(display: str) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in command(display))


def render(k: Kustomization, *, timeout: float | None = None) -> tuple[str, pathlib.Path]:
    """`kubectl kustomize` of the kustomization, through a wrapper that asks kustomize for origin
    annotations (the user's files are never edited): the output and the wrapper's folder, which the
    annotations' paths are relative to. A SourceError naming the folder when it fails."""
    where = Location(k.display)
    timeout = TIMEOUT if timeout is None else timeout
    exe = shutil.which("kubectl")
    if exe is None:
        raise SourceError(
            "--kustomize: `kubectl` is not on PATH", location=where,
            hint="install kubectl, or pipe a render in: " + shell_command(k.display) + " | guardrails scan -",
        )
    with tempfile.TemporaryDirectory(prefix="guardrails-kustomize-") as tmp:
        wrapper = pathlib.Path(tmp).resolve()
        # A base outside the wrapper's folder is allowed only as a relative path.
        rel = os.path.relpath(k.folder, wrapper)
        (wrapper / "kustomization.yaml").write_text(
            json.dumps({"resources": [rel], "buildMetadata": ["originAnnotations"]}), encoding="utf-8"
        )
        rendered = render_output(
            [exe, "kustomize", str(wrapper)], name="kubectl kustomize", where=where, rerun=shell_command(k.display), timeout=timeout
        )
    return rendered, wrapper


def split_origins(rendered: str, k: Kustomization, wrapper: pathlib.Path, display: Any) -> list[tuple[str, str]]:
    """The render cut into (display, text) by each document's origin file; the origin annotation
    (ours, not the author's) is removed before judging. `display(path)` shows a path as the scan does.
    Documents without an origin (generated ConfigMaps) are named by the kustomization."""
    by: dict[str, list[Any]] = {}
    for read in documents.documents(rendered, f"{k.display}/(kustomize)", keep_nodes=False):
        if isinstance(read, SourceError):
            raise read
        doc = read.data
        if not isinstance(doc, dict):
            continue
        name = f"{k.display}/(kustomize)"
        meta = doc.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(meta, dict) and isinstance(annotations, dict) and isinstance(annotations.get(ORIGIN), str):
            origin = _origin(annotations.pop(ORIGIN))
            if not annotations:
                del meta["annotations"]
            path, repo = origin.get("path"), origin.get("repo")
            if path and not repo:
                name = display(pathlib.Path(os.path.normpath(wrapper / path)))
            elif path:
                name = f"{repo}/{path}"
        by.setdefault(name, []).append(doc)
    # JSON is YAML: the reader reads each document back as it reads any file.
    return [(name, "---\n".join(json.dumps(d) for d in docs)) for name, docs in by.items()]


def _origin(text: str) -> dict[str, str]:
    """kustomize's origin annotation: a few `key: value` lines (path, repo, ref, configuredIn)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "\t")):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]  # a quoted scalar (a path with a colon or a leading symbol)
            out[key.strip()] = value
    return out
