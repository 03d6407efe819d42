"""The one walker: which files a scan, a rules path, a test run and the webhook read."""

from __future__ import annotations

import contextlib
import os
import pathlib
import socket
import subprocess
import tempfile
import threading

import pytest

from guardrails.errors import SourceError
from guardrails.sources.walk import Walk, collect
from tests.unprivileged import as_nobody, world_dir


@pytest.fixture
def tree(tmp_path: pathlib.Path) -> pathlib.Path:
    files = [
        "app/deploy.yaml",
        "app/svc.yml",
        "app/values.json",
        "app/README.md",
        "app/.git/config.yaml",
        "node_modules/x/a.yaml",
        "vendor/b.yaml",
        "charts/c/templates/t.yaml",
        "build/out.yaml",
        "build/keep.yaml",
        "z.yaml",
    ]
    for f in files:
        p = tmp_path / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("a: 1\n")
    (tmp_path / ".gitignore").write_text("# generated\nbuild/*\n!build/keep.yaml\n")
    return tmp_path


def names(w: Walk) -> list[str]:
    return [i.display for i in w.inputs]


def test_folders_recurse_and_skip_vcs_dependencies_and_ignored(tree: pathlib.Path) -> None:
    got = names(collect([str(tree)], root=tree))
    assert got == ["z.yaml", "app/deploy.yaml", "app/svc.yml", "app/values.json", "build/keep.yaml", "charts/c/templates/t.yaml"]


@pytest.mark.parametrize(
    ("exclude", "gone"),
    [
        (["charts/**"], "charts/c/templates/t.yaml"),
        (["charts"], "charts/c/templates/t.yaml"),
        (["*.yml"], "app/svc.yml"),
        (["app/values.json"], "app/values.json"),
    ],
)
def test_exclude_globs(tree: pathlib.Path, exclude: list[str], gone: str) -> None:
    got = names(collect([str(tree)], exclude=exclude, root=tree))
    assert gone not in got and "z.yaml" in got


def test_explicit_files_are_read_whatever_their_extension_and_once(tree: pathlib.Path) -> None:
    readme = str(tree / "app/README.md")
    got = names(collect([readme, str(tree / "app"), readme], root=tree))
    assert got.count("app/README.md") == 1 and "app/deploy.yaml" in got


def test_stdin_and_missing_path(tree: pathlib.Path) -> None:
    assert names(collect(["-"], root=tree)) == ["-"]
    with pytest.raises(SourceError, match="no such file"):
        collect([str(tree / "nope")], root=tree)


# --- .gitignore as git reads it: git itself is the oracle --------------------------------------

GITIGNORE_CASES = {
    "dir-only pattern": ("logs/\n", ["logs/a.yaml", "src/logs/b.yaml", "logs.yaml"]),
    "anchored pattern": ("/top.yaml\n", ["top.yaml", "sub/top.yaml"]),
    "negation after a folder glob": ("gen/*\n!gen/keep.yaml\n", ["gen/x.yaml", "gen/keep.yaml"]),
    "no re-include under an ignored folder": ("gen/\n!gen/keep.yaml\n", ["gen/x.yaml", "gen/keep.yaml"]),
    "double star": ("**/tmp/**\n", ["tmp/a.yaml", "a/tmp/b/c.yaml", "tmpx/d.yaml"]),
    "character class and escape": ("[ab].yaml\n\\#x.yaml\n", ["a.yaml", "c.yaml", "#x.yaml"]),
    "trailing spaces and comments": ("# c.yaml\nd.yaml   \n", ["c.yaml", "d.yaml"]),
    "nested .gitignore wins": ("*.json\n", ["a.json", "sub/b.json"], {"sub/.gitignore": "!b.json\n"}),
    "middle slash anchors": ("a/b.yaml\n", ["a/b.yaml", "x/a/b.yaml"]),
}


def _git(repo: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _git_repo(repo: pathlib.Path, gitignore: str, files: list[str], nested: dict[str, str]) -> None:
    _git(repo, "init", "-q")
    (repo / ".gitignore").write_text(gitignore)
    for rel, text in nested.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    for f in files:
        (repo / f).parent.mkdir(parents=True, exist_ok=True)
        (repo / f).write_text("a: 1\n")


@pytest.mark.parametrize("case", list(GITIGNORE_CASES), ids=list(GITIGNORE_CASES))
def test_gitignore_agrees_with_git(tmp_path: pathlib.Path, case: str) -> None:
    gitignore, files, *rest = GITIGNORE_CASES[case]
    nested = rest[0] if rest else {}
    _git_repo(tmp_path, gitignore, files, nested)
    expected = sorted(
        p for p in _git(tmp_path, "ls-files", "--others", "--cached", "--exclude-standard").splitlines() if p.endswith((".yaml", ".json"))
    )
    assert sorted(names(collect([str(tmp_path)], root=tmp_path))) == expected


def test_the_repository_root_gitignore_applies_to_a_sub_folder(tmp_path: pathlib.Path) -> None:
    _git_repo(tmp_path, "generated/\n*.bak.yaml\n", ["k8s/app.yaml", "k8s/generated/x.yaml", "k8s/old.bak.yaml"], {})
    got = names(collect([str(tmp_path / "k8s")], root=tmp_path))
    assert got == ["k8s/app.yaml"]


def test_a_tracked_file_is_never_hidden(tmp_path: pathlib.Path) -> None:
    _git_repo(tmp_path, "gen/\n*.local.yaml\n", ["gen/tracked.yaml", "gen/untracked.yaml", "a.local.yaml", "b.local.yaml"], {})
    _git(tmp_path, "add", "-f", "gen/tracked.yaml", "a.local.yaml")
    got = sorted(names(collect([str(tmp_path)], root=tmp_path)))
    assert got == ["a.local.yaml", "gen/tracked.yaml"]


# --- entries that are not plain files or folders ------------------------------------------------


def test_a_fifo_in_a_folder_is_a_notice_and_never_waited_on(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    w = collect([str(tmp_path)], root=tmp_path)
    assert names(w) == ["a.yaml"]
    assert [s.render() for s in w.notices] == ["pipe.yaml: a named pipe: skipped (name it on the command line to read it)"]
    assert not w.errors


def test_a_named_fifo_is_a_stream(tmp_path: pathlib.Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    w = collect([str(tmp_path / "pipe")], root=tmp_path)
    assert [(i.stream, i.path) for i in w.inputs] == [(True, tmp_path / "pipe")]


def test_a_socket_in_a_folder_is_a_notice_and_a_named_device_an_error(tmp_path: pathlib.Path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "sock.yaml"))
        w = collect([str(tmp_path), "/dev/null"], root=tmp_path)
    assert [s.render() for s in w.notices] == ["sock.yaml: a socket: skipped (name it on the command line to read it)"]
    assert [(s.display, s.error) for s in w.errors] == [("/dev/null", True)]
    assert "a device" in w.errors[0].reason


def test_a_symlinked_folder_is_followed_once_and_a_loop_is_a_notice(tmp_path: pathlib.Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")  # the same folder twice: read once
    (tmp_path / "real" / "back").symlink_to(tmp_path)  # a loop
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    w = collect([str(tmp_path)], root=tmp_path)
    assert names(w) == ["link/a.yaml"]
    assert sorted(s.render() for s in w.notices) == [
        "dangling.yaml: a broken symbolic link",
        "link/back: a symbolic link loop: not followed",
    ]


def test_a_deep_tree_is_walked_without_recursion() -> None:
    # Outside pytest's tmp_path: its clean-up (shutil.rmtree) recurses and cannot remove it.
    top = tempfile.mkdtemp(prefix="guardrails-deep-")
    d, made = top, []
    try:
        for _ in range(1200):
            d += "/d"
            os.mkdir(d)
            made.append(d)
        pathlib.Path(d, "x.yaml").write_text("a: 1\n")
        assert len(collect([top], root=pathlib.Path(top)).inputs) == 1
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pathlib.Path(d, "x.yaml"))
        for sub in reversed(made):
            os.rmdir(sub)
        os.rmdir(top)


def test_an_unreadable_folder_is_an_error_and_the_rest_is_read() -> None:
    with world_dir() as d:
        (d / "ok.yaml").write_text("a: 1\n")
        (d / "locked").mkdir()
        (d / "locked" / "x.yaml").write_text("a: 1\n")
        (d / "locked").chmod(0)
        with as_nobody():
            w = collect([str(d)], root=d)
        assert names(w) == ["ok.yaml"]
        assert [(s.display, s.reason, s.error) for s in w.errors] == [("locked", "cannot read folder: Permission denied", True)]


def test_hidden_entries_are_left_out_on_request(tmp_path: pathlib.Path) -> None:
    # A ConfigMap volume: `..data` and a timestamped folder hold the real files behind links.
    (tmp_path / "..2026_01").mkdir()
    (tmp_path / "..2026_01" / "rule.yaml").write_text("a: 1\n")
    (tmp_path / "..data").symlink_to("..2026_01")
    (tmp_path / "rule.yaml").symlink_to("..data/rule.yaml")
    assert names(collect([str(tmp_path)], root=tmp_path, hidden=False)) == ["rule.yaml"]


def test_a_process_substitution_is_read_by_scan(tmp_path: pathlib.Path, repo: pathlib.Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    bad = (repo / "examples" / "bad").glob("*.yaml")
    text = next(iter(sorted(bad))).read_bytes()

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(text)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    from guardrails.scan import scan

    report = scan([str(fifo)], root=tmp_path)
    t.join(5)
    assert report.files == 1 and report.resources >= 1 and report.findings
