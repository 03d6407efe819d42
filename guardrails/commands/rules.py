"""`guardrails rules list|show|lint|docs`: what rules are loaded, one rule in full, every rule-file
problem, and the Markdown reference."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import pathlib
from typing import Any

from guardrails.commands import ruledocs
from guardrails.config import Flags, merge
from guardrails.errors import GuardrailsError, RuleFileError, UsageError
from guardrails.model import remediation_parts
from guardrails.policy import lint, profiles
from guardrails.policy.load import lint_rules, rule_walk
from guardrails.policy.parameters import Parameter, describe_value

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  guardrails rules list                      the built-in rules
  guardrails rules list --rules policies/    your rules
  guardrails rules show no-latest-tag
  guardrails rules list --profile restricted --format markdown
  guardrails rules lint policies/            every problem, with file:line:col
  guardrails rules docs > docs/rules.md      the reference of every built-in rule
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "rules",
        help="list, show and lint rules",
        description="List, show and lint guardrails rules.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    actions = (
        ("list", "list the loaded rules"),
        ("show", "show one rule"),
        ("lint", "check rule files"),
        ("docs", "write the Markdown reference of the rules"),
    )
    for name, helptext in actions:
        q = rsub.add_parser(name, help=helptext, description=helptext.capitalize() + ".")
        if name == "show":
            q.add_argument("name", metavar="NAME")
        if name == "lint":
            q.add_argument("paths", nargs="+", metavar="PATH")
            q.add_argument("--strict", action="store_true", help="treat warnings (unknown kinds) and skipped rules (kinds that cannot be evaluated) as errors")
        else:
            q.add_argument("--rules", "-r", action="append", default=[], metavar="PATH", help="rule file or folder (default: the built-in rules)")
            q.add_argument(
                "--profile", action="append", default=[], metavar="NAME",
                help=profiles.flag_help()
                + (" (default: all)" if name == "docs" else ""),
            )
        if name == "list":
            q.add_argument("--format", choices=("text", "markdown"), default="text")


def run(args: argparse.Namespace, io: Any) -> int:
    if args.rules_command == "lint":
        return _lint(args, io)
    # The rules `scan` would load here: the same merge of flags and `.guardrails.yaml`.
    loader = merge(Flags(rules=tuple(args.rules), profiles=tuple(args.profile))).rules
    if args.rules_command == "docs" and not args.profile and loader.profiles is None:
        loader = dataclasses.replace(loader, profiles=("all",))  # the reference covers every rule
    ruleset = loader()
    if args.rules_command == "docs":
        io.stdout.write(ruledocs.reference(ruleset.rules, ruleset.parameters))
        return 0
    if args.rules_command == "list":
        if args.format == "markdown":
            io.stdout.write(ruledocs.table(ruleset.rules))
        else:
            width = max((len(r.id) for r in ruleset.rules), default=4)
            for r in ruleset.rules:
                io.stdout.write(f"{r.id:<{width}}  {r.severity!s:<8}  {r.action!s:<5}  {r.title}\n")
        return 0
    # By unique id; a rule's bare name too when only one rule carries it.
    found = [r for r in ruleset.rules if r.id == args.name] or [r for r in ruleset.rules if r.name == args.name]
    if len(found) > 1:
        raise UsageError(f"{len(found)} rules are named {args.name!r}", hint="name one by its id: " + ", ".join(r.id for r in found))
    if found:
        r = found[0]
        prose, code = remediation_parts(r.remediation)
        rows = [
            ("name", r.id),
            ("title", r.title),
            ("severity", str(r.severity)),
            ("action", str(r.action)),
            ("check", r.check_key),
            ("profiles", ", ".join(r.profiles)),
            ("source", str(r.source)),
            ("description", r.description.strip()),
            ("remediation", prose),
            # the configuration to write, as code: every line under the column, its indentation kept
            *(("", c) for _, c in code),
        ]
        rows += [("reference", ref) for ref in r.references]
        for k, v in rows:
            if v:
                rest = "".join("\n" + (" " * 13 + line if line else "") for line in v.splitlines()[1:])
                io.stdout.write(f"{k + ':' if k else '':<13}{v.splitlines()[0]}{rest}\n")
        _parameters([p for p in ruleset.parameters if p.rule == r.id], io)
        return 0
    names = [r.id for r in ruleset.rules]
    import difflib

    close = difflib.get_close_matches(args.name, names, n=1)
    raise UsageError(f"no rule named {args.name!r}", hint=f"did you mean {close[0]!r}?" if close else "run guardrails rules list")


def _parameters(params: list[Parameter], io: Any) -> None:
    """Each parameter: what it is, its schema, its default, the value in force and where it was set."""
    if not params:
        return
    io.stdout.write("parameters:  set in .guardrails.yaml under parameters: {" + params[0].rule + ": {NAME: value}}\n")
    for p in params:
        field = ".".join(map(str, p.field))
        io.stdout.write(f"  {p.name}  (spec.{field})" + (f"  {p.description.strip()}" if p.description else "") + "\n")
        io.stdout.write(f"    schema:   {describe_value(p.schema)}\n")
        marked = f"  (placeholder: {p.placeholder})" if p.placeholder else ""
        io.stdout.write(f"    default:  {describe_value(p.default)}{marked}\n")
        if p.configured:
            io.stdout.write(f"    value:    {describe_value(p.value)}  (from {p.source})\n")
        elif p.placeholder:
            io.stdout.write(f"    value:    the default, a placeholder: set {p.placeholder}\n")
        else:
            io.stdout.write("    value:    the default\n")


def _where(e: GuardrailsError) -> tuple[str, int, int]:
    loc = e.location
    return (loc.path, loc.line, loc.column) if loc else ("", 0, 0)


def _lint(args: argparse.Namespace, io: Any) -> int:
    ruleset, problems = lint_rules(args.paths)
    files = [(f, _display(f)) for f in rule_walk(args.paths)[0]]  # lint_rules reports what cannot be read
    dead, warnings = lint.lint_paths(files)
    warnings = [*ruleset.warnings, *warnings]
    # Rules we load and cannot evaluate (every match a SKIP), and documents we cannot apply.
    skips = [f"{r.source}: {r.id}: {r.unsupported}" for r in ruleset.unsupported]
    skips += [d.render() for d in ruleset.skipped if d.unsupported]
    if args.strict:
        dead, warnings = dead + warnings, []
        dead += [RuleFileError(f"skipped: {s}") for s in skips]
    # Problems in file order; within a document the schema's most relevant one comes first.
    problems = sorted([lint.pinpoint(p) for p in [*problems, *dead]], key=_where)
    for p in problems:
        io.stdout.write(p.render() + "\n")
    for w in warnings:
        io.stdout.write(f"warning: {w.render()}\n")
    if not args.strict:
        for line in skips:
            io.stdout.write(f"skip: {line}\n")
    neighbours = collections.Counter(d.what for d in ruleset.skipped if not d.unsupported)
    if neighbours:
        total = sum(neighbours.values())
        kinds = ", ".join(f"{n} × {what}" for what, n in sorted(neighbours.items()))
        io.stdout.write(f"{total} other document{'s' if total != 1 else ''} skipped (not rules): {kinds}\n")
    n = len(ruleset.rules)
    nfiles = f"{len(ruleset.files)} file{'s' if len(ruleset.files) != 1 else ''}"
    if problems:
        io.stdout.write(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {nfiles}\n")
        return 2
    skipped = f" ({len(skips)} skipped: cannot be evaluated, --strict fails them)" if skips else ""
    io.stdout.write(f"{n} rule{'s' if n != 1 else ''} in {nfiles}{skipped}: ok\n")
    return 0


def _display(path: pathlib.Path) -> str:
    try:
        return path.resolve().relative_to(pathlib.Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
