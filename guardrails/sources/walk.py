"""Which files a scan reads: explicit files always, folders recursively.

Folders skip VCS and dependency trees (`.git`, `node_modules`, `vendor`, virtual
environments), whatever the repository's `.gitignore` ignores, and `--exclude` globs.
`-` is standard input.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import os
import pathlib
from collections.abc import Iterable, Sequence

from guardrails.errors import SourceError

__all__ = ["EXTENSIONS", "Input", "collect", "excluded"]

EXTENSIONS = (".yaml", ".yml", ".json")
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", ".venv", "venv", "__pycache__", ".terraform", ".tox"}
)


@dataclasses.dataclass(frozen=True, slots=True)
class Input:
    """One thing to read: a file (`path`) or stdin (`path is None`). `display` is what reports show."""

    display: str
    path: pathlib.Path | None = None


class _GitIgnore:
    """The subset of .gitignore that manifests repositories use: globs, `dir/`, `/anchored`, `!negation`."""

    def __init__(self, base: pathlib.Path, lines: Iterable[str]) -> None:
        self.base = base
        self.rules: list[tuple[str, bool, bool, bool]] = []  # pattern, negate, dir_only, anchored
        for raw in lines:
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            self.rules.append((line.lstrip("/"), negate, dir_only, anchored))

    def ignored(self, path: pathlib.Path, is_dir: bool) -> bool:
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        result = False
        for pattern, negate, dir_only, anchored in self.rules:
            if dir_only and not is_dir:
                continue
            target = rel if anchored else rel.rsplit("/", 1)[-1]
            if fnmatch.fnmatchcase(target, pattern):
                result = not negate
        return result


def excluded(rel: str, excludes: Sequence[str]) -> bool:
    """True when the root-relative path `rel` matches one of the --exclude globs."""
    name = rel.rsplit("/", 1)[-1]
    for g in excludes:
        g = g.rstrip("/")
        if (
            fnmatch.fnmatchcase(rel, g)
            or fnmatch.fnmatchcase(name, g)
            or fnmatch.fnmatchcase(rel, f"{g}/*")
            or rel.startswith(g + "/")
        ):
            return True
    return False


def _display(path: pathlib.Path, root: pathlib.Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def collect(
    paths: Sequence[str], *, exclude: Sequence[str] = (), root: pathlib.Path | None = None
) -> list[Input]:
    """Inputs in a stable order (sorted within each folder), without duplicates.

    Raises SourceError for a path that does not exist.
    """
    root = (root or pathlib.Path.cwd()).resolve()
    out: list[Input] = []
    seen: set[pathlib.Path] = set()
    for raw in paths:
        if raw == "-":
            out.append(Input("-"))
            continue
        p = pathlib.Path(raw)
        if not p.exists():
            raise SourceError(f"{raw}: no such file or directory", hint="check the path, or use - for stdin")
        if p.is_file():
            rp = p.resolve()
            if rp not in seen:
                seen.add(rp)
                out.append(Input(_display(p, root), p))
            continue
        out.extend(_walk(p, root, exclude, seen))
    return out


def _walk(top: pathlib.Path, root: pathlib.Path, exclude: Sequence[str], seen: set[pathlib.Path]) -> list[Input]:
    found: list[Input] = []
    ignores: list[_GitIgnore] = []
    for dirpath, dirnames, filenames in os.walk(top):
        d = pathlib.Path(dirpath)
        gi = d / ".gitignore"
        if gi.is_file():
            with contextlib.suppress(OSError):
                ignores.append(_GitIgnore(d, gi.read_text(encoding="utf-8", errors="replace").splitlines()))
        active = [g for g in ignores if d == g.base or g.base in d.parents]
        keep = []
        for name in sorted(dirnames):
            sub = d / name
            rel = _display(sub, root)
            if name in SKIP_DIRS or excluded(rel, exclude) or any(g.ignored(sub, True) for g in active):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.endswith(EXTENSIONS):
                continue
            f = d / name
            rel = _display(f, root)
            if excluded(rel, exclude) or any(g.ignored(f, False) for g in active):
                continue
            rp = f.resolve()
            if rp in seen:
                continue
            seen.add(rp)
            found.append(Input(rel, f))
    return found
