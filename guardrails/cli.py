"""The `guardrails` command: parse, delegate to one subcommand module, render errors, exit.

`run(argv, stdin=, stdout=, stderr=) -> int` does everything but `sys.exit`, so tests drive
it with in-memory streams; `main()` only calls it and exits.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import sys
from collections.abc import Sequence
from typing import IO, Any

from guardrails.errors import GuardrailsError, UsageError

__all__ = ["IO_", "main", "run"]

# subcommand -> module in guardrails.commands (each: add_parser(subparsers), run(args, io))
COMMANDS: dict[str, str] = {
    "scan": "guardrails.commands.scan",
    "rules": "guardrails.commands.rules",
    "serve": "guardrails.commands.serve",
    "test": "guardrails.commands.test",
    "init": "guardrails.commands.init",
    "audit": "guardrails.commands.audit",
    "schema": "guardrails.commands.schema",
}


@dataclasses.dataclass(frozen=True, slots=True)
class IO_:
    stdin: IO[Any]
    stdout: IO[str]
    stderr: IO[str]


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing and exiting, with a did-you-mean."""

    argv: Sequence[str] = ()  # the command line being parsed (set by `run`)

    def error(self, message: str) -> Any:
        # The top-level parser reports its subcommands' unknown flags too: look them up there.
        command = self._command(_Parser.argv)
        hint = _suggest(message, self._choices(), command._options() if command else self._options())
        where = command.prog if command is not None else self.prog
        prefix = "" if where == "guardrails" else f"{where.removeprefix('guardrails ')}: "
        raise UsageError(f"{prefix}{message}", hint=(f"{hint} (see '{where} --help')" if hint else f"run '{where} --help'"))

    def _choices(self) -> list[str]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return list(action.choices)
        return []

    def _options(self) -> list[str]:
        return [o for action in self._actions for o in action.option_strings if o.startswith("--")]

    def _command(self, argv: Sequence[str]) -> _Parser | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for arg in argv:
                    if arg in action.choices:
                        sub = action.choices[arg]
                        return sub if isinstance(sub, _Parser) else None
        return None


def _suggest(message: str, commands: Sequence[str], options: Sequence[str]) -> str:
    """'did you mean ...?' for an unknown subcommand or flag in argparse's message."""
    import difflib
    import re

    m = re.search(r"invalid choice: '([^']*)'", message)
    if m and commands:
        close = difflib.get_close_matches(m.group(1), commands, n=1, cutoff=0.5)
        return f"did you mean '{close[0]}'?" if close else ""
    m = re.search(r"unrecognized arguments: (.*)", message)
    if m:
        for word in m.group(1).split():
            if word.startswith("--"):
                close = difflib.get_close_matches(word.split("=", 1)[0], options, n=1, cutoff=0.6)
                if close:
                    return f"did you mean {close[0]}?"
    return ""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with a known `command`, only that subcommand's module is imported, so
    `guardrails scan` never pays for the webhook's or the test runner's imports."""
    parser = _Parser(
        prog="guardrails",
        description="Policy-as-code guardrails for Kubernetes manifests, admission and Terraform plans.",
    )
    from guardrails.version import __version__

    parser.add_argument("--version", action="version", version=f"guardrails {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = [COMMANDS[command]] if command in COMMANDS else list(COMMANDS.values())
    for module in wanted:
        importlib.import_module(module).add_parser(sub)
    return parser


def run(
    argv: Sequence[str] | None = None,
    *,
    stdin: IO[Any] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    io = IO_(stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr)
    args_list = list(sys.argv[1:] if argv is None else argv)
    _Parser.argv = args_list
    try:
        parser = build_parser(args_list[0] if args_list else None)
        if not args_list:
            parser.print_help(io.stdout)
            return 2
        try:
            # argparse prints --help and --version to sys.stdout; keep them on our stream.
            with contextlib.redirect_stdout(io.stdout):
                args = parser.parse_args(args_list)
        except SystemExit as e:  # --help and --version exit 0 through argparse
            return int(e.code or 0)
        if args.command is None:
            parser.print_help(io.stdout)
            return 2
        module = importlib.import_module(COMMANDS[args.command])
        return int(module.run(args, io))
    except GuardrailsError as e:
        io.stderr.write(f"guardrails: {e.render()}\n")
        return 2
    except KeyboardInterrupt:
        io.stderr.write("guardrails: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


def main() -> None:
    sys.exit(run())
