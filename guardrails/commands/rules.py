"""`guardrails rules list|show|lint`: what rules are loaded, one rule in full, every rule-file problem."""

from __future__ import annotations

import argparse
from typing import Any

from guardrails.errors import GuardrailsError, UsageError
from guardrails.policy.load import lint_rules, load_rules

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  guardrails rules list                      the built-in rules
  guardrails rules list --rules policies/    your rules
  guardrails rules show no-latest-tag
  guardrails rules lint policies/            every problem, with file:line:col
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
    for name, helptext in (("list", "list the loaded rules"), ("show", "show one rule"), ("lint", "check rule files")):
        q = rsub.add_parser(name, help=helptext, description=helptext.capitalize() + ".")
        if name == "show":
            q.add_argument("name", metavar="NAME")
        if name == "lint":
            q.add_argument("paths", nargs="+", metavar="PATH")
        else:
            q.add_argument("--rules", "-r", action="append", default=[], metavar="PATH")
            q.add_argument("--profile", action="append", default=[], metavar="NAME")
        if name == "list":
            q.add_argument("--format", choices=("text", "markdown"), default="text")


def run(args: argparse.Namespace, io: Any) -> int:
    if args.rules_command == "lint":
        return _lint(args, io)
    ruleset = load_rules(args.rules, builtin=not args.rules, profiles=tuple(args.profile) or None)
    if args.rules_command == "list":
        if args.format == "markdown":
            io.stdout.write("| rule | severity | action | title |\n|---|---|---|---|\n")
            for r in ruleset.rules:
                io.stdout.write(f"| `{r.name}` | {r.severity} | {r.action} | {r.title} |\n")
        else:
            width = max((len(r.name) for r in ruleset.rules), default=4)
            for r in ruleset.rules:
                io.stdout.write(f"{r.name:<{width}}  {r.severity!s:<8}  {r.action!s:<5}  {r.title}\n")
        return 0
    for r in ruleset.rules:
        if r.name == args.name:
            rows = [
                ("name", r.name),
                ("title", r.title),
                ("severity", str(r.severity)),
                ("action", str(r.action)),
                ("check", r.check_key),
                ("source", str(r.source)),
                ("description", r.description.strip()),
                ("remediation", r.remediation.strip()),
            ]
            rows += [("reference", ref) for ref in r.references]
            for k, v in rows:
                if v:
                    io.stdout.write(f"{k + ':':<13}{v}\n")
            return 0
    names = [r.name for r in ruleset.rules]
    import difflib

    close = difflib.get_close_matches(args.name, names, n=1)
    raise UsageError(f"no rule named {args.name!r}", hint=f"did you mean {close[0]!r}?" if close else "run guardrails rules list")


def _lint(args: argparse.Namespace, io: Any) -> int:
    ruleset, problems = lint_rules(args.paths)
    def where(p: GuardrailsError) -> tuple[str, int, int]:
        loc = p.location
        return (loc.path, loc.line, loc.column) if loc else ("", 0, 0)

    for p in sorted(problems, key=where):
        io.stdout.write(p.render() + "\n")
    for w in ruleset.warnings:
        io.stdout.write(f"warning: {w.render()}\n")
    n = len(ruleset.rules)
    if problems:
        io.stdout.write(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {len(ruleset.files)} files\n")
        return 2
    io.stdout.write(f"{n} rule{'s' if n != 1 else ''} in {len(ruleset.files)} files: ok\n")
    return 0
