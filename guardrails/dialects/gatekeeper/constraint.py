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
from guardrails.kube import paths
from guardrails.model import Action, Resource, Violation

__all__ = ["ENFORCEMENT_POINTS", "ENGINES", "ConstraintError", "Enforcement", "GatekeeperCheck", "Programs",
           "compile_constraint", "parse_enforcement"]

ENGINES = ("auto", "native", "cel", "rego")
_ACTIONS = {"deny": Action.DENY, "dryrun": Action.AUDIT, "warn": Action.WARN}
_RANK = {Action.DENY: 3, Action.WARN: 2, Action.AUDIT: 1}
# The enforcement points Gatekeeper knows ("*": all of them). Those that concern us: our webhook
# is Gatekeeper's validation webhook; a scan is its audit (and gator); `guardrails test` of a
# gator suite is gator. `vap.k8s.io` (Gatekeeper's generated ValidatingAdmissionPolicy) is
# none of ours.
ENFORCEMENT_POINTS = ("validation.gatekeeper.sh", "audit.gatekeeper.sh", "gator.gatekeeper.sh", "vap.k8s.io", "*")
_ADMISSION_POINTS = ("validation.gatekeeper.sh",)
_AUDIT_POINTS = ("audit.gatekeeper.sh", "gator.gatekeeper.sh")
_GATOR_POINTS = ("gator.gatekeeper.sh",)


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
            from guardrails import isolation
            from guardrails.dialects.gatekeeper import rego

            t = self.template
            assert t.rego is not None and t.package is not None
            if not isolation.enabled():
                self.rego = rego.RegoProgram(t.rego, t.libs, t.package)
            else:
                # The native compiler may crash or hang on a template: it compiles in a worker
                # first (a load error naming the template), then here, then runs in workers.
                try:
                    isolation.call(rego.compiles, "", t.rego, t.libs, t.package)
                except (isolation.WorkerCrashed, isolation.WorkerTimeout) as e:
                    raise rego.RegoError(f"the Rego engine could not compile it: {e}") from None
                self.rego = rego.IsolatedProgram(t.rego, t.libs, t.package)
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
            yield Violation(message, paths.named_in(resource.obj, message))

    def in_context(self, resource: Resource, context: Context) -> Iterable[Violation]:
        """The check with `data.inventory` made of the objects judged together."""
        data = context.derived("gatekeeper/inventory", lambda c: review.inventory(c.inventory)) if context.inventory else None
        for message in self.messages(resource, data):
            # A violation is words only: it points at the container (or volume) it names, if one.
            yield Violation(message, paths.named_in(resource.obj, message))

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


@dataclasses.dataclass(frozen=True, slots=True)
class Enforcement:
    """A constraint's action at each place guardrails enforces it; None: not enforced there (a
    scoped action naming other enforcement points), so the constraint judges nothing there."""

    admission: Action | None  # the webhook: Gatekeeper's validation webhook
    scan: Action | None  # a scan: Gatekeeper's audit (and gator)
    gator: Action | None  # `guardrails test` of a gator suite: gator only

    @property
    def plain(self) -> Action | None:
        """The one action when every place has the same, else None."""
        return self.admission if self.admission == self.scan == self.gator else None

    def default(self) -> Action:
        """The action to show for the rule (scans first)."""
        return self.scan or self.admission or self.gator or Action.AUDIT


def _strictest(actions: list[Action]) -> Action | None:
    return max(actions, key=_RANK.__getitem__) if actions else None


def _did_you_mean(raw: Any, choices: Iterable[str]) -> str:
    low = raw.lower() if isinstance(raw, str) else None
    near = next((c for c in choices if c == low), None)
    return f" (did you mean {near!r}? the value is case-sensitive)" if near else ""


def parse_enforcement(spec: Mapping[str, Any]) -> Enforcement:
    """`enforcementAction` and `scopedEnforcementActions`, validated as Gatekeeper validates them
    (deny, dryrun, warn, scoped; a scoped action needs entries of a known action and at least one
    known enforcement point). Raises ConstraintError with the path of the bad field."""
    raw = spec.get("enforcementAction")
    if raw is None or raw == "":
        raw = "deny"
    if not isinstance(raw, str):
        raise ConstraintError("spec.enforcementAction must be a string", ("spec", "enforcementAction"))
    if raw in _ACTIONS:
        a = _ACTIONS[raw]
        return Enforcement(a, a, a)
    if raw != "scoped":
        raise ConstraintError(
            f"unrecognized enforcementAction {raw!r}: use deny, dryrun, warn or scoped{_did_you_mean(raw, (*_ACTIONS, 'scoped'))}",
            ("spec", "enforcementAction"),
        )
    scoped = spec.get("scopedEnforcementActions")
    where: tuple[str | int, ...] = ("spec", "scopedEnforcementActions")
    if scoped is None:
        raise ConstraintError("enforcementAction scoped needs scopedEnforcementActions", ("spec", "enforcementAction"))
    if not isinstance(scoped, list) or not scoped:
        raise ConstraintError(
            "scopedEnforcementActions must be a non-empty list of {action, enforcementPoints: [{name}]}", where)
    by_point: dict[str, list[Action]] = {}
    for i, entry in enumerate(scoped):
        if not isinstance(entry, Mapping):
            raise ConstraintError("must be a mapping {action, enforcementPoints: [{name}]}", (*where, i))
        action = entry.get("action")
        if action not in _ACTIONS:
            raise ConstraintError(
                f"unrecognized action {action!r}: use deny, dryrun or warn{_did_you_mean(action, _ACTIONS)}",
                (*where, i, "action"))
        points = entry.get("enforcementPoints")
        if not isinstance(points, list) or not points:
            raise ConstraintError(
                f"no enforcementPoints: the action is enforced nowhere (name one of {', '.join(ENFORCEMENT_POINTS)})",
                (*where, i))
        for j, point in enumerate(points):
            name = point.get("name") if isinstance(point, Mapping) else None
            if name not in ENFORCEMENT_POINTS:
                raise ConstraintError(
                    f"unrecognized enforcement point {name!r}: the constraint would not be enforced there "
                    f"(use {', '.join(ENFORCEMENT_POINTS)})", (*where, i, "enforcementPoints", j))
            by_point.setdefault(name, []).append(_ACTIONS[action])

    def at(points: tuple[str, ...]) -> Action | None:
        return _strictest([a for p in (*points, "*") for a in by_point.get(p, [])])

    return Enforcement(admission=at(_ADMISSION_POINTS), scan=at(_AUDIT_POINTS), gator=at(_GATOR_POINTS))


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
) -> tuple[GatekeeperCheck, gk_match.Matcher, Enforcement]:
    """Raises ConstraintError / MatchError with the path of the bad field."""
    spec = doc.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise ConstraintError("spec must be a mapping", ("spec",))
    try:
        matcher = gk_match.compile_match(spec.get("match"))
    except gk_match.MatchError as e:
        raise ConstraintError(f"spec.match: {e.message}", ("spec", "match", *e.path)) from None
    action = parse_enforcement(spec)
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
