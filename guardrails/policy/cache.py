"""The built-in library's parsed documents, cached per user: keyed on content, private, verified.

Parsing the library's ~60 YAML files costs more than a small scan (~15 ms against ~0.6 ms to
hash their bytes, `python -m bench cache`), so each run hashes the files and reuses the documents
parsed last time when every byte is the same. The cache sits in a folder another local user may
reach (a shared machine, an `$XDG_CACHE_HOME` pointed somewhere odd), so its author is an
adversary like any other: a cache is only read when

- its folder is a real directory (never a symlink) owned by us and writable by nobody else,
- the file, opened without following symlinks and without blocking, is a regular file of
  bounded size, owned by us and writable by nobody else,
- its header names this format and this key (the sha256 of every library file's bytes, its
  path, the reader's own source and the package version) and the sha256 of the payload,
  which matches the payload read,
- the payload holds exactly the library's files, each a list of [line, column, document].

Anything else is not an error: the library is parsed again and the cache rewritten (or, when
the folder is not ours, neither read nor written). Writes go to an O_EXCL temporary file (0600)
in the folder (0700) and are renamed over the cache, so a reader never sees half a file. Every
file operation goes through the folder's descriptor, so the folder checked is the folder used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import secrets
import stat
from collections.abc import Callable, Sequence
from typing import Any

from guardrails.version import __version__

__all__ = ["FORMAT", "MAX_BYTES", "Entries", "folder", "library_documents"]

FORMAT = "guardrails-builtin-cache/2"
MAX_BYTES = 16 * 1024 * 1024  # the library's cache is ~80 KB; past this it is not ours to read

# One library file's documents: [line, column, document] for each.
Entries = list[list[Any]]
Parse = Callable[[bytes, pathlib.Path], Entries | None]

# The modules whose code decides what a parsed document is: a change to them changes the key.
_READER = ("guardrails.sources.documents", "guardrails.sources.kubeyaml", "guardrails.sources.text")


def folder() -> pathlib.Path:
    """$XDG_CACHE_HOME/guardrails (a relative XDG_CACHE_HOME is ignored, as the spec says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "guardrails"


def library_documents(
    files: Sequence[pathlib.Path], root: pathlib.Path, parse: Parse
) -> dict[pathlib.Path, Entries] | None:
    """Each library file's entries, from the cache when it is sound, else parsed (by `parse`,
    from the very bytes that were hashed) and cached. None when a file cannot be read or parsed
    (the caller's normal path reports it)."""
    try:
        raw = {f: f.read_bytes() for f in files}
        rels = {f: f.relative_to(root).as_posix() for f in files}
    except (OSError, ValueError):
        return None
    key = _key(rels, raw)
    name = f"builtin-{hashlib.sha256(str(root).encode()).hexdigest()[:16]}.json"
    dfd = _open_folder()
    try:
        if dfd is not None:
            docs = _read(dfd, name, key, set(rels.values()))
            if docs is not None:
                return {f: docs[rels[f]] for f in files}
        parsed: dict[str, Entries] = {}
        for f in files:
            entries = parse(raw[f], f)
            if entries is None:
                return None
            parsed[rels[f]] = entries
        if dfd is not None:
            _write(dfd, name, key, parsed)
        return {f: parsed[rels[f]] for f in files}
    finally:
        if dfd is not None:
            os.close(dfd)


def _key(rels: dict[pathlib.Path, str], raw: dict[pathlib.Path, bytes]) -> str:
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{__version__}\0".encode())
    for module in _READER:
        h.update(_source_digest(module).encode())
    for f in sorted(rels, key=rels.__getitem__):
        h.update(f"\0{rels[f]}\0{hashlib.sha256(raw[f]).hexdigest()}".encode())
    return h.hexdigest()


def _source_digest(module: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(module)
    origin = spec.origin if spec is not None else None
    try:
        return hashlib.sha256(pathlib.Path(origin).read_bytes()).hexdigest() if origin else module
    except OSError:
        return module  # no source to read (a frozen build): the package version stands for it


def _open_folder() -> int | None:
    """The cache folder's descriptor when it is private to us, else None (bypass)."""
    if not _supported():
        return None
    path = folder()
    fd: int | None = None
    try:
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            os.close(fd)
            return None
        if st.st_mode & 0o077:
            os.fchmod(fd, 0o700)  # ours, from an older version (0755): make it private
        return fd
    except OSError:
        if fd is not None:
            os.close(fd)
        return None


def _supported() -> bool:
    return (
        hasattr(os, "geteuid")
        and hasattr(os, "O_NOFOLLOW")
        and hasattr(os, "O_DIRECTORY")
        and os.open in os.supports_dir_fd
        and os.rename in os.supports_dir_fd  # os.replace is os.rename on POSIX (not listed itself)
    )


def _read(dfd: int, name: str, key: str, expected: set[str]) -> dict[str, Entries] | None:
    """The cached documents when the file is ours, whole and for this key; else None."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except OSError:
        return None  # absent, a symlink (ELOOP), unreadable
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & 0o022
            or st.st_size > MAX_BYTES
        ):
            return None
        data = _read_all(fd, MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    head, sep, payload = data.partition(b"\n")
    if not sep or len(data) > MAX_BYTES:
        return None
    try:
        header = json.loads(head)
        if not (
            isinstance(header, dict)
            and header.get("format") == FORMAT
            and header.get("key") == key
            and header.get("digest") == hashlib.sha256(payload).hexdigest()
        ):
            return None
        docs = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return docs if _well_formed(docs, expected) else None


def _read_all(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _well_formed(docs: Any, expected: set[str]) -> bool:
    if not isinstance(docs, dict) or set(docs) != expected:
        return False
    for entries in docs.values():
        if not isinstance(entries, list):
            return False
        for entry in entries:
            if not (
                isinstance(entry, list)
                and len(entry) == 3
                and all(type(n) is int and n >= 1 for n in entry[:2])
            ):
                return False
    return True


def _write(dfd: int, name: str, key: str, docs: dict[str, Entries]) -> None:
    """Replace the cache atomically; a cache that cannot be written is only a slower next run."""
    try:
        payload = json.dumps(docs, separators=(",", ":"), allow_nan=False).encode()
        if json.loads(payload) != docs:
            return  # only what JSON keeps unchanged (no int keys, no dates)
    except (TypeError, ValueError, RecursionError):
        return
    header = json.dumps({"format": FORMAT, "key": key, "digest": hashlib.sha256(payload).hexdigest()}).encode()
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dfd)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header + b"\n" + payload)
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dfd)
