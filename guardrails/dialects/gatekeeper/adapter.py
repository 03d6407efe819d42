"""The Gatekeeper dialect: ConstraintTemplates and their constraints -> CompiledRules.

Templates and constraints may come in any order, across the files of one load: templates are
kept in the load context and every constraint is compiled in `finalize`, once all documents
are read. A constraint whose template is missing is an error naming both.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.dialects.context import SHAPE_ERRORS, shape_error
from guardrails.dialects.gatekeeper import constraint as gk_constraint
from guardrails.dialects.gatekeeper import defaults as gk_defaults
from guardrails.dialects.gatekeeper import expansion as gk_expansion
from guardrails.dialects.gatekeeper import template as gk_template
from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.model import Action, FieldPath, Location, Resource
from guardrails.rule import CompiledRule

__all__ = ["compile_document", "finalize"]

Locate = Callable[[FieldPath], Location]


@dataclasses.dataclass
class _State:
    templates: dict[str, tuple[gk_constraint.Programs, Location, Locate]] = dataclasses.field(default_factory=dict)
    constraints: list[tuple[Mapping[str, Any], Location, Locate]] = dataclasses.field(default_factory=list)
    expansions: dict[str, gk_expansion.Template] = dataclasses.field(default_factory=dict)
    engine: str = "auto"
    # Where the rules enforce: "auto" (a request is the validation webhook, a scan Gatekeeper's
    # audit) or "gator" (a gator suite, whatever its objects).
    point: str = "auto"


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


def set_enforcement_point(context: Any, point: str) -> None:
    """Rules loaded for `guardrails test` of gator suites enforce as gator does."""
    if point not in ("auto", "gator"):
        raise ValueError(f"unknown enforcement point {point!r}: use auto or gator")
    _state(context).point = point


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
        _check_builtins(template, locate)
        state.templates[template.kind] = (gk_constraint.Programs(template), source, locate)
        return []
    if doc.get("kind") == "ExpansionTemplate":
        try:
            expansion = gk_expansion.parse(doc, source)
        except gk_expansion.ExpansionError as e:
            raise RuleFileError(e.message, location=locate(e.path) or source) from None
        if expansion.name in state.expansions:
            first = state.expansions[expansion.name].location
            raise RuleFileError(f"ExpansionTemplate {expansion.name!r} is defined again (first at {first})", location=source)
        state.expansions[expansion.name] = expansion
        return []
    state.constraints.append((doc, source, locate))
    return []


def _check_builtins(template: gk_template.Template, locate: Locate) -> None:
    """A template calling a builtin our Rego engine lacks does not compile here: a load error
    (OPA rejects unknown functions at compile time too), never a runtime error per object."""
    if template.rego is None or template.cel is not None:
        return
    from guardrails.dialects.gatekeeper import rego

    where = locate(template.rego_path)
    try:
        missing = rego.missing_builtins((template.rego, *template.libs))
    except rego.RegoError as e:
        raise RuleFileError(f"template {template.name!r}: {e}", location=where,
                            hint="pip install 'kube-guardrails[gatekeeper]'") from None
    if missing:
        raise RuleFileError(
            f"template {template.name!r} calls Rego builtins guardrails' Rego engine lacks: {', '.join(missing)}",
            location=where, hint="rewrite those calls with builtins OPA and regorus share")


def finalize(context: Any) -> list[CompiledRule]:
    """Compile every constraint seen, now that all templates are known."""
    state = _state(context)
    rules: list[CompiledRule] = []
    errors: list[GuardrailsError] = []
    try:
        expander = _expander(state)
    except GuardrailsError as e:
        # A cycle among ExpansionTemplates refuses them; constraints still compile, unexpanded.
        context.refuse(len(state.expansions), e)
        expander = None
    for doc, source, locate in state.constraints:
        try:
            rules.append(_compile(doc, source, locate, state, context, expander))
        except GuardrailsError as e:
            errors.append(e)
        except SHAPE_ERRORS as e:
            errors.append(shape_error(doc, e, source))
    state.constraints.clear()
    # A template no constraint uses still has to compile, as Gatekeeper reports it on the
    # template's status: a broken one is a load error, never a silent no-op.
    for programs, source, locate in state.templates.values():
        if programs.rego is None and programs.cel is None:
            try:
                if programs.template.cel is not None:
                    programs.cel_program()
                elif programs.template.rego is not None:
                    programs.rego_program()
            except Exception as e:
                errors.append(_compile_error(programs.template, locate, source, e, None))
    # A broken template: one error, not one per constraint.
    unique = list({(e.message, str(e.location)): e for e in reversed(errors)}.values())[::-1]
    context.refuse(len(errors), *unique)
    return rules


def _expander(state: _State) -> gk_expansion.Expander | None:
    """The ExpansionTemplates loaded, checked together (a cycle is a load error)."""
    if not state.expansions:
        return None
    try:
        return gk_expansion.Expander(list(state.expansions.values()))
    except gk_expansion.ExpansionError as e:
        first = next(iter(state.expansions.values())).location
        raise RuleFileError(e.message, location=first,
                            hint="a template's generatedGVK must not lead back to a kind it applies to") from None


def _compile(doc: Mapping[str, Any], source: Location, locate: Locate, state: _State, context: Any,
             expander: gk_expansion.Expander | None = None) -> CompiledRule:
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
    programs = found[0]
    template = programs.template
    spec = doc.get("spec") or {}
    parameters = spec.get("parameters") if isinstance(spec, Mapping) else None
    if parameters is not None and template.schema:
        # The constraint as a cluster stores it: its template's `default:` values filled in.
        defaulted = gk_defaults.apply(template.schema, parameters)
        if defaulted != parameters:
            parameters = defaulted
            doc = {**doc, "spec": {**spec, "parameters": parameters}}
    problems = _parameter_problems(context, template.schema, parameters)
    if problems:
        errs = [
            RuleFileError(f"constraint {name!r}: {_parameters_at(path)}: {msg} (schema of template {template.name!r})",
                          location=locate(("spec", "parameters", *path)) or source)
            for msg, path in problems
        ]
        raise RuleFileError(errs[0].message, location=errs[0].location, more=errs[1:])
    try:
        check, matcher, enforcement = gk_constraint.compile_constraint(doc, programs, engine=state.engine)
    except gk_constraint.ConstraintError as e:
        raise RuleFileError(f"constraint {name!r}: {e.message}", location=locate(e.path) or source) from None
    except Exception as e:
        # A template our runtimes cannot compile (a syntax error, a builtin regorus lacks, the
        # engine not installed): a load error at the template's code, never constraints that
        # skip every object they match.
        raise _compile_error(template, found[2], found[1], e, name) from None
    match_spec = spec.get("match") if isinstance(spec, Mapping) else None
    try:
        match_source = gk_expansion.source_of(match_spec)
        plan = gk_expansion.Plan(matcher, match_source, expander)
    except gk_expansion.ExpansionError as e:
        raise RuleFileError(f"constraint {name!r}: spec.match: {e.message}",
                            location=locate(("spec", "match", *e.path)) or source) from None
    in_context = check.in_context if check.referential else None
    action_for, matcher = _enforced(enforcement, state.point, matcher)
    return CompiledRule(
        name=name,
        id=f"{kind}/{name}",
        check=check if plan.plain else plan.check(check),
        match=matcher if plan.plain else plan.match,
        action=(enforcement.gator or Action.AUDIT) if state.point == "gator" else enforcement.default(),
        action_for=action_for,
        title=template.title or template.name,
        description=template.description,
        source=source,
        dialect="gatekeeper",
        policy=kind,
        check_key=f"gatekeeper/{check.engine}",
        # Referential templates read `data.inventory`: the objects the engine's context holds.
        check_in_context=in_context if in_context is None or plan.plain else plan.check_in_context(in_context),
        needs_inventory=check.referential,
        notice=gk_expansion.unexpanded_notice(f"{kind}/{name}", match_spec, match_source, expander),
        namespace_labels=isinstance(spec, Mapping) and isinstance(spec.get("match"), Mapping)
        and bool(spec["match"].get("namespaceSelector")),
    )


def _enforced(enforcement: gk_constraint.Enforcement, point: str,
              matcher: Callable[[Resource], bool]) -> tuple[Callable[[Resource], Action] | None, Callable[[Resource], bool]]:
    """The action for one resource and the matcher, where a scoped action differs by place: the
    webhook (a request) or a scan; a place the constraint is not enforced at judges nothing."""
    if point == "gator":
        return None, matcher if enforcement.gator is not None else _never
    if enforcement.plain is not None:
        return None, matcher
    admission, scan = enforcement.admission, enforcement.scan

    def action_for(r: Resource) -> Action:
        found = admission if r.request is not None else scan
        return found or Action.AUDIT  # unreachable: the matcher leaves such resources alone

    def enforced(r: Resource) -> bool:
        return (admission if r.request is not None else scan) is not None and matcher(r)

    return action_for, enforced


def _never(_: Resource) -> bool:
    return False


def _compile_error(template: gk_template.Template, locate: Locate, source: Location, e: BaseException,
                   constraint: str | None) -> RuleFileError:
    text = _first_line(e)
    path = template.rego_path if "rego" in text.lower() or template.cel is None else template.cel_path
    where = locate(path) if path else source
    m = re.search(r"module(\d+)\.rego:(\d+):(\d+)", str(e))
    said = re.search(r"\berror: ([^|\n]+)", str(e))
    if m and said:  # regorus names the line inside the Rego (module0 is the template's rego, then its libs)
        part = "rego" if m.group(1) == "0" else f"libs[{int(m.group(1)) - 1}]"
        text = f"{said.group(1).strip()} (near {part} line {m.group(2)}, column {m.group(3)})"
    hint = ("pip install 'kube-guardrails[gatekeeper]'" if "pip install" in str(e)
            else f"fix the template's code; its constraint {constraint!r} (and every other) cannot run until it compiles"
            if constraint is not None else "fix the template's code; no constraint of its kind can run until it compiles")
    return RuleFileError(f"template {template.name!r} does not compile: {text}", location=where, hint=hint)


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
