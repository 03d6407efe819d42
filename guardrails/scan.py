"""`scan()`: inputs -> resources -> engine -> located findings -> ScanReport.

The orchestration edge behind `guardrails scan` and the library API. With `jobs > 1` (or
`jobs="auto"` on a large scan) files are spread over processes in contiguous chunks and merged back in input order, so the report is
identical to a serial run; forked workers inherit the engine built here (elsewhere each
compiles the rules once from the same `RuleLoader`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import pathlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from guardrails.config import RuleLoader
from guardrails.context import Clock, Context
from guardrails.engine import Engine
from guardrails.errors import GuardrailsError, SourceError, UnreadableError
from guardrails.model import Finding, Location, Resource, Status
from guardrails.policy.load import RuleSet
from guardrails.report import ScanReport, split_skips
from guardrails.rule import CompiledRule
from guardrails.sources import documents as yamldocs
from guardrails.sources import locate, walk
from guardrails.sources.render import helm as helm_
from guardrails.sources.render import kustomize as kz
from guardrails.sources.terraform import findings as plan_findings
from guardrails.sources.terraform import plan as terraform

if TYPE_CHECKING:
    import concurrent.futures

__all__ = ["RESOURCE_BUDGET", "FileResult", "RuleLoader", "scan", "scan_text"]

# Seconds one resource's rules may take together: past it the rule running is an ERROR finding
# naming it (and the resource), never a hang. Far above any honest rule set (~1 ms).
RESOURCE_BUDGET = 10.0


@dataclasses.dataclass(frozen=True, slots=True)
class FileResult:
    display: str
    findings: tuple[Finding, ...] = ()
    resources: int = 0
    skipped: int = 0
    problems: tuple[GuardrailsError, ...] = ()
    kinds: frozenset[str] = frozenset()  # of the resources judged (for the rules' notices)


@dataclasses.dataclass(slots=True)
class _Plan:
    """A Terraform plan in a file: its parsed JSON and the resources read from it, so its
    findings can be put in Terraform's words (and its secrets redacted) after judging."""

    data: Any
    resources: list[Resource]


def _resources(
    text: str,
    display: str,
    *,
    all_resources: bool,
    nodes: dict[int, Any] | None = None,
    plans: list[_Plan] | None = None,
) -> tuple[list[Resource], int, list[GuardrailsError]]:
    """Resources of one file, read as the API server stores them (nulls unset); `nodes` (when
    given) collects each document's parse tree by document index, and `plans` each Terraform
    plan with its resources."""
    resources: list[Resource] = []
    skipped = 0
    problems: list[GuardrailsError] = []
    for doc in yamldocs.documents(text, display, keep_nodes=nodes is not None, drop_nulls=True):
        if isinstance(doc, GuardrailsError):
            problems.append(doc)
            continue
        if nodes is not None and doc.node is not None:
            nodes[doc.index] = doc.node
        if terraform.is_plan(doc.data):
            found_problems: list[SourceError] = []
            found = terraform.resources(doc.data, display, all_resources=all_resources, problems=found_problems)
            resources.extend(found)
            problems.extend(found_problems)
            if plans is not None:
                plans.append(_Plan(doc.data, found))
            continue
        found, n = yamldocs.resources_of(doc, display)
        resources.extend(found)
        skipped += n
    return resources, skipped, problems


@dataclasses.dataclass(slots=True)
class _Parsed:
    """One file read and parsed: its resources, documents' node trees and plans, ready to judge."""

    display: str
    text: str
    resources: list[Resource]
    skipped: int
    problems: list[GuardrailsError]
    nodes: dict[int, Any]
    plans: list[_Plan]


def _parse(text: str, display: str, *, all_resources: bool) -> _Parsed:
    nodes: dict[int, Any] = {}
    plans: list[_Plan] = []
    resources, skipped, problems = _resources(text, display, all_resources=all_resources, nodes=nodes, plans=plans)
    return _Parsed(display, text, resources, skipped, problems, nodes, plans)


def _judge(parsed: _Parsed, engine: Engine, tf_dir: str | None = None) -> FileResult:
    """Judge a parsed file's resources and locate the findings in its text (a plan's in its
    .tf files, when they are in `tf_dir`, beside the plan or in the working directory)."""
    display = parsed.display
    findings: list[Finding] = []
    problems = list(parsed.problems)
    in_plans = {id(r) for p in parsed.plans for r in p.resources}
    for r in parsed.resources:
        if id(r) not in in_plans:
            findings.extend(engine.evaluate(r))
    for p in parsed.plans:
        found = [f for r in p.resources for f in engine.evaluate(r)]
        if found:
            found = plan_findings.terraform_words(found, p.resources, p.data)
            found, located_problems = _tf_locate(found, p.data, display, tf_dir)
            findings.extend(found)
            problems.extend(located_problems)
    if findings:
        findings = locate.locate_findings(findings, {display: parsed.text}, {display: parsed.nodes} if parsed.nodes else None)
        # Rules run one after another; readers expect the file's own order.
        findings.sort(key=lambda f: (f.location.line, f.location.column) if f.location else (f.origin.line, 0))
    return FileResult(display, tuple(findings), len(parsed.resources), parsed.skipped, tuple(problems),
                      frozenset(r.kind for r in parsed.resources))


def _stream(text: str, display: str, engine: Engine, *, all_resources: bool, tf_dir: str | None = None) -> FileResult:
    """`_judge(_parse(...))` one document at a time: each document's node tree and objects are
    dropped once its findings are located, so memory follows the largest document and the
    findings, not the file (a 17 MB file of 40,000 Deployments took 1.2 GB when every tree
    was kept until the end). Findings are the same, in the same order."""
    findings: list[Finding] = []
    problems: list[GuardrailsError] = []
    count = skipped = 0
    kinds: set[str] = set()
    texts = {display: text}
    for doc in yamldocs.documents(text, display, keep_nodes=True, drop_nulls=True):
        if isinstance(doc, GuardrailsError):
            problems.append(doc)
            continue
        if terraform.is_plan(doc.data):
            found_problems: list[SourceError] = []
            found = terraform.resources(doc.data, display, all_resources=all_resources, problems=found_problems)
            problems.extend(found_problems)
            judged = [f for r in found for f in engine.evaluate(r)]
            if judged:
                judged = plan_findings.terraform_words(judged, found, doc.data)
                judged, located_problems = _tf_locate(judged, doc.data, display, tf_dir)
                problems.extend(located_problems)
        else:
            found, n = yamldocs.resources_of(doc, display)
            skipped += n
            judged = [f for r in found for f in engine.evaluate(r)]
        count += len(found)
        kinds.update(r.kind for r in found)
        if judged:
            trees = {display: {doc.index: doc.node}} if doc.node is not None else None
            findings.extend(locate.locate_findings(judged, texts, trees))
    findings.sort(key=lambda f: (f.location.line, f.location.column) if f.location else (f.origin.line, 0))
    return FileResult(display, tuple(findings), count, skipped, tuple(problems), frozenset(kinds))


def scan_text(
    text: str, display: str, engine: Engine, *, all_resources: bool = False, tf_dir: str | None = None
) -> FileResult:
    """Judge every resource in one file's text and locate the findings in it."""
    return _stream(text, display, engine, all_resources=all_resources, tf_dir=tf_dir)


def _tf_locate(
    findings: list[Finding], plan: Any, display: str, tf_dir: str | None
) -> tuple[list[Finding], list[GuardrailsError]]:
    """A plan's findings at their .tf lines, when the configuration is there to read."""
    from guardrails.sources.terraform import hcl  # the HCL parser: only for plans with findings

    where = hcl.config_root(display, tf_dir)
    if where is None:
        return findings, []
    config = hcl.Config(where[0], where[1], terraform.module_sources(plan))
    return hcl.locate_plan_findings(findings, plan, config), list(config.problems)


def _read(inp: walk.Input, stdin: IO[Any] | None) -> str:
    if inp.path is None:
        if stdin is None:
            raise SourceError("no standard input to read for '-'")
        raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        return raw if isinstance(raw, str) else yamldocs.decode(raw, "-")
    try:
        return yamldocs.decode(inp.path.read_bytes(), inp.display)
    except OSError as e:
        raise UnreadableError(f"cannot read: {e.strerror or e}", location=Location(inp.display)) from None


def _streams(inputs: Sequence[walk.Input], stdin: IO[Any] | None) -> dict[str, str | GuardrailsError]:
    """Standard input and pipes, read once up front: a pipe cannot be read twice (the
    inventory and the scan both need it) and never in a worker process."""
    out: dict[str, str | GuardrailsError] = {}
    for inp in inputs:
        if inp.path is None or inp.stream:
            try:
                out[inp.display] = _read(inp, stdin)
            except GuardrailsError as e:
                out[inp.display] = e
    return out


def _load(
    inp: walk.Input, stdin: IO[Any] | None, all_resources: bool, text: str | GuardrailsError | None = None
) -> _Parsed | FileResult:
    """The input read (once; `text` when it was read already) and parsed, or the FileResult
    saying why it could not be read."""
    got = _text(inp, stdin, text)
    return got if isinstance(got, FileResult) else _parse(got, inp.display, all_resources=all_resources)


def _text(inp: walk.Input, stdin: IO[Any] | None, text: str | GuardrailsError | None) -> str | FileResult:
    """The input's text (`text` when it was read already), or the FileResult saying why not."""
    if text is None:
        try:
            text = _read(inp, stdin)
        except GuardrailsError as e:
            text = e
    if isinstance(text, GuardrailsError):
        return FileResult(inp.display, problems=(text,))
    return text


def namespace_labels(
    inputs: Sequence[walk.Input], streams: dict[str, str | GuardrailsError], settings: Mapping[str, Mapping[str, str]] | None
) -> dict[str, Mapping[str, str]]:
    """Labels of every Namespace object among the inputs, over those the settings give.

    Only texts that mention `Namespace` are parsed, and only when a rule asks for labels.
    """
    out: dict[str, Mapping[str, str]] = dict(settings or {})
    for inp in inputs:
        try:
            got = streams.get(inp.display) if inp.path is None or inp.stream else _read(inp, None)
        except GuardrailsError:
            continue  # reported when the file itself is scanned
        if not isinstance(got, str) or "Namespace" not in got:
            continue
        for r in _resources(got, inp.display, all_resources=False)[0]:
            if r.kind == "Namespace" and r.name:
                out[r.name] = {str(k): str(v) for k, v in r.labels.items()}
    return out


def _scan_one(
    inp: walk.Input | _Parsed | FileResult,
    engine: Engine,
    stdin: IO[Any] | None,
    all_resources: bool,
    text: str | GuardrailsError | None = None,
    tf_dir: str | None = None,
) -> FileResult:
    if isinstance(inp, walk.Input):
        got = _text(inp, stdin, text)
        return got if isinstance(got, FileResult) else _stream(got, inp.display, engine, all_resources=all_resources, tf_dir=tf_dir)
    return inp if isinstance(inp, FileResult) else _judge(inp, engine, tf_dir)


# A worker process of a parallel scan builds its engine once, in the pool's initializer.
_worker_engine: Engine | None = None


def _init_worker(loader: RuleLoader, context: Context, fail_on_unknown: bool = False, passes: bool = False) -> None:
    global _worker_engine
    rs = loader()
    _worker_engine = Engine(
        rs.rules, rs.waivers, context=context, inline_waivers="scan", fail_on_unknown=fail_on_unknown, time_budget=RESOURCE_BUDGET,
        record_passes=passes,
    )


@contextlib.contextmanager
def _pool(
    jobs: int, engine: Engine, loader: RuleLoader, context: Context, fail_on_unknown: bool
) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """Workers for a parallel scan. Where processes fork, they inherit the parent's engine
    (rules compiled once, the context never pickled), with the heap frozen first so the
    collector does not touch, and so copy, every inherited page; elsewhere each worker
    compiles the rules again from the loader."""
    import concurrent.futures  # with logging and threading: only for parallel scans
    import gc
    import multiprocessing

    global _worker_engine
    if "fork" not in multiprocessing.get_all_start_methods():
        with concurrent.futures.ProcessPoolExecutor(
            jobs, initializer=_init_worker, initargs=(loader, context, fail_on_unknown, engine.record_passes)
        ) as pool:
            yield pool
        return
    _worker_engine = engine
    gc.freeze()
    try:
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            yield pool
    finally:
        gc.unfreeze()
        _worker_engine = None


def _scan_chunk(
    chunk: list[walk.Input | tuple[str, str]], all_resources: bool, tf_dir: str | None = None
) -> list[FileResult]:
    """Files to read here, or (display, text) of files the parent has read already."""
    assert _worker_engine is not None
    return [
        _scan_one(i, _worker_engine, None, all_resources, tf_dir=tf_dir)
        if isinstance(i, walk.Input)
        else _stream(i[1], i[0], _worker_engine, all_resources=all_resources, tf_dir=tf_dir)
        for i in chunk
    ]


def scan(
    paths: Sequence[str],
    *,
    rules: RuleSet | None = None,
    loader: RuleLoader | None = None,
    exclude: Sequence[str] = (),
    jobs: int | str = 1,
    stdin: IO[Any] | None = None,
    root: pathlib.Path | None = None,
    today: datetime.date | None = None,
    all_resources: bool = False,
    shard: tuple[int, int] | None = None,
    fail_on_unknown: bool = False,
    tf_dir: str | None = None,
    namespaces: Mapping[str, Mapping[str, str]] | None = None,
    helm: helm_.HelmOptions | None = None,
    kustomize: bool = False,
    progress: Callable[[FileResult], None] | None = None,
    passes: bool = False,
    clock: Clock | None = None,
) -> ScanReport:
    """Scan files, folders and `-` with a rule set (or a loader, needed for `jobs > 1`).

    `jobs`: processes to spread the files over, or `"auto"`: one per usable CPU when the scan is
    large enough to pay for the pool (`auto_jobs`), else serial. The report is the same either way.
    `shard`: (I, N), this run judges the I-th of N shares; charts and kustomizations are found
    among all the files first, so the N shares together judge exactly what one run does.

    `fail_on_unknown`: a value known only after apply fails every rule that reads it.
    `tf_dir`: the Terraform root module of the plans scanned (default: beside each plan, else
    the working directory), for findings at their .tf lines.
    `helm`: render the Helm charts found with `helm template` (without it their templates are
    skipped and counted, never parsed as YAML).
    `kustomize`: render each root kustomization with `kubectl kustomize` (without it, the files a
    kustomization names as patches or configurations are skipped and counted, never judged as
    whole resources).
    `namespaces`: labels of namespaces from the settings (name -> labels); Namespace objects
    scanned in the same run add theirs, for rules and waivers with a namespace selector.
    `progress`: called with each file's result as soon as it is judged (the CLI's progress line).
    `passes`: also record a PASS per rule and resource it judged and passed (`ScanReport.passed`).
    `clock`: the evaluation time of policies that read the clock (None: they are visible skips)."""
    seen = progress or (lambda result: None)
    started = time.perf_counter()
    loader = loader or RuleLoader()
    ruleset = rules if rules is not None else loader()
    today = today or datetime.date.today()
    root = (root or pathlib.Path.cwd()).resolve()
    found = walk.collect(paths, exclude=exclude, root=root)
    inputs = list(found.inputs)
    mine = _owner(shard)
    # Charts and kustomizations first, over every file: a patch or a template is known as one only
    # beside its kustomization or Chart.yaml, which may fall in another shard.
    inputs, charts = _charts(inputs, root)
    charts = {c: f for c, f in charts.items() if mine(c.display)}
    inputs, kustomizations, kz_skipped, kz_notices, kz_problems = _kustomizations(inputs, root, kustomize, mine)
    inputs = [i for i in inputs if mine(i.display)]
    streams = _streams(inputs, stdin)
    files_ = [i for i in inputs if i.path is not None and not i.stream]
    jobs = auto_jobs(files_) if jobs == AUTO else int(jobs)
    jobs = max(1, min(jobs, len(files_) // 8 or 1, _cpus()))
    # Rules that read the objects scanned together (Gatekeeper's referential templates) need
    # every file read first: each is read once, its objects go into the context, then judged.
    loaded: dict[str, _Parsed | FileResult] = {}
    context = Context(today=today, clock=clock)
    if any(r.namespace_labels for r in ruleset.rules) or any(w.namespace_labels for w in ruleset.waivers):
        context = context.replace(namespace_labels=namespace_labels(inputs, streams, namespaces))
    if any(r.needs_inventory for r in ruleset.rules):
        loaded = {i.display: _load(i, stdin, all_resources, streams.get(i.display)) for i in inputs}
        objects = (r.obj for p in loaded.values() if isinstance(p, _Parsed) for r in p.resources)
        context = context.replace(inventory=tuple(objects))
    engine = Engine(
        ruleset.rules, ruleset.waivers, context=context, inline_waivers="scan", fail_on_unknown=fail_on_unknown,
        time_budget=RESOURCE_BUDGET, record_passes=passes,
    )
    results: list[FileResult] = []
    if jobs > 1:
        # Files already read travel as their text; the others are read by the workers.
        work: list[walk.Input | tuple[str, str]] = []
        for i in files_:
            got = loaded.get(i.display)
            if isinstance(got, _Parsed):
                work.append((i.display, got.text))
            elif got is None:
                work.append(i)
        size = -(-len(work) // (jobs * 4))
        chunks = [work[i : i + size] for i in range(0, len(work), size)]
        with _pool(jobs, engine, loader, context, fail_on_unknown) as pool:
            by_file: dict[str, FileResult] = {}
            for chunk in pool.map(_scan_chunk, chunks, [all_resources] * len(chunks), [tf_dir] * len(chunks)):
                for r in chunk:
                    by_file[r.display] = r
                    seen(r)
        for i in inputs:
            if i.display not in by_file:
                results.append(_scan_one(loaded.get(i.display, i), engine, stdin, all_resources, streams.get(i.display), tf_dir))
                seen(results[-1])
            else:
                results.append(by_file[i.display])
    else:
        # Parsed files are let go as soon as they are judged.
        for i in inputs:
            results.append(_scan_one(loaded.pop(i.display, i), engine, stdin, all_resources, streams.get(i.display), tf_dir))
            seen(results[-1])
    chart_notices: list[str] = []
    templates = 0
    for chart, files_in in charts.items():
        if helm is None:
            templates += len(files_in)
            chart_notices.append(
                f"{chart.display}: Helm chart, {len(files_in)} template file{'s' if len(files_in) != 1 else ''} not scanned "
                f"(templates are not YAML until rendered): `{helm_.shell_command(chart.display)} | guardrails scan -`, or scan with --helm"
            )
        else:
            for r in _scan_chart(chart, helm, engine):
                results.append(r)
                seen(r)
    for k in kustomizations:
        for r in _scan_kustomization(k, engine, root):
            results.append(r)
            seen(r)
    results.extend(kz_problems)
    unread = tuple(UnreadableError(s.reason, location=Location(s.display)) for s in found.errors)
    judged, skipped = split_skips(f for r in results for f in r.findings)
    passed: tuple[Finding, ...] = ()
    if passes:
        passed = tuple(f for f in judged if f.status is Status.PASS)
        judged = tuple(f for f in judged if f.status is not Status.PASS)
    return ScanReport(
        findings=judged,
        skipped_rules=skipped,
        passed=passed,
        rules=tuple(r.info for r in ruleset.rules),
        rule_sets=ruleset.sets,
        files=len(results),
        resources=sum(r.resources for r in results),
        skipped_documents=sum(r.skipped for r in results),
        problems=unread + tuple(p for r in results for p in r.problems),
        expired_waivers=engine.expired_waivers,
        seconds=time.perf_counter() - started,
        root=str(root),
        notices=tuple(n.render() for n in found.notices) + tuple(chart_notices) + tuple(kz_notices)
        + tuple(n for n in (ruleset.placeholder_notice(),) if n)
        + (_empty(paths, inputs or [i for c in charts.values() for i in c], found) if not kustomizations else ())
        + rule_notices(ruleset.rules, frozenset().union(*(r.kinds for r in results))),
        skipped_templates=templates,
        skipped_patches=kz_skipped,
    )


def rule_notices(rules: Sequence[CompiledRule], kinds: frozenset[str]) -> tuple[str, ...]:
    """What the rules say once about a scan that judged these kinds."""
    said = (r.notice(kinds) for r in rules if r.notice is not None)
    return tuple(n for n in said if n)


def _charts(inputs: list[walk.Input], root: pathlib.Path) -> tuple[list[walk.Input], dict[helm_.Chart, list[walk.Input]]]:
    """Inputs that are a Helm chart's templates, set apart by chart: never read as YAML."""
    kept: list[walk.Input] = []
    charts: dict[helm_.Chart, list[walk.Input]] = {}
    for i in inputs:
        folder = helm_.chart_of(i.path) if i.path is not None and not i.stream else None
        if folder is None:
            kept.append(i)
        else:
            charts.setdefault(helm_.Chart(folder, walk.display(folder, root)), []).append(i)
    return kept, charts


AUTO = "auto"
# Below these a process pool (about 30-40 ms to start and feed) costs more than it saves.
AUTO_MIN_FILES = 200
AUTO_MIN_BYTES = 4 * 1024 * 1024


def _cpus() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_jobs(files: Sequence[walk.Input]) -> int:
    """`--jobs auto`: serial for a small scan, one process per usable CPU for a large one."""
    if len(files) >= AUTO_MIN_FILES:
        return _cpus()
    size = 0
    for i in files:
        with contextlib.suppress(OSError):
            size += i.path.stat().st_size if i.path is not None else 0
        if size >= AUTO_MIN_BYTES:
            return _cpus()
    return 1


def _owner(shard: tuple[int, int] | None) -> Callable[[str], bool]:
    """Whether this run owns a path (a file, a chart, a kustomization): all of them unsharded."""
    if shard is None:
        return lambda display: True
    from guardrails.sources import shard as shard_  # hashlib: only when sharding

    index, count = shard
    return lambda display: shard_.shard_of(display, count) == index


def _kustomizations(
    inputs: list[walk.Input], root: pathlib.Path, rendering: bool, owns: Callable[[str], bool] = lambda d: True
) -> tuple[list[walk.Input], list[kz.Kustomization], int, list[str], list[FileResult]]:
    """Kustomizations among the inputs: the files they name as patches or configurations are set
    apart (never judged as whole resources); rendering, the root kustomizations are returned to be
    rendered and every file their renders read leaves the inputs. `owns`: which kustomizations
    (renders, notices, errors) and which skipped files (counts) this shard reports."""
    folders = {
        i.path.parent.resolve(): i.path.parent
        for i in inputs
        if i.path is not None and not i.stream and i.path.name in kz.FILES
    }
    if not folders:
        return inputs, [], 0, [], []
    found: list[kz.Kustomization] = []
    problems: list[FileResult] = []
    for folder in folders.values():
        display = walk.display(folder, root)
        try:
            found.append(kz.read(folder, display))
        except GuardrailsError as e:
            if owns(display):
                problems.append(FileResult(display, problems=(UnreadableError(e.message, location=e.location, hint=e.hint),)))
    parts = {p for k in found for p in k.parts}

    def real(i: walk.Input) -> pathlib.Path | None:
        return i.path.resolve() if i.path is not None and not i.stream else None

    if rendering:
        by_folder = {k.folder: k for k in found}
        chosen = kz.roots(found)
        read = set().union(*(kz.closure(k, by_folder) for k in chosen)) | parts
        return [i for i in inputs if real(i) not in read], [k for k in chosen if owns(k.display)], 0, [], problems
    kept: list[walk.Input] = []
    skipped: set[pathlib.Path] = set()
    counted = 0
    for i in inputs:
        r = real(i)
        if r is not None and r in parts:
            skipped.add(r)
            counted += owns(i.display)
        else:
            kept.append(i)
    notices = []
    for k in (k for k in found if owns(k.display)):
        mine = [p for p in k.parts if p in skipped]
        if mine:
            notices.append(
                f"{k.display}: kustomization, {len(mine)} patch or configuration file{'s' if len(mine) != 1 else ''} "
                f"not judged as resources (parts of a render): `{kz.shell_command(k.display)} | guardrails scan -`, or scan with --kustomize"
            )
    return kept, [], counted, notices, problems


def _scan_kustomization(k: kz.Kustomization, engine: Engine, root: pathlib.Path) -> list[FileResult]:
    """A root kustomization rendered by `kubectl kustomize`, each origin file's documents judged as
    one file named by that file. Lines point into the render, so findings carry the file alone."""
    try:
        rendered, wrapper = kz.render(k)
        parts = kz.split_origins(rendered, k, wrapper, lambda p: walk.display(p, root))
    except GuardrailsError as e:
        return [FileResult(k.display, problems=(UnreadableError(e.message, location=e.location, hint=e.hint),))]
    out: list[FileResult] = []
    for display, text in parts:
        r = _stream(text, display, engine, all_resources=False)
        out.append(dataclasses.replace(r, findings=tuple(f.with_location(Location(display)) for f in r.findings)))
    if not out:
        out.append(FileResult(k.display, problems=(SourceError("kubectl kustomize rendered no resources", location=Location(k.display)),)))
    return out


def _scan_chart(chart: helm_.Chart, options: helm_.HelmOptions, engine: Engine) -> list[FileResult]:
    """A chart rendered by `helm template`, each template's documents judged as one file named by
    the template (helm's `# Source:` comments). Lines point into the render, not the template, so
    findings carry the template file without a line."""
    try:
        rendered = helm_.render(chart, options)
    except GuardrailsError as e:
        return [FileResult(chart.display, problems=(UnreadableError(e.message, location=e.location, hint=e.hint),))]
    out: list[FileResult] = []
    for display, text in helm_.split_sources(rendered, chart, helm_.chart_name(chart.folder)):
        r = _stream(text, display, engine, all_resources=False)
        unlined = tuple(f.with_location(Location(display)) for f in r.findings)
        out.append(dataclasses.replace(r, findings=unlined))
    if not out:
        out.append(FileResult(chart.display, problems=(SourceError("helm template rendered no resources", location=Location(chart.display)),)))
    return out


def _empty(paths: Sequence[str], inputs: Sequence[walk.Input], found: walk.Walk) -> tuple[str, ...]:
    """Zero files is never a quiet success: say so (and `--fail-on-empty` makes it an error)."""
    if inputs or found.errors:
        return ()
    why = f" ({found.ignored} entr{'ies' if found.ignored != 1 else 'y'} ignored by .gitignore)" if found.ignored else ""
    return (f"no files to scan under {', '.join(paths) or '.'}{why}",)
