"""Which files a scan reads."""

from __future__ import annotations

import pathlib

import pytest

from guardrails.errors import SourceError
from guardrails.sources.walk import collect


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


def names(inputs: list) -> list[str]:  # type: ignore[type-arg]
    return [i.display for i in inputs]


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
