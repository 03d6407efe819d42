"""`--format`/`--output` pairs: each --output belongs to the --format just before it."""

from __future__ import annotations

import pytest

from guardrails import cli
from guardrails.commands import scan as scan_cmd
from guardrails.errors import UsageError

OK = [
    ([], [("text", None)]),
    (["-f", "json"], [("json", None)]),
    (["--format", "sarif", "--output", "a.sarif", "--format", "text"], [("sarif", "a.sarif"), ("text", None)]),
    (["--format", "text", "--format", "sarif", "--output", "a.sarif"], [("text", None), ("sarif", "a.sarif")]),
    (["-o", "report.txt"], [("text", "report.txt")]),
    (["-f", "junit", "-o", "j.xml", "-f", "html", "-o", "r.html", "-f", "github"],
     [("junit", "j.xml"), ("html", "r.html"), ("github", None)]),
]

BAD = [
    (["-f", "text", "-f", "json"], "only one format can go to standard output"),
    (["-f", "sarif", "-o", "a", "-o", "b"], "--output b: the --format before it already goes to a"),
    (["-f", "yaml"], "unknown format 'yaml'"),
    (["-f", "sarif", "-o", "x", "-f", "json", "-o", "x"], "two formats write to the same --output file"),
]


def parse(flags: list[str]) -> list[tuple[str, str | None]]:
    return scan_cmd._outputs(cli.build_parser().parse_args(["scan", ".", *flags]))


@pytest.mark.parametrize(("flags", "expected"), OK, ids=[" ".join(f) or "default" for f, _ in OK])
def test_pairs(flags: list[str], expected: list[tuple[str, str | None]]) -> None:
    assert parse(flags) == expected


@pytest.mark.parametrize(("flags", "message"), BAD, ids=[m for _, m in BAD])
def test_refused(flags: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(flags)
