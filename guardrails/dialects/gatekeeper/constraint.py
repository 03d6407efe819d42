"""A constraint and its template -> CompiledRule, evaluated by Rego, CEL or a native fast path.

Engine choice (`engine="auto"`): a native fast path when the template is one we have proven
equal to its library Rego; else the template's CEL when it has some (Gatekeeper's own choice
for a template with both engines); else its Rego. Each template's program is compiled once
and shared by all its constraints.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

from guardrails.context import Context
from guardrails.dialects.gatekeeper import fastpaths as native
from guardrails.dialects.gatekeeper import match as gk_match
from guardrails.dialects.gatekeeper import review
from guardrails.dialects.gatekeeper.template import Template
from guardrails.model import Action, Resource, Violation

__all__ = ["ENGINES", "ConstraintError", "GatekeeperCheck", "Programs", "compile_constraint", "parse_action"]

ENGINES = ("auto", "native", "cel", "rego")
_ACTIONS = {"deny": Action.DENY, "dryrun": Action.AUDIT, "warn": Action.WARN}
_RANK = {Action.DENY: 3, Action.WARN: 2, Action.AUDIT: 1}
# The enforcement points a scoped action may name that concern us: our webhook is Gatekeeper's
# validation webhook; a scan is its audit (and gator).
_ADMISSION_POINTS = ("validation.gatekeeper.sh", "*")
_AUDIT_POINTS = ("audit.gatekeeper.sh", "gator.gatekeeper.sh", "*")


class ConstraintError(ValueError):
    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclasses.dataclass
class Programs:
    """The compiled programs of one template, built on first use and shared by its constraints."""

    template: Template
    rego: Any = None
    cel: Any = None

    def rego_program(self) -> Any:
        if self.rego is None:
            from guardrails.dialects.gatekeeper.rego import RegoProgram

            assert self.template.rego is not None and self.template.package is not None
            self.rego = RegoProgram(self.template.rego, self.template.libs, self.template.package)
        return self.rego

    def cel_program(self) -> Any:
        if self.cel is None:
            from guardrails.dialects.gatekeeper.cel import CelProgram

            assert self.template.cel is not None
            self.cel = CelProgram(self.template.cel)
        return self.cel


class GatekeeperCheck:
    """The check function of one constraint. Referential templates read `data.inventory`, built
    from the evaluation context's inventory (`in_context`); called alone, the inventory is empty."""

    def __init__(self, *, engine: str, programs: Programs, parameters: Any, constraint: Mapping[str, Any]) -> None:
        self.engine = engine
        self.programs = programs
        self.parameters = parameters
        self.constraint = constraint
        self._params_json: str | None = None
        self._cel_params: Mapping[str, Any] | None = None
        self._native = native.compile(programs.template, parameters) if engine == "native" else None
        # Compile now, at load, so a template that does not compile fails there, not mid-scan.
        if engine == "rego":
            programs.rego_program()
        elif engine == "cel":
            programs.cel_program()

    @property
    def referential(self) -> bool:
        return self.programs.template.requires_inventory

    def __call__(self, resource: Resource) -> Iterable[Violation]:
        for message in self.messages(resource):
            yield Violation(message)

    def in_context(self, resource: Resource, context: Context) -> Iterable[Violation]:
        """The check with `data.inventory` made of the objects judged together."""
        data = context.derived("gatekeeper/inventory", lambda c: review.inventory(c.inventory)) if context.inventory else None
        for message in self.messages(resource, data):
            yield Violation(message)

    def messages(self, resource: Resource, data: Mapping[str, Any] | None = None) -> list[str]:
        shared = review.shared(resource)
        if self._native is not None:
            return list(self._native(shared.review))
        rev = shared.review
        if self.engine == "cel":
            if self._cel_params is None:
                from guardrails.dialects.gatekeeper.cel import params_data

                self._cel_params = params_data(self.parameters, self.constraint)
            out: list[str] = self.programs.cel_program().evaluate(rev, self.parameters, self.constraint,
                                                                  shared.cel(), self._cel_params)
            return out
        params = {} if self.parameters is None else self.parameters
        program = self.programs.rego_program()
        if getattr(program, "shares_input", False):
            # The review's JSON text is made once per request; only the parameters are this
            # constraint's own (encoded once, at load).
            if self._params_json is None:
                self._params_json = json.dumps(params, separators=(",", ":"), default=str)
            encoded = f'{{"review":{shared.json()},"parameters":{self._params_json}}}'
            results = program.evaluate(None, data, encoded=encoded)
        else:
            results = program.evaluate({"review": rev, "parameters": params}, data)
        return [r if isinstance(r, str) else str(r) for r in results]


def parse_action(spec: Mapping[str, Any]) -> Action:
    """enforcementAction deny/dryrun/warn; `scoped` takes the strictest action for admission,
    else the strictest for audit. Raises ConstraintError for an unknown action."""
    raw = spec.get("enforcementAction") or "deny"
    if raw in _ACTIONS:
        return _ACTIONS[raw]
    if raw != "scoped":
        raise ConstraintError(
            f"unknown enforcementAction {raw!r}: use deny, dryrun, warn or scoped", ("spec", "enforcementAction")
        )
    scoped = spec.get("scopedEnforcementActions")
    if not isinstance(scoped, list) or not scoped:
        raise ConstraintError(
            "enforcementAction scoped needs a non-empty scopedEnforcementActions list", ("spec", "scopedEnforcementActions")
        )
    by_point: dict[str, list[Action]] = {}
    for i, entry in enumerate(scoped):
        action = entry.get("action") if isinstance(entry, Mapping) else None
        if action not in _ACTIONS:
            raise ConstraintError(
                f"unknown action {action!r}: use deny, dryrun or warn", ("spec", "scopedEnforcementActions", i, "action")
            )
        for point in entry.get("enforcementPoints") or []:
            name = point.get("name") if isinstance(point, Mapping) else None
            if isinstance(name, str):
                by_point.setdefault(name, []).append(_ACTIONS[action])
    for points in (_ADMISSION_POINTS, _AUDIT_POINTS):
        found = [a for p in points for a in by_point.get(p, [])]
        if found:
            return max(found, key=_RANK.__getitem__)
    return Action.AUDIT


def choose_engine(template: Template, parameters: Any, engine: str) -> str:
    if engine != "auto":
        return engine
    if native.supports(template, parameters):
        return "native"
    if template.cel is not None:
        return "cel"
    return "rego"


def compile_constraint(
    doc: Mapping[str, Any], programs: Programs, *, engine: str = "auto"
) -> tuple[GatekeeperCheck, gk_match.Matcher, Action]:
    """Raises ConstraintError / MatchError with the path of the bad field."""
    spec = doc.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise ConstraintError("spec must be a mapping", ("spec",))
    try:
        matcher = gk_match.compile_match(spec.get("match"))
    except gk_match.MatchError as e:
        raise ConstraintError(f"spec.match: {e.message}", ("spec", "match", *e.path)) from None
    action = parse_action(spec)
    parameters = spec.get("parameters")
    chosen = choose_engine(programs.template, parameters, engine)
    template = programs.template
    if chosen == "cel" and template.cel is None:
        raise ConstraintError(f"template {template.name!r} has no CEL code")
    if chosen == "rego" and template.rego is None:
        raise ConstraintError(f"template {template.name!r} has no Rego code")
    if chosen == "native" and not native.supports(template, parameters):
        raise ConstraintError(f"template {template.name!r} has no native fast path")
    check = GatekeeperCheck(engine=chosen, programs=programs, parameters=parameters, constraint=doc)
    return check, matcher, action
