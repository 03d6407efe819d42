"""`guardrails schema [NAME...] [--output DIR]`: the JSON Schemas of rule files, settings and the
JSON report, for editors and other tools.

One schema goes to standard output; `--output DIR` writes each named one (default: all) as
`DIR/NAME.schema.json`. `guardrails init` writes them the same way (`write`), so the modelines
in the files it scaffolds point at files that exist.
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Callable, Sequence
from typing import Any

from guardrails.errors import UsageError

__all__ = ["SCHEMAS", "add_parser", "file_name", "run", "text", "write"]

EXAMPLES = """examples:
  guardrails schema rule > rule.schema.json       the rule-file schema on standard output
  guardrails schema --output .guardrails/schema   every schema, as DIR/NAME.schema.json
  # yaml-language-server: $schema=.guardrails/schema/settings.schema.json   (first line of a YAML file)
"""


def _rule() -> str:
    from guardrails.policy import schema

    return schema.SCHEMA_FILE.read_text(encoding="utf-8") if schema.SCHEMA_FILE.is_file() else schema.render()


def _settings() -> str:
    from guardrails.policy.schema import settings

    return settings.SCHEMA_FILE.read_text(encoding="utf-8") if settings.SCHEMA_FILE.is_file() else settings.render()


def _report() -> str:
    from guardrails.reporters import json as json_report

    return pathlib.Path(json_report.__file__).with_name("schema").joinpath("report.json").read_text(encoding="utf-8")


# name -> (what it describes, its text)
SCHEMAS: dict[str, tuple[str, Callable[[], str]]] = {
    "rule": ("native rule files (Rule and Exception documents)", _rule),
    "settings": ("the settings file, .guardrails.yaml", _settings),
    "report": ("the JSON report (--format json)", _report),
}


def file_name(name: str) -> str:
    return f"{name}.schema.json"


def text(name: str) -> str:
    return SCHEMAS[name][1]()


def write(folder: pathlib.Path, names: Sequence[str] = tuple(SCHEMAS)) -> list[pathlib.Path]:
    """Write each schema as `folder/NAME.schema.json` (the folder made when missing)."""
    written: list[pathlib.Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{folder.as_posix()}: cannot create the folder: {e.strerror}") from None
    for name in names:
        target = folder / file_name(name)
        try:
            target.write_text(text(name), encoding="utf-8")
        except OSError as e:
            raise UsageError(f"{target.as_posix()}: cannot write: {e.strerror}") from None
        written.append(target)
    return written


def add_parser(sub: Any) -> None:
    listed = "; ".join(f"{n}: {d}" for n, (d, _) in SCHEMAS.items())
    p = sub.add_parser(
        "schema",
        help="write the JSON Schemas of rule files, settings and the JSON report",
        description=f"Print one JSON Schema, or write them into a folder. Schemas: {listed}.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help=f"which schemas: {', '.join(SCHEMAS)} (default: all, with --output)")
    p.add_argument("--output", "-o", metavar="DIR", help="write each as DIR/NAME.schema.json instead of printing one")


def run(args: argparse.Namespace, io: Any) -> int:
    names: list[str] = list(dict.fromkeys(args.names))
    for name in names:
        if name not in SCHEMAS:
            import difflib

            close = difflib.get_close_matches(name, list(SCHEMAS), n=1, cutoff=0.5)
            raise UsageError(
                f"unknown schema {name!r}",
                hint=(f"did you mean {close[0]!r}? " if close else "") + f"schemas: {', '.join(SCHEMAS)}",
            )
    if args.output is None:
        if len(names) != 1:
            raise UsageError(
                "name one schema to print, or write them with --output DIR",
                hint=f"guardrails schema {' | '.join(SCHEMAS)}, or guardrails schema --output .guardrails/schema",
            )
        io.stdout.write(text(names[0]))
        return 0
    for target in write(pathlib.Path(args.output), names or tuple(SCHEMAS)):
        io.stdout.write(f"wrote {target.as_posix()}\n")
    return 0
