"""`guardrails test [PATH...]`: find rule test files, run each through its format, report like a test runner.

Test files are recognised by content, not name: any YAML document whose apiVersion group and
kind are in `ruletest.FORMATS` (our `RuleTest`, Kyverno's `Test`, gator's `Suite`), and, as
Kyverno's CLI reads them, a `kyverno-test.yaml` written before its format had an apiVersion.
Exit 0 when every case passes, 1 on any mismatch (and, with --strict, on any skipped case), 2
when a test file itself is broken or no test file was found.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import pathlib
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from guardrails import ruletest
from guardrails.config import Flags, merge
from guardrails.errors import GuardrailsError, SourceError, UnreadableError, UsageError
from guardrails.model import FieldPath, Location
from guardrails.sources import documents, walk

__all__ = ["add_parser", "discover", "run"]

EXAMPLES = """examples:
  guardrails test                     every test file under the current folder
  guardrails test rules/              the built-in library's tests
  guardrails test policies/privileged.test.yaml --strict
  guardrails test -q                  only failures and the summary
"""

EXTENSIONS = (".yaml", ".yml")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "test",
        help="run rule unit tests (RuleTest, kyverno-test.yaml, gator suites)",
        description="Run rule unit tests: guardrails RuleTest files, Kyverno kyverno-test.yaml and gator suite.yaml.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="test files or folders (default: the current folder)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also fail on outcomes no expectation covers, and on cases that pass only because a rule did not apply",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="show only failing cases and the summary")
    p.add_argument("--now", type=_timestamp, metavar="TIME",
                   help="evaluation time for policies that read the clock (Kyverno's time.now()), RFC 3339 "
                        "such as 2026-03-06T00:00:00Z; without it those policies are skipped, never judged by the clock")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    p.add_argument("--config", metavar="FILE", help="settings file for `exclude` (default: nearest .guardrails.yaml upwards)")


def _timestamp(text: str) -> datetime.datetime:
    from guardrails.context import parse_time

    value = parse_time(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an RFC 3339 time with its zone (2026-03-06T00:00:00Z)")
    return value


def _kinds() -> tuple[str, ...]:
    return tuple({kind for _, kind in ruletest.FORMATS})


def _display(path: pathlib.Path) -> pathlib.Path:
    try:
        return path.resolve().relative_to(pathlib.Path.cwd().resolve())
    except ValueError:
        return path


def discover(paths: list[str], exclude: Sequence[str] = ()) -> Iterator[tuple[pathlib.Path, list[documents.Document] | GuardrailsError]]:
    """(file, its test documents) for every file holding at least one; unreadable ones as errors."""
    kinds = _kinds()
    for raw in paths:
        top = pathlib.Path(raw)
        if not os.path.lexists(top):
            raise UsageError(f"{raw}: no such file or folder", hint="give a test file or a folder holding test files")
        found = walk.collect([top], extensions=EXTENSIONS, exclude=exclude)
        for s in found.skipped:
            if s.error:
                yield pathlib.Path(s.display), UnreadableError(s.reason, location=Location(s.display))
        explicit = not top.is_dir()
        for inp in found.inputs:
            assert inp.path is not None
            f = inp.path
            shown = _display(f)
            try:
                text = documents.read_text(f, shown.as_posix())
            except UnreadableError as e:
                yield shown, e
                continue
            except SourceError as e:
                if explicit:  # in a folder, a binary file with a YAML name is no test file
                    yield shown, e
                continue
            legacy = f.name == ruletest.LEGACY_KYVERNO_NAME
            if not legacy and not any(f"kind: {k}" in text or f'"kind": "{k}"' in text for k in kinds):
                continue
            docs = []
            for d in documents.documents(text, shown.as_posix()):
                if isinstance(d, GuardrailsError):
                    yield shown, d
                    break
                if _format(d.data, f.name) is not None:
                    docs.append(d)
            else:
                if docs:
                    yield shown, docs
                elif legacy and explicit:
                    yield shown, SourceError(
                        "no Kyverno test in this file", location=Location(shown.as_posix()),
                        hint="a Kyverno test has policies, resources and results")


def _format(doc: Any, filename: str = "") -> str | None:
    if not isinstance(doc, Mapping):
        return None
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if api_version is None and kind is None and filename == ruletest.LEGACY_KYVERNO_NAME:
        # Kyverno's CLI reads any file of this name as its Test, apiVersion or not.
        return "guardrails.ruletest.kyverno" if {"policies", "results"} <= set(doc) else None
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return ruletest.FORMATS.get((group, kind))


def _locator(doc: documents.Document, path: pathlib.Path) -> ruletest.Locator:
    def locate(field: FieldPath) -> Location:
        return doc.locate(field, path.as_posix())

    return locate


def _case_line(c: ruletest.CaseResult, strict: bool) -> str:
    if c.skipped:
        if strict:
            return f"  FAIL  {c.name}: not evaluated (--strict) — {c.detail}"
        return f"  skip  {c.name}: {c.detail} (--strict fails this)"
    if c.ok and c.lenient:
        if strict:
            return f"  FAIL  {c.name}: expected {c.expected}, but the rule did not apply (--strict)"
        return f"  ok*   {c.name}: {c.expected} (the rule did not apply; --strict fails this)"
    if c.ok:
        return f"  ok    {c.name}: {c.expected}"
    text = f"  FAIL  {c.name}: expected {c.expected}, got {c.actual}"
    return f"{text} — {c.detail}" if c.detail else text


def run(args: argparse.Namespace, io: Any) -> int:
    start = time.perf_counter()
    passed = failed = skipped = errors = files = 0
    # Test files name their own rules; of the settings only `exclude` applies here.
    exclude = merge(Flags(config=args.config, exclude=tuple(args.exclude))).exclude
    for path, found in discover(args.paths or ["."], exclude):
        files += 1
        results: list[ruletest.FileResult]
        if isinstance(found, GuardrailsError):
            results = [ruletest.FileResult(path.as_posix(), errors=(found,))]
        else:
            results = []
            for doc in found:
                module = importlib.import_module(_format(doc.data, path.name) or "")
                results.append(module.run_file(path, doc.data, strict=args.strict, locate=_locator(doc, path),
                                               now=args.now))
        lines: list[str] = []
        for fr in results:
            if not fr.cases and not fr.errors:  # a test that checks nothing is no pass
                fr = ruletest.FileResult(fr.path, errors=(SourceError(
                    "this test has no cases: it checks nothing", location=Location(path.as_posix()),
                    hint="add result rows (Kyverno), results (RuleTest) or cases (gator)"),))
            for c in fr.cases:
                if c.skipped and not args.strict:
                    skipped += 1
                    lines.append(_case_line(c, args.strict))
                    continue
                ok = c.ok and not (args.strict and c.lenient)
                passed += ok
                failed += not ok
                if not (args.quiet and ok):
                    lines.append(_case_line(c, args.strict))
            for e in fr.errors:
                errors += 1
                lines.append(f"  ERROR {e.render()}")
        if lines:
            io.stdout.write(f"{path.as_posix()}\n" + "\n".join(lines) + "\n")
    if files == 0:
        where = ", ".join(args.paths) if args.paths else "the current folder"
        raise UsageError(
            f"no rule test files found under {where}",
            hint="a test file is a YAML document of kind RuleTest (see 'guardrails init'), kyverno-test.yaml or a gator suite",
        )
    seconds = time.perf_counter() - start
    parts = [f"{passed} passed", f"{failed} failed"]
    if skipped:
        parts.append(f"{skipped} skipped")
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    io.stdout.write(f"{', '.join(parts)} in {files} file{'s' if files != 1 else ''} ({seconds:.2f}s)\n")
    if errors:
        return 2
    return 1 if failed else 0
