"""Read rule files and folders (and the built-in library), validate, compile: a RuleSet.

The edge of the policy package: the only place that opens rule files. Every problem is
collected with file:line:col; `load_rules` raises the most relevant one carrying the rest
(a file with one bad rule never loads the others silently), `lint_rules` returns them all.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import pathlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml

from guardrails.errors import GuardrailsError, RuleFileError, UsageError
from guardrails.model import FieldPath, Location
from guardrails.policy import dialects
from guardrails.policy import profiles as profiles_
from guardrails.policy.compile import CompiledRule
from guardrails.policy.dialects.context import LoadContext
from guardrails.policy.validate import best, validate_native
from guardrails.policy.waivers import Waiver
from guardrails.sources.locate import node_location
from guardrails.sources.yamldocs import decode

__all__ = ["RuleSet", "builtin_root", "lint_rules", "load_rules", "rule_files"]

RULE_EXTENSIONS = (".yaml", ".yml", ".json")
NATIVE_GROUP = "guardrails.dev"
NATIVE_KINDS = ("Rule", "Exception")
# Documents of these kinds can sit beside rules (tests, values) and are not rules.
_NOT_RULES = frozenset({"RuleTest"})


@dataclasses.dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[CompiledRule, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    files: tuple[str, ...] = ()
    warnings: tuple[GuardrailsError, ...] = ()

    def only(self, names: Sequence[str] = (), skip: Sequence[str] = ()) -> RuleSet:
        """The rule set restricted by --only / --skip (rule names or globs)."""
        from guardrails.kube.selectors import compile_globs

        keep = compile_globs(names) if names else (lambda _: True)
        drop = compile_globs(skip) if skip else (lambda _: False)
        rules = tuple(r for r in self.rules if (keep(r.name) or keep(r.policy)) and not (drop(r.name) or drop(r.policy)))
        return dataclasses.replace(self, rules=rules)


def builtin_root() -> pathlib.Path:
    """The shipped rule library (`rules/` in the repository, `guardrails/builtin_rules` installed)."""
    return pathlib.Path(str(importlib.resources.files("guardrails") / "builtin_rules"))


def rule_files(paths: Sequence[str | pathlib.Path]) -> list[pathlib.Path]:
    """Rule files under the given paths: files as given, folders recursively (hidden ones skipped)."""
    out: list[pathlib.Path] = []
    for raw in paths:
        p = pathlib.Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and f.suffix in RULE_EXTENSIONS and not any(part.startswith(".") for part in rel):
                    out.append(f)
        else:
            raise RuleFileError(f"{raw}: no such rule file or folder", hint="check --rules and .guardrails.yaml")
    return out


def _documents(path: pathlib.Path, display: str) -> Iterator[tuple[Any, yaml.Node] | RuleFileError]:
    try:
        text = decode(path.read_bytes(), display)
    except OSError as e:
        yield RuleFileError(f"cannot read rule file: {e.strerror}", location=Location(display))
        return
    except GuardrailsError as e:
        yield RuleFileError(e.message, location=e.location, hint=e.hint)
        return
    loader = yaml.CSafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node() said there is one
            yield loader.construct_document(node), node
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        loc = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display)
        yield RuleFileError(f"malformed YAML: {getattr(e, 'problem', None) or e}", location=loc)
    finally:
        loader.dispose()


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def _load_file(
    path: pathlib.Path,
    display: str,
    context: LoadContext,
    problems: list[GuardrailsError],
    *,
    validate: bool = True,
) -> list[CompiledRule]:
    rules: list[CompiledRule] = []
    for item in _documents(path, display):
        if isinstance(item, GuardrailsError):
            problems.append(item)
            continue
        doc, node = item

        def locate(p: FieldPath, node: yaml.Node = node) -> Location:
            return node_location(node, p, display)

        if not isinstance(doc, Mapping):
            continue
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            if (isinstance(api_version, str) and _group(api_version) == NATIVE_GROUP) or kind in NATIVE_KINDS:
                problems.append(RuleFileError("rule document needs both apiVersion and kind", location=locate(())))
            continue
        if kind in _NOT_RULES:
            continue
        module = dialects.find(api_version, kind)
        if module is None:
            if _group(api_version) == NATIVE_GROUP:
                problems.append(
                    RuleFileError(
                        f"unknown kind {kind!r} for {api_version}",
                        location=locate(("kind",)),
                        hint="use Rule or Exception",
                    )
                )
            continue
        if validate and _group(api_version) == NATIVE_GROUP:
            errors = validate_native(doc, locate=locate)
            if errors:
                problems.extend(errors)
                continue
        try:
            rules.extend(module.compile_document(doc, source=locate(()), locate=locate, context=context))
        except GuardrailsError as e:
            problems.extend(e.all())
    return rules


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
) -> tuple[RuleSet, list[GuardrailsError]]:
    """Load what can be loaded and return every problem found (for `guardrails rules lint`)."""
    bad = profiles_.unknown(profiles or ())
    if bad is not None:
        raise UsageError(f"unknown profile {bad[0]!r}", hint=bad[1])
    selected = profiles_.expand(profiles if profiles is not None else ("default",))
    context = LoadContext()
    problems: list[GuardrailsError] = []
    rules: list[CompiledRule] = []
    files: list[str] = []
    sources: list[tuple[pathlib.Path, bool]] = []
    if builtin:
        sources.extend((f, True) for f in rule_files([builtin_root()]))
    try:
        sources.extend((f, False) for f in rule_files(paths))
    except GuardrailsError as e:
        problems.append(e)
    for f, is_builtin in sources:
        display = f"builtin:{f.relative_to(builtin_root()).as_posix()}" if is_builtin else _display(f)
        files.append(display)
        # The shipped library is schema-checked by the test suite (tests/policy/test_builtin.py);
        # re-validating it on every run would cost jsonschema's import on every scan.
        loaded = _load_file(f, display, context, problems, validate=not (is_builtin and not validate_builtin))
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
    seen: dict[tuple[str, str], CompiledRule] = {}
    for r in rules:
        key = (r.policy, r.name)
        if key in seen:
            other = seen[key]
            problems.append(
                RuleFileError(
                    f"duplicate rule name {r.name!r}: also defined at {other.source}",
                    location=r.source,
                    hint="rule names must be unique across all rule files",
                )
            )
        else:
            seen[key] = r
    ruleset = RuleSet(tuple(seen.values()), tuple(context.waivers), tuple(files), tuple(context.warnings))
    return ruleset, problems


def load_rules(
    paths: Sequence[str | pathlib.Path] = (),
    *,
    builtin: bool = False,
    profiles: Sequence[str] | None = None,
) -> RuleSet:
    """Load and compile rules; raise the most relevant RuleFileError carrying all the others."""
    ruleset, problems = lint_rules(paths, builtin=builtin, profiles=profiles)
    if problems:
        rfe = [p if isinstance(p, RuleFileError) else RuleFileError(p.message, location=p.location, hint=p.hint) for p in problems]
        raise best(rfe)
    return ruleset

