"""`guardrails scan`: judge manifests (and Terraform plans) against the rules, report, exit 0/1/2."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import pathlib
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from guardrails import reporters
from guardrails.config import WALL, Flags, Settings, merge
from guardrails.errors import SourceError, UsageError
from guardrails.model import Location
from guardrails.policy import profiles
from guardrails.report import ScanReport
from guardrails.scan import FileResult, scan

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  guardrails scan k8s/                                  built-in rules, text report
  guardrails scan . --rules policies/ --fail-on high    your rules; fail on high and critical
  kustomize build overlays/prod | guardrails scan -     from standard input
  guardrails scan charts/ --helm --helm-values prod.yaml    render Helm charts with helm template
  helm template charts/app | guardrails scan -          or pipe a render in
  guardrails scan overlays/ --kustomize                render kustomizations with kubectl kustomize
  terraform show -json plan.out | guardrails scan -     a Terraform plan, by resource address
  guardrails scan . --format sarif --output guardrails.sarif --format text
  guardrails scan . --write-baseline .guardrails-baseline.json     adopt on an old repository
  guardrails scan . --baseline .guardrails-baseline.json           then fail only on new findings
  guardrails scan . --shard 2/4 --format sarif --output shard-2.sarif
"""


def add_parser(sub: Any) -> None:
    fmts = ", ".join(f"{n} ({d})" for n, (_, d) in reporters.FORMATS.items())
    p = sub.add_parser(
        "scan",
        help="scan manifests and plans",
        description="Scan Kubernetes manifests (files, folders, - for stdin) against guardrails rules.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    p.add_argument("--rules", "-r", action="append", default=[], metavar="PATH", help="rule file or folder (repeatable); default: the built-in rules")
    p.add_argument("--builtin", action="store_true", help="also use the built-in rules when --rules is given")
    p.add_argument("--profile", action="append", default=[], metavar="NAME", help=profiles.flag_help())
    p.add_argument("--format", "-f", action=_FormatAction, dest="reports", metavar="FORMAT", help=f"output format (repeatable): {fmts}")
    p.add_argument("--output", "-o", action=_OutputAction, dest="reports", metavar="FILE", help="write the --format just before it to FILE (repeatable)")
    p.add_argument("--fail-on", metavar="SEVERITY", help="exit 1 when a finding is at least this severe: info, low (default), medium, high, critical")
    p.add_argument("--fail-on-skip", action="store_true", default=None, help="exit 1 when a rule could not be evaluated where it matched (a kind or rule type guardrails cannot evaluate)")
    p.add_argument("--fail-on-empty", action="store_true", help="exit 2 when no file is found to scan (without it: a notice)")
    p.add_argument("--only", action="append", default=[], metavar="RULE", help="run only these rules (names or globs; repeatable or comma-separated)")
    p.add_argument("--skip", action="append", default=[], metavar="RULE", help="do not run these rules (names or globs; repeatable or comma-separated)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    p.add_argument("--isolation", choices=("on", "off"), default=None,
                   help="Gatekeeper Rego in supervised worker processes, killed past the budget or on a crash "
                        "(on, the default) or in-process (off); also `isolation:` in settings and GUARDRAILS_ISOLATION")
    p.add_argument("--now", metavar="TIME",
                   help="evaluation time of policies that read the clock (Kyverno's CEL time.now(), JMESPath time_now), "
                        "RFC 3339 such as 2026-03-06T00:00:00Z; also `now:` in settings; without it those policies are "
                        "skipped, never judged by the machine's clock")
    p.add_argument("--jobs", "-j", type=_jobs, default="auto", metavar="N|auto",
                   help="spread the scan over N processes (same result as 1); auto (the default): one per usable CPU "
                        "when the scan has 200 files or 4 MiB or more, else serial")
    p.add_argument("--baseline", metavar="FILE", help="report only findings that FILE does not record (see --write-baseline)")
    p.add_argument("--write-baseline", metavar="FILE", help="record today's findings in FILE; later scans with --baseline FILE report only new ones")
    p.add_argument("--shard", metavar="I/N", help="scan only the I-th of N deterministic shares of the files (a CI matrix of N jobs)")
    p.add_argument("--fail-on-unknown", action="store_true", default=None, help="Terraform plans: a value known only after apply fails the rules that read it (default: each rule's own `unknown` mode)")
    p.add_argument("--tf-dir", metavar="DIR", help="Terraform plans: the root module's folder, to report findings at their .tf lines (default: beside the plan, else the working directory)")
    p.add_argument("--all-resources", action="store_true", help="Terraform plans: also judge resources being deleted, unchanged or read")
    p.add_argument("--helm", action="store_true", help="render Helm charts (folders with a Chart.yaml) with `helm template` and judge the result (default: their templates are skipped and counted)")
    p.add_argument("--helm-values", action="append", default=[], metavar="FILE", help="values file passed to helm template (repeatable; implies --helm)")
    p.add_argument("--kustomize", action="store_true", help="render kustomizations (folders with a kustomization.yaml) with `kubectl kustomize` and judge the result, findings named by the file each resource came from (default: patches are skipped and counted)")
    p.add_argument("--helm-set", action="append", default=[], metavar="KEY=VALUE", help="--set passed to helm template (repeatable; implies --helm)")
    p.add_argument("--quiet", "-q", action="store_true", help="text output: findings and errors only (no notices or summary); the exit code is unchanged")
    p.add_argument("--no-progress", action="store_true", help="never draw the progress line (default: on a terminal's stderr, outside CI, for scans longer than half a second)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour the text output (auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it)")
    p.add_argument("--config", metavar="FILE", help="settings file (default: nearest .guardrails.yaml upwards)")


class _FormatAction(argparse.Action):
    """`--format F` starts a report; it goes to stdout unless an `--output` follows it."""

    def __call__(self, parser: Any, ns: argparse.Namespace, value: Any, option: str | None = None) -> None:
        ns.reports = [*(ns.reports or []), [value, None]]


class _OutputAction(argparse.Action):
    """`--output FILE` sends the report of the `--format` just before it to FILE."""

    def __call__(self, parser: Any, ns: argparse.Namespace, value: Any, option: str | None = None) -> None:
        reports = list(ns.reports or [])
        if not reports:
            reports = [[_format_of(value), None]]  # `--output FILE` alone: the format its name says
        if reports[-1][1] is not None:
            raise UsageError(f"--output {value}: the --format before it already goes to {reports[-1][1]}",
                             hint="give each --output its own --format")
        reports[-1] = [reports[-1][0], value]
        ns.reports = reports


# A file name's ending -> the format `--output FILE` writes without a `--format` before it.
EXTENSIONS = {".sarif": "sarif", ".sarif.json": "sarif", ".json": "json", ".xml": "junit", ".html": "html", ".htm": "html", ".txt": "text", ".log": "text"}


def _format_of(path: str) -> str:
    name = pathlib.Path(path).name.lower()
    for ending in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ending):
            return EXTENSIONS[ending]
    raise UsageError(
        f"--output {path}: cannot tell the format from the file name",
        hint=f"put --format F before it, or use a name ending in {', '.join(EXTENSIONS)}",
    )


def _outputs(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """Each --format with the --output that follows it; formats without one go to stdout."""
    pairs: list[tuple[str, str | None]] = [(f, o) for f, o in (args.reports or [["text", None]])]
    for f, _ in pairs:
        if f not in reporters.FORMATS:
            import difflib

            close = difflib.get_close_matches(f, list(reporters.FORMATS), n=1, cutoff=0.75)
            raise UsageError(
                f"unknown format {f!r}",
                hint=(f"did you mean {close[0]!r}? " if close else "") + f"use one of {', '.join(reporters.FORMATS)}",
            )
    if sum(1 for _, o in pairs if o is None) > 1:
        raise UsageError("only one format can go to standard output", hint="add --output FILE after the others")
    files = [o for _, o in pairs if o is not None]
    if len(set(files)) != len(files):
        raise UsageError("two formats write to the same --output file", hint="give each its own file")
    return pairs


def settings(args: argparse.Namespace) -> Settings:
    return merge(
        Flags(
            config=args.config,
            rules=tuple(args.rules),
            builtin=args.builtin,
            profiles=tuple(args.profile),
            only=tuple(args.only),
            skip=tuple(args.skip),
            exclude=tuple(args.exclude),
            fail_on=args.fail_on,
            fail_on_unknown=bool(args.fail_on_unknown),
            helm=bool(getattr(args, "helm", False)),
            helm_values=tuple(getattr(args, "helm_values", ())),
            helm_set=tuple(getattr(args, "helm_set", ())),
            kustomize=bool(getattr(args, "kustomize", False)),
            fail_on_skip=bool(args.fail_on_skip),
            isolation=getattr(args, "isolation", None),  # audit shares this and has no flag
            now=getattr(args, "now", None),
        )
    )


def run(args: argparse.Namespace, io: Any) -> int:
    outputs = _outputs(args)
    merged = settings(args)
    if merged.now == WALL:
        # A scan's verdict must not depend on when CI happens to run it; admission really happens now.
        raise UsageError("a scan takes a fixed evaluation time, not wall (the real clock is for guardrails serve)",
                         hint="give --now 2026-03-06T00:00:00Z (or now: TIME in the scan's settings file)")
    if args.tf_dir is not None:
        _check_tf_dir(args.tf_dir)
    fail_on = merged.fail_on
    shard = _parse_shard(args.shard) if args.shard else None
    known = _read_baseline(args.baseline) if args.baseline else None
    from guardrails.commands import progress as progress_line  # a helper module, not a subcommand

    line = progress_line.Progress(io.stderr) if progress_line.wanted(io.stderr, quiet=args.quiet, disabled=args.no_progress) else None
    from guardrails import isolation

    try:
        with isolation.chosen(merged.isolation):
            report = _scan(args, io, merged, shard, line)
    finally:
        if line is not None:
            line.clear()  # before any report reaches the same terminal
    # A new baseline records every finding of today, those an old --baseline hid included.
    if args.write_baseline:
        report = _write_baseline(report, args.write_baseline)
    elif known is not None:
        from guardrails import baseline

        report = baseline.apply(report, known, args.baseline)
    category = f"guardrails/shard-{shard[0]}-of-{shard[1]}" if shard else ""
    for fmt, out in outputs:
        writer = reporters.get(fmt)
        if out is None:
            color = _color(args.color, io.stdout)
            writer(report, io.stdout, reporters.ReportOptions(fail_on=fail_on, color=color, category=category, quiet=args.quiet))
        else:
            with _open_output(out) as fh:
                writer(report, fh, reporters.ReportOptions(fail_on=fail_on, category=category))
    if args.fail_on_empty and report.files == 0:
        raise UsageError(f"no files to scan under {', '.join(args.paths)}", hint="check the paths and --exclude (--fail-on-empty)")
    return report.exit_code(fail_on, fail_on_skip=merged.fail_on_skip)


def _scan(args: argparse.Namespace, io: Any, merged: Settings, shard: tuple[int, int] | None, progress: Callable[[FileResult], None] | None) -> ScanReport:
    return scan(
        args.paths,
        loader=merged.rules,
        exclude=merged.exclude,
        jobs=args.jobs,
        stdin=io.stdin,
        today=datetime.date.today(),
        shard=shard,
        all_resources=args.all_resources,
        fail_on_unknown=merged.fail_on_unknown,
        tf_dir=args.tf_dir,
        namespaces=merged.namespaces,
        helm=merged.helm,
        kustomize=merged.kustomize,
        clock=merged.clock(),
        progress=progress,
        # PolicyReports list what passed too, as Kyverno's do; no other format pays for it.
        passes=any(fmt == "policyreport" for fmt, _ in _outputs(args)),
    )


def _color(choice: str, stream: IO[str]) -> bool:
    """--color always|never wins; in auto, NO_COLOR (https://no-color.org) turns colour off,
    FORCE_COLOR on, and otherwise a terminal on standard output decides."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream is sys.stdout and stream.isatty()


def _check_tf_dir(path: str) -> None:
    folder = pathlib.Path(path)
    if not folder.is_dir():
        raise UsageError(f"--tf-dir {path}: not a folder")
    if not any(p.suffix == ".tf" for p in folder.iterdir()):
        raise UsageError(f"--tf-dir {path}: no .tf files there", hint="give the folder of the root module the plan was made from")


@contextlib.contextmanager
def _open_output(path: str) -> Iterator[IO[str]]:
    """Write to a temporary file beside `path`, renamed over it only when the report is whole:
    a reader never sees half a report, and a failed run leaves the previous one in place."""
    target = pathlib.Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise UsageError(f"--output {path}: cannot write: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"--output {path}: cannot write: {e.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _jobs(text: str) -> int | str:
    """`--jobs`: a count of at least 1, or `auto`."""
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of processes (at least 1) or auto")
    return n


def _parse_shard(text: str) -> tuple[int, int]:
    from guardrails.sources import shard  # hashlib stays off the pre-commit path unless sharding

    return shard.parse(text)


def _read_baseline(path: str) -> Any:
    from guardrails import baseline  # hashlib and json only when baselines are used

    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise SourceError(f"cannot read baseline: {e.strerror}", location=Location(path), hint="write one with --write-baseline FILE") from None
    return baseline.read(text, source=path)


def _write_baseline(report: ScanReport, path: str) -> ScanReport:
    """Record the report's findings; the run then reports them as baselined, as the next will."""
    from guardrails import baseline

    with _open_output(path) as fh:
        baseline.write(report.findings, lambda f: baseline.relative_path(report, f), fh)
    kept = [f for f in report.findings if f.status not in baseline.BASELINED]
    hidden = [f for f in report.findings if f.status in baseline.BASELINED]
    return baseline.hide(report, kept, hidden, path)
