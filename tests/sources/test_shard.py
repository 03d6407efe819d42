"""`--shard I/N`: a deterministic split whose union is exactly a single run."""

from __future__ import annotations

import collections
import pathlib

import pytest

from guardrails.errors import UsageError
from guardrails.scan import scan
from guardrails.sources import shard, walk
from tests.scanning import RULES, make_repo


@pytest.mark.parametrize(("text", "expected"), [("1/1", (1, 1)), ("2/4", (2, 4)), ("4/4", (4, 4))])
def test_parse(text: str, expected: tuple[int, int]) -> None:
    assert shard.parse(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "2", "a/b", "1/2/3", "-1/2", ""])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="expected I/N with 1 <= I <= N"):
        shard.parse(text)


def test_shards_partition_the_inputs(tmp_path: pathlib.Path) -> None:
    make_repo(tmp_path, files=60)
    inputs = list(walk.collect([str(tmp_path)], root=tmp_path).inputs)
    parts = [shard.select(inputs, (i, 4)) for i in range(1, 5)]
    seen = collections.Counter(inp.display for part in parts for inp in part)
    assert set(seen) == {i.display for i in inputs} and set(seen.values()) == {1}
    assert all(parts), "60 files over 4 shards leave none empty"
    # deterministic: the same split from the same paths, whatever else is in the set
    assert [shard.select(inputs[::-1], (2, 4))] == [list(reversed(parts[1]))]


def test_a_file_keeps_its_shard_when_others_come_and_go() -> None:
    before = {p: shard.shard_of(p, 8) for p in (f"k8s/app{i}.yaml" for i in range(50))}
    assert before == {p: shard.shard_of(p, 8) for p in reversed(list(before))}
    assert shard.shard_of("-", 8) == 1


def test_union_of_shards_is_a_single_run(tmp_path: pathlib.Path) -> None:
    make_repo(tmp_path, files=40)

    def key(report: object) -> list[tuple[str, str, str, int]]:
        return sorted((f.rule, f.origin.path, f.message, f.location.line if f.location else 0)
                      for f in report.findings)  # type: ignore[attr-defined]

    whole = scan([str(tmp_path)], rules=RULES, root=tmp_path)
    shards = [scan([str(tmp_path)], rules=RULES, root=tmp_path, shard=(i, 3)) for i in (1, 2, 3)]
    assert key(whole) and sorted(x for s in shards for x in key(s)) == key(whole)
    assert sum(s.files for s in shards) == whole.files
    assert sum(s.resources for s in shards) == whole.resources


@pytest.mark.parametrize(("value", "expected"), [(None, ""), ((2, 4), "guardrails/shard-2-of-4")])
def test_category(value: tuple[int, int] | None, expected: str) -> None:
    assert shard.category(value) == expected
