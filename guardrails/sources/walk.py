"""THE folder walker: which files a scan, a rules path, a test run or the webhook's reload reads.

One walk, one skip list, used by every command:

- paths named explicitly are always read, whatever their extension; a named pipe or process
  substitution (`<(helm template .)`, `/dev/stdin` on a pipe) is a *stream*, read once front to
  back; devices and sockets are refused (an error);
- folders are walked depth first, sorted, files before sub-folders, keeping `extensions`;
  `SKIP_DIRS`, `--exclude` globs and what the repository's `.gitignore` files ignore are left
  out (git's semantics through `pathspec`; the `.gitignore` files from the repository root down
  apply when a sub-folder is walked; a file git tracks is never hidden);
- a symlinked folder is followed once: a link back into its own ancestry is a loop and skipped
  with a notice; a FIFO, device, socket or broken link found inside a folder is skipped with a
  notice (never waited on); an unreadable folder is an error.

The walker reports, callers decide: a scan lists notices and counts errors in its exit code, a
rules path turns every skipped entry into a rule-file error.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import pathlib
import stat
import subprocess
from collections.abc import Sequence
from typing import Any

from guardrails.errors import SourceError

__all__ = ["EXTENSIONS", "SKIP_DIRS", "Input", "Skipped", "Walk", "collect", "display", "excluded"]

EXTENSIONS = (".yaml", ".yml", ".json")
# Version control, dependency trees, virtual environments and tool caches: never policy or
# manifests of the project itself.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "vendor", ".venv", "venv", "__pycache__",
        ".terraform", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class Input:
    """One thing to read: a file (`path`), a stream (`stream`: read once) or stdin (`path is None`)."""

    display: str
    path: pathlib.Path | None = None
    stream: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Skipped:
    """An entry the walk did not read, and why. `error`: it could not be read (counts as a failure)."""

    display: str
    reason: str
    error: bool = False

    def render(self) -> str:
        return f"{self.display}: {self.reason}"


@dataclasses.dataclass(frozen=True, slots=True)
class Walk:
    inputs: tuple[Input, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    ignored: int = 0  # entries left out by .gitignore (not listed: they are meant to be invisible)

    @property
    def errors(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if s.error)

    @property
    def notices(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if not s.error)


def collect(
    paths: Sequence[str | pathlib.Path],
    *,
    exclude: Sequence[str] = (),
    root: pathlib.Path | None = None,
    extensions: Sequence[str] = EXTENSIONS,
    hidden: bool = True,
    gitignore: bool = True,
) -> Walk:
    """Walk `paths` in a stable order, each file once (by inode). `-` is standard input.

    `hidden=False` also leaves out entries whose name starts with a dot (rule folders mounted
    from a ConfigMap hold `..data` and timestamped copies of every file). Raises SourceError for
    a path that does not exist.
    """
    root = (root or pathlib.Path.cwd()).resolve()
    w = _Walker(root, tuple(exclude), tuple(extensions), hidden, gitignore)
    for raw in paths:
        raw = str(raw)
        if raw == "-":
            w.inputs.append(Input("-"))
            continue
        w.explicit(pathlib.Path(raw), raw)
    return Walk(tuple(w.inputs), tuple(w.skipped), w.ignored)


def display(path: pathlib.Path, root: pathlib.Path) -> str:
    """The path as walked (symlinks kept), relative to `root` when it lies below it."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root)
    return pathlib.Path(absolute).as_posix() if rel.startswith("..") else pathlib.PurePath(rel).as_posix()


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


def _kind(mode: int) -> str | None:
    """Why a non-regular, non-folder entry is not read; None for files and folders."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _why(e: OSError) -> str:
    return e.strerror or str(e)


class _Ignores:
    """The `.gitignore` files that apply to one folder, deepest last; git's precedence."""

    def __init__(self, specs: tuple[tuple[pathlib.Path, Any], ...] = ()) -> None:
        self.specs = specs

    def below(self, folder: pathlib.Path) -> _Ignores:
        spec = _read_gitignore(folder)
        return _Ignores((*self.specs, (folder, spec))) if spec is not None else self

    def ignored(self, path: pathlib.Path, is_dir: bool) -> bool:
        # The deepest .gitignore with a matching pattern decides; within one, the last pattern.
        for base, spec in reversed(self.specs):
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            result = spec.check_file(rel + "/" if is_dir else rel)
            if result.include is not None:
                return bool(result.include)
        return False


def _read_gitignore(folder: pathlib.Path) -> Any:
    f = folder / ".gitignore"
    try:
        text = f.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    import pathspec  # only where a .gitignore exists

    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def _repository(folder: pathlib.Path) -> pathlib.Path | None:
    for d in (folder, *folder.parents):
        if (d / ".git").exists():
            return d
    return None


class _Tracked:
    """The files git tracks in one repository, read once and only when a pattern hides something."""

    def __init__(self, top: pathlib.Path) -> None:
        self.top = top
        self._files: frozenset[str] | None = None
        self._dirs: frozenset[str] = frozenset()

    def _load(self) -> None:
        files: frozenset[str] = frozenset()
        try:
            out = subprocess.run(
                ["git", "-C", str(self.top), "ls-files", "-z"],
                capture_output=True, check=False, timeout=30,
            )
            if out.returncode == 0:
                files = frozenset(p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p)
        except (OSError, subprocess.SubprocessError):
            pass  # no git: nothing is known to be tracked, .gitignore alone decides
        dirs = {parent for f in files for parent in _parents(f)}
        self._files, self._dirs = files, frozenset(dirs)

    def tracked(self, path: pathlib.Path, is_dir: bool) -> bool:
        if self._files is None:
            self._load()
        assert self._files is not None
        try:
            rel = path.relative_to(self.top).as_posix()
        except ValueError:
            return False
        return rel in (self._dirs if is_dir else self._files)


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


class _Walker:
    def __init__(
        self, root: pathlib.Path, exclude: tuple[str, ...], extensions: tuple[str, ...], hidden: bool, gitignore: bool
    ) -> None:
        self.root = root
        self.exclude = exclude
        self.extensions = extensions
        self.hidden = hidden
        self.gitignore = gitignore
        self.inputs: list[Input] = []
        self.skipped: list[Skipped] = []
        self.ignored = 0
        self.seen: set[tuple[int, int]] = set()  # files read, by (device, inode)
        self.visited: set[tuple[int, int]] = set()  # folders walked

    def explicit(self, p: pathlib.Path, raw: str) -> None:
        try:
            st = os.stat(p)
        except FileNotFoundError:
            if os.path.islink(p):
                self.skipped.append(Skipped(raw, "a broken symbolic link", error=True))
                return
            raise SourceError(f"{raw}: no such file or directory", hint="check the path, or use - for stdin") from None
        except OSError as e:
            self.skipped.append(Skipped(raw, f"cannot read: {_why(e)}", error=True))
            return
        if stat.S_ISDIR(st.st_mode):
            self.folder(p)
            return
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            return
        self.seen.add(key)
        if stat.S_ISREG(st.st_mode):
            self.inputs.append(Input(display(p, self.root), p))
        elif stat.S_ISFIFO(st.st_mode):
            self.inputs.append(Input(raw, p, stream=True))
        else:
            self.skipped.append(Skipped(raw, f"{_kind(st.st_mode)}: only files, folders, pipes and - are read", error=True))

    def folder(self, top: pathlib.Path) -> None:
        ignores = _Ignores()
        tracked: _Tracked | None = None
        if self.gitignore:
            absolute = pathlib.Path(os.path.abspath(top))
            repo = _repository(absolute)
            if repo is not None:
                tracked = _Tracked(repo)
                # The repository's .gitignore files above the folder apply to it as well.
                for d in reversed(absolute.relative_to(repo).parents):
                    ignores = ignores.below(repo / d)
                ignores = _Ignores(tuple((b, s) for b, s in ignores.specs if b != absolute))
        try:
            st = os.stat(top)
        except OSError as e:
            self.skipped.append(Skipped(display(top, self.root), f"cannot read folder: {_why(e)}", error=True))
            return
        # An explicit stack, not recursion: a deep tree is not a RecursionError.
        stack: list[tuple[pathlib.Path, frozenset[tuple[int, int]], _Ignores]] = []
        key = (st.st_dev, st.st_ino)
        if key in self.visited:
            return
        self.visited.add(key)
        stack.append((top, frozenset({key}), ignores))
        while stack:
            d, ancestry, ignores = stack.pop()
            subs = self._one(d, ancestry, ignores, tracked)
            stack.extend(reversed(subs))

    def _one(
        self,
        d: pathlib.Path,
        ancestry: frozenset[tuple[int, int]],
        parent: _Ignores,
        tracked: _Tracked | None,
    ) -> list[tuple[pathlib.Path, frozenset[tuple[int, int]], _Ignores]]:
        ignores = parent.below(pathlib.Path(os.path.abspath(d))) if self.gitignore else parent
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            self.skipped.append(Skipped(display(d, self.root), f"cannot read folder: {_why(e)}", error=True))
            return []
        subs: list[tuple[pathlib.Path, frozenset[tuple[int, int]], _Ignores]] = []
        for entry in entries:
            name = entry.name
            if not self.hidden and name.startswith("."):
                continue
            path = d / name
            try:
                st = entry.stat()  # follows symbolic links
            except OSError as e:
                if self._wanted(name) or entry.is_symlink():
                    reason = "a broken symbolic link" if isinstance(e, FileNotFoundError) else f"cannot read: {_why(e)}"
                    self.skipped.append(Skipped(display(path, self.root), reason, error=not isinstance(e, FileNotFoundError)))
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if is_dir and name in SKIP_DIRS:
                continue
            if not is_dir and not self._wanted(name):
                continue
            shown = display(path, self.root)
            if self.exclude and excluded(shown, self.exclude):
                continue
            if ignores.specs and ignores.ignored(pathlib.Path(os.path.abspath(path)), is_dir):
                absolute = pathlib.Path(os.path.abspath(path))
                if tracked is None or not tracked.tracked(absolute, is_dir):
                    self.ignored += 1
                    continue
            key = (st.st_dev, st.st_ino)
            if is_dir:
                if key in ancestry:
                    self.skipped.append(Skipped(shown, "a symbolic link loop: not followed"))
                elif key not in self.visited:  # a folder reached twice is read once
                    self.visited.add(key)
                    subs.append((path, ancestry | {key}, ignores))
                continue
            why = _kind(st.st_mode)
            if why is not None:
                self.skipped.append(Skipped(shown, f"{why}: skipped (name it on the command line to read it)"))
                continue
            if key in self.seen:
                continue
            self.seen.add(key)
            self.inputs.append(Input(shown, path))
        return subs

    def _wanted(self, name: str) -> bool:
        return name.endswith(self.extensions)
