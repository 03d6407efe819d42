"""Read rule files and folders (and the built-in library), validate, compile: a RuleSet.

The edge of the policy package: the only place that opens rule files. Every problem is
collected with file:line:col; `load_rules` raises the most relevant one carrying the rest
(a file with one bad rule never loads the others silently), `lint_rules` returns them all.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import importlib
import importlib.resources
import os
import pathlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from guardrails.dialects.context import SHAPE_ERRORS, LoadContext, shape_error
from guardrails.errors import ConfigError, GuardrailsError, RuleFileError, UsageError
from guardrails.model import FieldPath, Location, Severity
from guardrails.policy import cache, kinds
from guardrails.policy import profiles as profiles_
from guardrails.policy.parameters import Binder, Parameter, RuleSettings
from guardrails.policy.validate import best, openapi_problems, validate_native
from guardrails.rule import CompiledRule
from guardrails.sources import documents, walk
from guardrails.sources.render import helm
from guardrails.waivers import Waiver

__all__ = ["RuleSet", "SkippedDocument", "builtin_root", "lint_rules", "load_rules", "rule_files", "rule_walk"]

RULE_EXTENSIONS = (".yaml", ".yml", ".json")
TEST_SUFFIXES = (".test.yaml", ".test.yml")
NATIVE_GROUP = "guardrails.dev"


@dataclasses.dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[CompiledRule, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    files: tuple[str, ...] = ()
    warnings: tuple[GuardrailsError, ...] = ()
    # Documents that are not rules (neighbours, bindings we cannot apply), each with why.
    skipped: tuple[SkippedDocument, ...] = ()
    # Where every document of the rules paths went: {"loaded": n, "error": n, "skip": n, "neighbour": n}.
    documents: Mapping[str, int] = dataclasses.field(default_factory=dict)
    # The rule sets loaded, for a summary: "built-in default, baseline", then each rules path.
    sets: tuple[str, ...] = ()
    # Every declared parameter of the loaded native rules, with the value in force and its source.
    parameters: tuple[Parameter, ...] = ()

    @property
    def placeholders(self) -> tuple[Parameter, ...]:
        """Parameters of the selected rules still on the example value their rule marks for replacing."""
        ids = {r.id for r in self.rules}
        return tuple(p for p in self.parameters if p.rule in ids and p.on_placeholder)

    def placeholder_notice(self) -> str | None:
        """The one line a scan says about rules running on example values, or None."""
        held = self.placeholders
        if not held:
            return None
        names = ", ".join(f"{p.rule}.{p.name}" for p in held)
        rules = len({p.rule for p in held})
        return (
            f"{rules} rule{'s' if rules != 1 else ''} still run{'s' if rules == 1 else ''} on placeholder values ({names}): "
            "set your own under `parameters:` in .guardrails.yaml (guardrails rules show NAME)"
        )

    @property
    def unsupported(self) -> tuple[CompiledRule, ...]:
        """Rules whose every match is a SKIP: kinds or rule types we cannot evaluate."""
        return tuple(r for r in self.rules if r.unsupported)

    def only(self, names: Sequence[str] = (), skip: Sequence[str] = ()) -> RuleSet:
        """The rule set restricted by --only / --skip (rule names or globs). A pattern that
        names no rule is a UsageError with "did you mean": a typo never runs all rules, or none,
        quietly."""
        import difflib

        from guardrails.kube.selectors import compile_globs

        known = sorted({w for r in self.rules for w in (r.id, r.name, r.policy) if w})
        names, skip = _names("--only", names), _names("--skip", skip)
        for flag, patterns in (("--only", names), ("--skip", skip)):
            for pattern in patterns:
                hits = compile_globs([pattern])
                if not any(hits(w) for w in known):
                    close = difflib.get_close_matches(pattern, known, n=1, cutoff=0.6)
                    raise UsageError(
                        f"{flag} {pattern!r} names no rule",
                        hint=f"did you mean {close[0]!r}?" if close else "'guardrails rules list' shows the rule names",
                    )
        keep = compile_globs(names) if names else (lambda _: True)
        drop = compile_globs(skip) if skip else (lambda _: False)
        rules = tuple(
            r for r in self.rules
            if (keep(r.id) or keep(r.name) or keep(r.policy)) and not (drop(r.id) or drop(r.name) or drop(r.policy))
        )
        return dataclasses.replace(self, rules=rules)


def _names(flag: str, values: Sequence[str]) -> tuple[str, ...]:
    """`--only a,b` is `--only a --only b`: rule names never hold a comma (they are Kubernetes
    names, `policy/rule` or `Kind/name`). An empty name (`a,,b`, a trailing comma) is an error,
    never a pattern that quietly matches nothing."""
    out: list[str] = []
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if not all(parts):
            raise UsageError(f"{flag} {value!r} holds an empty rule name", hint="separate names with single commas: --only a,b")
        out += parts
    return tuple(out)


@functools.cache
def builtin_root() -> pathlib.Path:
    """The shipped rule library (`rules/` in the repository, `guardrails/builtin_rules` installed)."""
    return pathlib.Path(str(importlib.resources.files("guardrails") / "builtin_rules"))


def rule_walk(
    paths: Sequence[str | pathlib.Path], *, gitignore: bool = True
) -> tuple[list[pathlib.Path], list[RuleFileError]]:
    """Rule files under `paths` (the one walker, hidden entries left out) and every entry that
    could not be read as one: in a rules path nothing is skipped quietly."""
    problems: list[RuleFileError] = []
    present: list[str | pathlib.Path] = []
    for raw in paths:
        if os.path.lexists(raw):
            present.append(raw)
        else:
            problems.append(
                RuleFileError(f"{raw}: no such rule file or folder", hint="check --rules and .guardrails.yaml")
            )
    found = walk.collect(present, extensions=RULE_EXTENSIONS, hidden=False, gitignore=gitignore)
    files = [i.path for i in found.inputs if i.path is not None]
    for s in found.skipped:
        problems.append(
            RuleFileError(
                s.reason, location=Location(s.display), hint="a rules path holds only readable rule files and folders"
            )
        )
    return files, problems


def rule_files(paths: Sequence[str | pathlib.Path]) -> list[pathlib.Path]:
    """Rule files under the given paths; raises RuleFileError (carrying the rest) for any entry
    that cannot be read."""
    files, problems = rule_walk(paths)
    if problems:
        raise _first(problems)
    return files


def _first(problems: list[RuleFileError]) -> RuleFileError:
    return RuleFileError(problems[0].message, location=problems[0].location, hint=problems[0].hint, more=problems[1:])


Locator = Callable[[FieldPath], Location]


def _documents(path: pathlib.Path, display: str) -> Iterator[tuple[Any, Locator] | RuleFileError]:
    for doc in documents.read_documents(path, display):
        if isinstance(doc, GuardrailsError):
            # The reader's words for a scan input, in a rule file's terms (a rule file stops the load).
            if doc.message.startswith("malformed YAML"):
                yield RuleFileError(doc.message, location=doc.location)
            else:
                message = doc.message.replace("cannot read:", "cannot read rule file:", 1)
                yield RuleFileError(message, location=doc.location, hint=doc.hint)
            continue

        def locate(p: FieldPath, doc: documents.Document = doc) -> Location:
            return doc.locate(p, display)

        yield doc.data, locate


def _builtin_documents(files: Sequence[pathlib.Path], root: pathlib.Path) -> dict[pathlib.Path, list[Any]] | None:
    """The built-in library's documents as [line, column, doc], from the per-user cache
    (policy/cache.py: keyed on content, private, verified). None: parse the normal way."""
    return cache.library_documents(files, root, _parse_library_file)


def _parse_library_file(raw: bytes, path: pathlib.Path) -> list[Any] | None:
    """One library file's [line, column, doc] entries, from the bytes the cache key hashed;
    None when it does not read cleanly (a broken library file is reported by the normal path)."""
    try:
        text = documents.decode(raw, path.name)
    except GuardrailsError:
        return None
    entries: list[Any] = []
    for doc in documents.documents(text, path.name):
        if isinstance(doc, GuardrailsError):
            return None
        start = doc.locate((), path.name)
        entries.append([start.line, start.column, doc.data])
    return entries


def _cached(entries: list[Any], display: str) -> Iterator[tuple[Any, Locator]]:
    for line, column, doc in entries:
        start = Location(display, line, column)

        def locate(p: FieldPath, start: Location = start) -> Location:
            return start  # the library is schema-checked by tests: errors never need deeper positions

        yield doc, locate


@dataclasses.dataclass(frozen=True, slots=True)
class SkippedDocument:
    """A document of a rules path that is not a rule: a neighbour (`unsupported=False`: a test, a
    kustomization) or a kind we cannot apply and that is no rule by itself (a binding)."""

    location: Location
    what: str
    unsupported: bool = False

    def render(self) -> str:
        return f"{self.location}: {self.what}"


@dataclasses.dataclass(slots=True)
class _Ledger:
    """Where each document of the rules path went: loaded, error, skip (unsupported), neighbour."""

    outcomes: list[str] = dataclasses.field(default_factory=list)
    skipped: list[SkippedDocument] = dataclasses.field(default_factory=list)


def _elements(doc: Any, locate: Locator) -> Iterator[tuple[Any, Locator]]:
    """The documents a YAML document stands for: itself, each item of a `kind: List` (or any
    `*List` kind), each element of a top-level YAML list."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from _elements(item, _within(locate, (i,)))
        return
    if (
        isinstance(doc, Mapping)
        and isinstance(doc.get("kind"), str)
        and str(doc["kind"]).endswith("List")
        and isinstance(doc.get("items"), list)
    ):
        for i, item in enumerate(doc["items"]):
            yield from _elements(item, _within(locate, ("items", i)))
        return
    yield doc, locate


def _within(locate: Locator, prefix: FieldPath) -> Locator:
    def inner(p: FieldPath) -> Location:
        return locate((*prefix, *p))

    return inner


def _no_check(obj: Any, ctx: Any = None) -> Any:
    return ()


def _unsupported_rule(doc: Mapping[str, Any], how: kinds.Unsupported, source: Location) -> CompiledRule:
    """A kind we know and cannot evaluate: a rule whose every match is a SKIP with the reason."""
    kind = str(doc.get("kind"))
    meta = doc.get("metadata")
    name = str(meta.get("name") or kind) if isinstance(meta, Mapping) else kind
    return CompiledRule(
        name=name,
        id=f"{kind}/{name}",
        check=_no_check,
        match=lambda r: True,
        title=f"{kind} {name}",
        source=source,
        dialect=how.dialect,
        policy=kind,
        unsupported=how.reason,
        check_key="unsupported",
        severity=Severity.INFO,
    )


def _load_file(
    path: pathlib.Path,
    display: str,
    context: LoadContext,
    problems: list[GuardrailsError],
    *,
    validate: bool = True,
    cached: list[Any] | None = None,
    ledger: _Ledger | None = None,
    binder: Binder | None = None,
) -> list[CompiledRule]:
    ledger = ledger if ledger is not None else _Ledger()
    binder = binder if binder is not None else Binder()
    rules: list[CompiledRule] = []
    if cached is None and helm.chart_of(path) is not None:
        # Policies shipped as a Helm chart (kyverno-policies is one) are Go templates until helm
        # renders them: a visible skip with the way in, never YAML errors.
        ledger.skipped.append(SkippedDocument(
            Location(display), "a Helm chart template, not YAML until rendered: pass `--rules <(helm template CHART)`"))
        ledger.outcomes.append("neighbour")
        return rules
    items = _cached(cached, display) if cached is not None else _documents(path, display)
    for item in items:
        if isinstance(item, GuardrailsError):
            problems.append(item)
            ledger.outcomes.append("error")
            continue
        for doc, locate in _elements(*item):
            if doc is None:
                continue  # an empty document (`---` twice, a trailing `---`)
            before = len(problems)
            outcome = _load_document(doc, locate, context, problems, rules, ledger, binder, validate=validate)
            ledger.outcomes.append("error" if len(problems) > before else outcome)
    return rules


def _load_document(
    doc: Any,
    locate: Locator,
    context: LoadContext,
    problems: list[GuardrailsError],
    rules: list[CompiledRule],
    ledger: _Ledger,
    binder: Binder,
    *,
    validate: bool,
) -> str:
    if not isinstance(doc, Mapping):
        ledger.skipped.append(SkippedDocument(locate(()), "not a Kubernetes object"))
        return "neighbour"
    how = kinds.classify(doc)
    if isinstance(how, kinds.Problem):
        problems.append(RuleFileError(how.message, location=locate((how.field,)), hint=how.hint))
        return "error"
    if isinstance(how, kinds.Neighbour):
        ledger.skipped.append(SkippedDocument(locate(()), how.what))
        if isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str):
            # ConfigMaps, CRDs, custom resources beside the policies: a ValidatingAdmissionPolicy's
            # params, the CRDs that name its resources, Kyverno CEL's resource library.
            context.objects.append(doc)
        return "neighbour"
    if isinstance(how, kinds.Unsupported):
        kind = doc.get("kind")
        meta = doc.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        if how.rule:
            rules.append(_unsupported_rule(doc, how, locate(())))
        else:
            ledger.skipped.append(SkippedDocument(locate(()), f"{kind} {name!r}: {how.reason}", unsupported=True))
        return "skip"
    module = importlib.import_module(how.module)
    if kinds.group_of(str(doc.get("apiVersion"))) == NATIVE_GROUP:
        if validate:
            errors = validate_native(doc, locate=locate)
            if errors:
                problems.extend(errors)
                return "error"
        if doc.get("kind") == "Rule":
            bound = binder.bind(doc, locate, problems, check_defaults=validate)
            if bound is None:
                return "error"
            doc = bound
    try:
        compiled = module.compile_document(doc, source=locate(()), locate=locate, context=context)
    except GuardrailsError as e:
        configured = binder.configured(doc)
        if configured is not None:
            # The rule compiled before the settings' values went in: the values are what is wrong.
            problems.extend(ConfigError(f"parameters: {p.message}", location=configured, hint=p.hint) for p in e.all())
        else:
            problems.extend(e.all())
        return "error"
    except SHAPE_ERRORS as e:
        # The author can put any type anywhere: a located error for this document (the others
        # still load), never a traceback that loses the whole load.
        problems.append(shape_error(doc, e, locate(())))
        return "error"
    rules.extend(compiled)
    return "skip" if compiled and all(r.unsupported for r in compiled) else "loaded"


def _name_of(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata")
    return str(meta.get("name") or "") if isinstance(meta, Mapping) else ""


def _display(path: pathlib.Path) -> str:
    try:
        return path.resolve().relative_to(pathlib.Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _in_profiles(rule: CompiledRule, selected: frozenset[str]) -> bool:
    """Built-in rules without profiles belong to the default set only."""
    if not rule.profiles:
        return "default" in selected
    return any(p in selected for p in rule.profiles)


def lint_rules(
    paths: Sequence[str | pathlib.Path] = (),
    *,
    builtin: bool = False,
    profiles: Sequence[str] | None = None,
    validate_builtin: bool = False,
    context: LoadContext | None = None,
    parameters: Mapping[str, RuleSettings] | None = None,
) -> tuple[RuleSet, list[GuardrailsError]]:
    """Load what can be loaded and return every problem found (for `guardrails rules lint`).

    `context`: a LoadContext a caller has prepared with dialect options (the rule-test runner
    choosing Gatekeeper's engine); a fresh one by default. `parameters`: the settings' values of
    rules' parameters, by rule name."""
    bad = profiles_.unknown(profiles or ())
    if bad is not None:
        raise UsageError(f"unknown profile {bad[0]!r}", hint=bad[1])
    selected = profiles_.selected(profiles or ())
    context = context if context is not None else LoadContext()
    if context.schema_problems is None:
        context.schema_problems = openapi_problems
    problems: list[GuardrailsError] = []
    rules: list[CompiledRule] = []
    files: list[str] = []
    sources: list[tuple[pathlib.Path, bool]] = []
    ledger = _Ledger()
    binder = Binder(settings=parameters or {})
    if builtin:
        # The library keeps each rule's tests beside it as NAME.test.yaml; skipping them by
        # name halves what every scan parses (tests/policy/test_builtin.py holds the convention).
        library, broken = rule_walk([builtin_root()], gitignore=False)
        sources.extend((f, True) for f in library if not f.name.endswith(TEST_SUFFIXES))
        problems.extend(broken)
    found, unreadable = rule_walk(paths)
    sources.extend((f, False) for f in found)
    problems.extend(unreadable)
    library = [f for f, is_builtin in sources if is_builtin]
    library_docs = _builtin_documents(library, builtin_root()) if library and not validate_builtin else None
    for f, is_builtin in sources:
        display = f"builtin:{f.relative_to(builtin_root()).as_posix()}" if is_builtin else _display(f)
        files.append(display)
        # The shipped library is schema-checked by the test suite (tests/policy/test_builtin.py);
        # re-validating it on every run would cost jsonschema's import on every scan.
        loaded = _load_file(
            f,
            display,
            context,
            problems,
            validate=not (is_builtin and not validate_builtin),
            cached=library_docs.get(f) if library_docs is not None and is_builtin else None,
            ledger=ledger,
            binder=binder,
        )
        if is_builtin:
            loaded = [r for r in loaded if _in_profiles(r, selected)]
        rules.extend(loaded)
    for name in list(context.state):
        module = importlib.import_module(name)
        finalize = getattr(module, "finalize", None)
        if finalize is not None:
            try:
                rules.extend(finalize(context))
            except GuardrailsError as e:
                problems.extend(e.all())
    # Deferred documents were counted as loaded when a dialect took them.
    problems.extend(context.refusals)
    loaded_at = [i for i, o in enumerate(ledger.outcomes) if o == "loaded"]
    for i in loaded_at[: context.refused]:
        ledger.outcomes[i] = "error"
    problems.extend(binder.unused())
    seen: dict[str, CompiledRule] = {}
    for r in rules:
        key = r.id
        if key in seen:
            other = seen[key]
            problems.append(
                RuleFileError(
                    f"duplicate rule name {r.id!r}: also defined at {other.source}",
                    location=r.source,
                    hint="rule names must be unique across all rule files",
                )
            )
        else:
            seen[key] = r
    if not seen and not context.waivers and not problems:
        where = ", ".join(str(p) for p in paths) or "the built-in library (with these profiles)"
        problems.append(
            RuleFileError(
                f"no rules found in {where}",
                location=Location(str(paths[0])) if paths else None,
                hint="a rules path holds guardrails Rule, Kyverno ClusterPolicy/Policy or Gatekeeper documents",
            )
        )
    counts = collections.Counter(ledger.outcomes)
    ruleset = RuleSet(
        tuple(seen.values()), tuple(context.waivers), tuple(files), tuple(context.warnings),
        tuple(ledger.skipped), dict(counts),
        ((f"built-in {profiles_.describe(selected)}",) if builtin else ()) + tuple(str(p) for p in paths),
        tuple(binder.parameters),
    )
    return ruleset, problems


def load_rules(
    paths: Sequence[str | pathlib.Path] = (),
    *,
    builtin: bool = False,
    profiles: Sequence[str] | None = None,
    context: LoadContext | None = None,
    parameters: Mapping[str, RuleSettings] | None = None,
) -> RuleSet:
    """Load and compile rules; raise the most relevant RuleFileError carrying all the others."""
    ruleset, problems = lint_rules(paths, builtin=builtin, profiles=profiles, context=context, parameters=parameters)
    if problems:
        rfe = [p if isinstance(p, RuleFileError) else RuleFileError(p.message, location=p.location, hint=p.hint) for p in problems]
        raise best(rfe)
    return ruleset

