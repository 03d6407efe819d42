"""The built-in rule cache (policy/cache.py): keyed on content, private, verified before use.

Whatever state the cache is found in (damaged, truncated, tampered, foreign, symlinked, a FIFO,
a folder anyone can write), the rules loaded are the rules of an uncached load, with no
traceback: the cache is rebuilt when its folder is ours, and neither read nor written when not.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pathlib
import stat
from collections.abc import Callable
from typing import Any

import pytest

from guardrails.engine import Engine
from guardrails.policy import cache, load
from guardrails.policy.load import RuleSet, lint_rules
from guardrails.scan import scan_text

REPO = pathlib.Path(__file__).resolve().parents[2]
NOBODY = 65534
ROOT_ONLY = "chown to another user needs root"  # the one skip of this module, for foreign owners


def fingerprint(rs: RuleSet) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every rule by id with every field that is data (callables are judged by `verdicts`)."""
    return {
        r.id: tuple((f.name, repr(getattr(r, f.name))) for f in dataclasses.fields(r) if not callable(getattr(r, f.name)))
        for r in rs.rules
    }


def verdicts(rs: RuleSet) -> list[tuple[str, str, str, str]]:
    """What the rules say about the repository's examples: the compiled checks at work."""
    engine = Engine(rs.rules)
    out = []
    for p in sorted((REPO / "examples").rglob("*.yaml")):
        for f in scan_text(p.read_text(), p.name, engine).findings:
            out.append((f.rule, f"{f.status} {f.severity} {f.resource}", f.message, str(f.location)))
    return out


@functools.cache
def uncached() -> tuple[dict[str, Any], list[tuple[str, str, str, str]]]:
    rs, problems = lint_rules(builtin=True, profiles=("all",), validate_builtin=True)  # never reads the cache
    assert problems == [] and rs.rules
    return fingerprint(rs), verdicts(rs)


def load_all() -> RuleSet:
    rs, problems = lint_rules(builtin=True, profiles=("all",))
    assert [p.render() for p in problems] == []
    return rs


@pytest.fixture
def xdg(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    base = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    return base


def cache_file(xdg: pathlib.Path) -> pathlib.Path:
    (only,) = (xdg / "guardrails").glob("builtin-*.json")
    return only


def split(path: pathlib.Path) -> tuple[dict[str, Any], bytes]:
    head, _, payload = path.read_bytes().partition(b"\n")
    return json.loads(head), payload


def rewrite(path: pathlib.Path, payload: bytes, *, digest: bool = True, **header: Any) -> None:
    """Write a cache file with this payload, its digest recomputed (a consistent forgery) or not."""
    head, old = split(path)
    head["digest"] = hashlib.sha256(payload).hexdigest() if digest else hashlib.sha256(old).hexdigest()
    head.update(header)
    path.write_bytes(json.dumps(head).encode() + b"\n" + payload)


def edit_doc(path: pathlib.Path, *, digest: bool) -> None:
    """A rule's severity changed inside the cached documents, the key left as it was."""
    _, payload = split(path)
    docs = json.loads(payload)
    for entries in docs.values():
        for entry in entries:
            spec = entry[2].get("spec") if isinstance(entry[2], dict) else None
            if isinstance(spec, dict) and "severity" in spec:
                spec["severity"] = "low" if spec["severity"] != "low" else "critical"
                spec["requiredLabels"] = ["planted"]
                rewrite(path, json.dumps(docs).encode(), digest=digest)
                return
    raise AssertionError("no rule with a severity in the cache")


def drop_file(path: pathlib.Path) -> None:
    _, payload = split(path)
    docs = json.loads(payload)
    docs.pop(sorted(docs)[0])
    rewrite(path, json.dumps(docs).encode())


def bad_entry(path: pathlib.Path) -> None:
    _, payload = split(path)
    docs = json.loads(payload)
    docs[sorted(docs)[0]] = [["1", 1, {}]]
    rewrite(path, json.dumps(docs).encode())


def other_key(path: pathlib.Path) -> None:
    _, payload = split(path)
    rewrite(path, payload, key="0" * 64)


def deep(path: pathlib.Path) -> None:
    rewrite(path, b"[" * 100_000 + b"]" * 100_000)


def symlink_to_forgery(path: pathlib.Path) -> None:
    """The cache replaced by a symlink to a copy whose rule was changed (digest consistent)."""
    forged = path.parent.parent / "forged.json"
    forged.write_bytes(path.read_bytes())
    edit_doc(forged, digest=True)
    path.unlink()
    path.symlink_to(forged)


def fifo(path: pathlib.Path) -> None:
    path.unlink()
    os.mkfifo(path)


def directory(path: pathlib.Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("x")


def huge(path: pathlib.Path) -> None:
    with path.open("r+b") as f:
        f.truncate(cache.MAX_BYTES + 1)  # sparse: costs no disk


def foreign_file(path: pathlib.Path) -> None:
    if os.geteuid() != 0:
        pytest.skip(ROOT_ONLY)
    os.chown(path, NOBODY, NOBODY)


def writable_file(path: pathlib.Path) -> None:
    path.chmod(0o666)


# Damage to the file in a folder that is ours: the cache is rebuilt, private and sound.
REBUILT: dict[str, Callable[[pathlib.Path], None]] = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "random bytes": lambda p: p.write_bytes(os.urandom(4096)),
    "header only": lambda p: p.write_bytes(p.read_bytes().partition(b"\n")[0]),
    "not JSON header": lambda p: p.write_bytes(b"{nope\n" + p.read_bytes().partition(b"\n")[2]),
    "header a list": lambda p: p.write_bytes(b"[]\n" + p.read_bytes().partition(b"\n")[2]),
    "older format": lambda p: rewrite(p, split(p)[1], format="guardrails-builtin-cache/1"),
    "doc edited, same key": lambda p: edit_doc(p, digest=False),
    "a file dropped (digest consistent)": drop_file,
    "an entry of the wrong shape (digest consistent)": bad_entry,
    "another key": other_key,
    "nested past the parser (digest consistent)": deep,
    "symlink to a forged cache": symlink_to_forgery,
    "a FIFO": fifo,
    "larger than the bound": huge,
    "owned by another user": foreign_file,
    "group/other-writable": writable_file,
}


@pytest.mark.parametrize("damage", list(REBUILT), ids=list(REBUILT))
def test_a_damaged_cache_is_rebuilt_and_the_rules_are_the_uncached_ones(xdg: pathlib.Path, damage: str) -> None:
    load_all()
    path = cache_file(xdg)
    REBUILT[damage](path)
    rs = load_all()
    assert fingerprint(rs) == uncached()[0]
    assert verdicts(rs) == uncached()[1]
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid()
    assert cache.library_documents(*library(), refuse_parse) is not None  # sound again: read, not parsed
    if damage == "symlink to a forged cache":
        assert b"planted" in (xdg / "forged.json").read_bytes()  # the target was not written through


def test_a_directory_in_the_way_is_bypassed(xdg: pathlib.Path) -> None:
    load_all()
    directory(cache_file(xdg))
    rs = load_all()
    assert fingerprint(rs) == uncached()[0] and verdicts(rs) == uncached()[1]


def library() -> tuple[list[pathlib.Path], pathlib.Path]:
    files, problems = load.rule_walk([load.builtin_root()], gitignore=False)
    assert problems == []
    return [f for f in files if not f.name.endswith(load.TEST_SUFFIXES)], load.builtin_root()


def refuse_parse(raw: bytes, path: pathlib.Path) -> list[Any] | None:
    raise AssertionError(f"parsed {path} although the cache is sound")


def counting(calls: list[str]) -> Callable[[bytes, pathlib.Path], list[Any] | None]:
    def parse(raw: bytes, path: pathlib.Path) -> list[Any] | None:
        calls.append(path.name)
        return load._parse_library_file(raw, path)

    return parse


def forge(xdg: pathlib.Path) -> bytes:
    """A consistent forgery (right key and digest, a rule changed) where the cache is."""
    load_all()
    path = cache_file(xdg)
    edit_doc(path, digest=True)
    return path.read_bytes()


def symlinked_folder(xdg: pathlib.Path) -> None:
    elsewhere = xdg.parent / "elsewhere"
    (xdg / "guardrails").rename(elsewhere)
    (xdg / "guardrails").symlink_to(elsewhere, target_is_directory=True)


def foreign_folder(xdg: pathlib.Path) -> None:
    if os.geteuid() != 0:
        pytest.skip(ROOT_ONLY)
    os.chown(xdg / "guardrails", NOBODY, NOBODY)


# A folder that is not private to us: the cache in it is neither read nor written.
BYPASSED: dict[str, Callable[[pathlib.Path], None]] = {
    "folder is a symlink": symlinked_folder,
    "folder owned by another user": foreign_folder,
    "folder group-writable": lambda x: (x / "guardrails").chmod(0o770),
    "folder other-writable": lambda x: (x / "guardrails").chmod(0o707),
}


@pytest.mark.parametrize("damage", list(BYPASSED), ids=list(BYPASSED))
def test_a_folder_not_private_to_us_is_bypassed(xdg: pathlib.Path, damage: str) -> None:
    forged = forge(xdg)
    BYPASSED[damage](xdg)
    path = cache_file(xdg)
    before = set((xdg / "guardrails").iterdir())
    rs = load_all()
    assert fingerprint(rs) == uncached()[0] and verdicts(rs) == uncached()[1]
    assert path.read_bytes() == forged  # not read, not rewritten
    assert set((xdg / "guardrails").iterdir()) == before  # no temporary file left either


def test_the_cache_is_private_and_written_whole(xdg: pathlib.Path) -> None:
    load_all()
    folder = xdg / "guardrails"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == [cache_file(xdg).name]  # no temporary file left
    assert stat.S_IMODE(cache_file(xdg).stat().st_mode) == 0o600
    head, payload = split(cache_file(xdg))
    assert head["format"] == cache.FORMAT and head["digest"] == hashlib.sha256(payload).hexdigest()


def test_an_older_open_folder_of_ours_is_made_private(xdg: pathlib.Path) -> None:
    (xdg / "guardrails").mkdir(parents=True)
    (xdg / "guardrails").chmod(0o755)
    load_all()
    assert stat.S_IMODE((xdg / "guardrails").stat().st_mode) == 0o700
    assert cache.library_documents(*library(), refuse_parse) is not None


def test_a_sound_cache_is_read_and_gives_the_parsed_documents(xdg: pathlib.Path) -> None:
    files, root = library()
    calls: list[str] = []
    cold = cache.library_documents(files, root, counting(calls))
    assert cold is not None and len(calls) == len(files)
    warm = cache.library_documents(files, root, refuse_parse)
    assert warm == cold == {f: load._parse_library_file(f.read_bytes(), f) for f in files}


def test_the_key_is_the_content_not_the_size_and_time(xdg: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """An edit that keeps the size and the modification time (a `git checkout` within the same
    second, a tool restoring times) is still seen."""
    lib = tmp_path / "lib"
    lib.mkdir()
    rule = lib / "r.yaml"
    rule.write_text("apiVersion: guardrails.dev/v1\nkind: Rule\nmetadata: {name: a}\nspec: {requiredLabels: [team]}\n")
    first = cache.library_documents([rule], lib, load._parse_library_file)
    assert first == {rule: [[1, 1, {"apiVersion": "guardrails.dev/v1", "kind": "Rule", "metadata": {"name": "a"}, "spec": {"requiredLabels": ["team"]}}]]}
    assert cache.library_documents([rule], lib, refuse_parse) == first
    st = rule.stat()
    rule.write_text(rule.read_text().replace("name: a", "name: b"))
    os.utime(rule, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert rule.stat().st_size == st.st_size and rule.stat().st_mtime_ns == st.st_mtime_ns
    calls: list[str] = []
    again = cache.library_documents([rule], lib, counting(calls))
    assert calls == ["r.yaml"] and again is not None and again[rule][0][2]["metadata"]["name"] == "b"


def test_a_library_file_that_does_not_parse_is_left_to_the_normal_path(xdg: pathlib.Path, tmp_path: pathlib.Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "r.yaml").write_text("a: [\n")
    assert cache.library_documents([lib / "r.yaml"], lib, load._parse_library_file) is None
    assert not list((xdg / "guardrails").glob("builtin-*.json"))


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.folder() == tmp_path / ".cache" / "guardrails"
