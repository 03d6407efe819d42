"""The Gatekeeper dialect: ConstraintTemplates and their constraints -> CompiledRules.

Templates and constraints may come in any order, across the files of one load: templates are
kept in the load context and every constraint is compiled in `finalize`, once all documents
are read. A constraint whose template is missing is an error naming both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.dialects.gatekeeper import constraint as gk_constraint
from guardrails.dialects.gatekeeper import match as gk_match
from guardrails.dialects.gatekeeper import template as gk_template
from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.model import FieldPath, Location
from guardrails.rule import CompiledRule

__all__ = ["compile_document", "finalize"]

Locate = Callable[[FieldPath], Location]


@dataclasses.dataclass
class _State:
    templates: dict[str, tuple[gk_constraint.Programs, Location]] = dataclasses.field(default_factory=dict)
    constraints: list[tuple[Mapping[str, Any], Location, Locate]] = dataclasses.field(default_factory=list)
    engine: str = "auto"


def _state(context: Any) -> _State:
    state = context.state.get(__name__)
    if state is None:
        state = context.state[__name__] = _State()
    assert isinstance(state, _State)
    return state


def set_engine(context: Any, engine: str) -> None:
    """Force one engine (tests and benchmarks compare them); "auto" is the default."""
    if engine not in gk_constraint.ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(gk_constraint.ENGINES)}")
    _state(context).engine = engine


def compile_document(
    doc: Mapping[str, Any], *, source: Location, locate: Locate, context: Any
) -> list[CompiledRule]:
    state = _state(context)
    if doc.get("kind") == "ConstraintTemplate":
        try:
            template = gk_template.parse(doc)
        except gk_template.TemplateError as e:
            raise RuleFileError(e.message, location=locate(e.path) or source) from None
        if template.kind in state.templates:
            other = state.templates[template.kind][1]
            raise RuleFileError(
                f"ConstraintTemplate {template.name!r} defines kind {template.kind!r} again (first defined at {other})",
                location=source,
            )
        _warn_gaps(template, source, context)
        state.templates[template.kind] = (gk_constraint.Programs(template), source)
        return []
    state.constraints.append((doc, source, locate))
    return []


def _warn_gaps(template: gk_template.Template, source: Location, context: Any) -> None:
    if template.rego is None or template.cel is not None:
        return
    from guardrails.dialects.gatekeeper import rego

    try:
        missing = rego.missing_builtins((template.rego, *template.libs))
    except rego.RegoError as e:
        context.warnings.append(RuleFileError(f"template {template.name!r}: {e}", location=source))
        return
    if missing:
        context.warnings.append(
            RuleFileError(
                f"template {template.name!r} calls Rego builtins that rego-cpp lacks: {', '.join(missing)}; "
                "its constraints report an error where those builtins are reached",
                location=source,
            )
        )


def finalize(context: Any) -> list[CompiledRule]:
    """Compile every constraint seen, now that all templates are known."""
    state = _state(context)
    rules: list[CompiledRule] = []
    errors: list[GuardrailsError] = []
    for doc, source, locate in state.constraints:
        try:
            rules.append(_compile(doc, source, locate, state, context))
        except GuardrailsError as e:
            errors.append(e)
    state.constraints.clear()
    if errors:
        raise RuleFileError(errors[0].message, location=errors[0].location, hint=errors[0].hint, more=errors[1:])
    return rules


def _compile(doc: Mapping[str, Any], source: Location, locate: Locate, state: _State, context: Any) -> CompiledRule:
    meta = doc.get("metadata") or {}
    name = meta.get("name") if isinstance(meta, Mapping) else None
    kind = str(doc.get("kind"))
    if not isinstance(name, str) or not name:
        raise RuleFileError(f"{kind} constraint has no metadata.name", location=source)
    found = state.templates.get(kind)
    if found is None:
        known = ", ".join(sorted(state.templates)) or "none loaded"
        raise RuleFileError(
            f"constraint {name!r} of kind {kind!r} has no ConstraintTemplate defining that kind "
            f"(expected template {kind.lower()!r}; kinds loaded: {known})",
            location=source,
            hint="load the template's file along with the constraint",
        )
    programs, _ = found
    template = programs.template
    spec = doc.get("spec") or {}
    parameters = spec.get("parameters") if isinstance(spec, Mapping) else None
    problems = _parameter_problems(context, template.schema, parameters)
    if problems:
        errs = [
            RuleFileError(f"constraint {name!r}: {_parameters_at(path)}: {msg} (schema of template {template.name!r})",
                          location=locate(("spec", "parameters", *path)) or source)
            for msg, path in problems
        ]
        raise RuleFileError(errs[0].message, location=errs[0].location, more=errs[1:])
    try:
        check, matcher, action = gk_constraint.compile_constraint(doc, programs, engine=state.engine)
    except gk_constraint.ConstraintError as e:
        raise RuleFileError(f"constraint {name!r}: {e.message}", location=locate(e.path) or source) from None
    except Exception as e:
        # A template our runtimes cannot compile (rego-cpp lacks some of OPA's syntax): a load
        # warning, and every object the constraint matches is reported as skipped with the
        # reason, never passed.
        reason = f"template {template.name!r} cannot be evaluated here: {_first_line(e)}"
        context.warnings.append(RuleFileError(reason, location=state.templates[kind][1]))
        try:
            matcher = gk_match.compile_match(spec.get("match") if isinstance(spec, Mapping) else None)
        except gk_match.MatchError as me:
            raise RuleFileError(f"constraint {name!r}: spec.match: {me.message}", location=locate(("spec", "match", *me.path)) or source) from None
        return CompiledRule(
            name=name, id=f"{kind}/{name}", check=_no_check, match=matcher, title=template.title or template.name,
            description=template.description, source=source, dialect="gatekeeper", policy=kind,
            unsupported=reason, check_key="gatekeeper/unsupported",
        )
    return CompiledRule(
        name=name,
        id=f"{kind}/{name}",
        check=check,
        match=matcher,
        action=action,
        title=template.title or template.name,
        description=template.description,
        source=source,
        dialect="gatekeeper",
        policy=kind,
        check_key=f"gatekeeper/{check.engine}",
        # Referential templates read `data.inventory`: the objects the engine's context holds.
        check_in_context=check.in_context if check.referential else None,
        needs_inventory=check.referential,
        namespace_labels=isinstance(spec, Mapping) and isinstance(spec.get("match"), Mapping)
        and bool(spec["match"].get("namespaceSelector")),
    )


def _parameter_problems(context: Any, schema: Mapping[str, Any] | None, parameters: Any) -> list[tuple[str, tuple[str | int, ...]]]:
    """The constraint's `spec.parameters` against its template's openAPIV3Schema, checked by
    the loading edge (LoadContext.schema_problems)."""
    if not schema or parameters is None:
        return []
    if context.schema_problems is None:
        raise RuntimeError("constraint parameters need the loader's schema check (load rules through policy.load)")
    found: list[tuple[str, tuple[str | int, ...]]] = context.schema_problems(schema, parameters)
    return found


def _parameters_at(path: tuple[str | int, ...]) -> str:
    return "spec.parameters" + "".join(f".{p}" for p in path)


def _first_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip() and not ln.startswith("--")]
    return " ".join(lines[:3])[:300]


def _no_check(_: Any) -> list[Any]:
    return []
