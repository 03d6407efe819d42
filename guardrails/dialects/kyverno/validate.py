"""A Kyverno `validate` block evaluated on a JSON context, as Kyverno's validator does it.

`Validator.run(ctx)` gives a `Response` (pass, fail, skip or error, with Kyverno's message) or
None when the rule produced no answer (a `foreach` with nothing to check). Preconditions come
first (false: skip); then `deny`, else `pattern`/`anyPattern`, else `foreach`, with
`elementScope`, nested `foreach`, per-element preconditions and `element`/`elementIndex`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from guardrails.checks import pattern
from guardrails.dialects.kyverno.podsecurity import PodSecurityRule
from guardrails.lang import conditions
from guardrails.lang import jmespath as query
from guardrails.lang import templates as variables
from guardrails.model import FieldPath, Status

__all__ = ["FOREACH_VALUES", "Context", "ForEach", "Response", "Validator", "set_path"]


# The key under which a rule test's foreachValues reach the foreach: {variable: [value per element]}.
FOREACH_VALUES = "__foreach_values"


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted variable (`a.b.c`) in the JSON context, as Kyverno's AddVariable does."""
    parts = dotted.split(".")
    cur = data
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = dict(nxt) if isinstance(nxt, Mapping) else {}
            cur[p] = nxt
        cur = nxt
    cur[parts[-1]] = value


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    status: Status
    message: str
    path: FieldPath = ()
    unjudged: bool = False  # a SKIP because the run gave no evaluation time (model.Violation.unjudged)


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    """The JSON context (`request`, variables, `element`...), the object patterns judge, and
    the path of that object inside the resource (for foreach elements)."""

    data: Mapping[str, Any]
    target: Any
    base: FieldPath = ()


_SIMPLE_LIST = re.compile(r"request\.object((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\Z")


@dataclasses.dataclass(slots=True)
class ForEach:
    list_expr: str
    element_scope: bool | None
    body: Validator
    base: FieldPath | None  # where the list lives in the object, when the expression says so

    @classmethod
    def build(cls, rule: str, message: str, spec: Mapping[str, Any]) -> ForEach:
        expr = str(spec.get("list", ""))
        m = _SIMPLE_LIST.match(expr.strip())
        base = tuple(m.group(1)[1:].split(".")) if m else None
        scope = spec.get("elementScope")
        return cls(expr, scope if isinstance(scope, bool) else None, Validator.build(rule, message, spec), base)


def _ints(value: Any) -> Any:
    """CEL sees a manifest's whole numbers as integers (the CLI's JSON context made them floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def _node(raw: Any) -> pattern.Node | None:
    return None if variables.has_variables(raw) else pattern.compile_pattern(raw)


@dataclasses.dataclass(slots=True)
class Validator:
    rule: str
    message: str
    preconditions: Any = None
    deny: Any = None
    pattern: Any = None
    pattern_node: pattern.Node | None = None
    any_pattern: list[Any] | None = None
    any_nodes: list[pattern.Node | None] | None = None
    foreach: list[ForEach] | None = None
    pod_security: PodSecurityRule | None = None
    cel: Any = None  # a lang.cel_policy.CelPolicy for validate.cel (with celPreconditions)

    @property
    def static(self) -> bool:
        """Needs no JSON context: a pattern without variables, no preconditions, no variables
        in the message (the message only matters for failures, but it is cheap to check)."""
        if self.preconditions is not None or self.deny is not None or self.foreach is not None:
            return False
        if variables.has_variables(self.message):
            return False
        if self.pod_security is not None:
            return True
        if self.pattern is not None:
            return self.pattern_node is not None
        return self.any_nodes is not None and all(n is not None for n in self.any_nodes)

    @classmethod
    def build(cls, rule: str, message: str, spec: Mapping[str, Any], *, preconditions: Any = None) -> Validator:
        v = cls(rule, message, spec.get("preconditions", preconditions))
        if "deny" in spec:
            deny = spec.get("deny") or {}
            v.deny = deny.get("conditions") if isinstance(deny, Mapping) else None
            if v.deny is None:
                v.deny = {}
        elif spec.get("pattern") is not None:
            v.pattern = spec["pattern"]
            v.pattern_node = _node(v.pattern)
        elif spec.get("anyPattern") is not None:
            v.any_pattern = list(spec["anyPattern"]) if isinstance(spec["anyPattern"], list) else None
            v.any_nodes = [_node(p) for p in v.any_pattern or ()]
        elif spec.get("foreach") is not None:
            v.foreach = [ForEach.build(rule, message, f) for f in spec["foreach"]]
        elif isinstance(spec.get("podSecurity"), Mapping):
            v.pod_security = PodSecurityRule.build(spec["podSecurity"])
        return v

    @classmethod
    def build_cel(cls, rule: str, message: str, spec: Mapping[str, Any], *, preconditions: Any,
                  cel_preconditions: Any) -> Validator:
        """`validate.cel` (expressions, variables) with the rule's celPreconditions; raises
        cel.CelError with a path relative to the rule."""
        from guardrails.dialects.kyverno import vpol
        from guardrails.lang import cel_policy

        block = spec.get("cel") if isinstance(spec.get("cel"), Mapping) else {}
        assert isinstance(block, Mapping)
        body = {"variables": block.get("variables") or [], "validations": block.get("expressions") or [],
                "matchConditions": cel_preconditions or [], "auditAnnotations": block.get("auditAnnotations") or []}
        v = cls(rule, message, preconditions)
        v.cel = cel_policy.compile_policy_body(body, vpol.NAMES, libraries=("kyverno",))
        return v

    # --- evaluation ---------------------------------------------------------------------------

    def run(self, ctx: Context, *, nesting: int = 0) -> Response | None:
        try:
            ok, msg = conditions.check(self.preconditions, ctx.data)
        except conditions.ConditionError as e:
            return Response(Status.ERROR, f"failed to evaluate preconditions: {e}")
        if not ok:
            return Response(Status.SKIP, conditions.join_non_empty(["preconditions not met", msg], "; "))
        if self.cel is not None:
            return self._cel(ctx)
        if self.deny is not None:
            return self._deny(ctx)
        if self.pattern is not None or self.any_pattern is not None or self.any_nodes is not None:
            return self._patterns(ctx)
        if self.foreach is not None:
            return self._foreach(ctx, nesting)
        if self.pod_security is not None:
            if ctx.target is None:
                return None  # a DELETE: Kyverno skips Pod Security on deleted resources
            status, text, path = self.pod_security.respond(ctx.target, self.rule)
            return Response(status, text, path)
        return None

    def _cel(self, ctx: Context) -> Response:
        from guardrails.lang import cel_policy

        req = ctx.data.get("request") if isinstance(ctx.data.get("request"), Mapping) else {}
        assert isinstance(req, Mapping)
        obj, old = _ints(req.get("object")), _ints(req.get("oldObject"))
        subject = obj or old or {}
        api = str(subject.get("apiVersion", ""))
        group, _, version = api.rpartition("/")
        data = cel_policy.admission_data(obj, old, operation=str(req.get("operation") or "CREATE"), group=group,
                                         version=version, kind=str(subject.get("kind", "")), resource="",
                                         request=req, namespace_labels=ctx.data.get("__namespace_labels"),
                                         namespace_object=ctx.data.get("__namespace_object"))
        for name in ("resource", "image", "globalContext", "http"):
            data[name] = {}
        out = self.cel.evaluate(data, hooks=ctx.data.get("__cel_hooks") or {})
        if out.status == "pass":
            return Response(Status.PASS, f"validation rule '{self.rule}' passed.")
        if out.status == "skip":
            return Response(Status.SKIP, "; ".join(out.messages) or "celPreconditions not met", unjudged=out.unjudged)
        if out.status == "error":
            return Response(Status.ERROR, "; ".join(out.messages), ctx.base)
        return Response(Status.FAIL, "; ".join(out.messages), ctx.base)

    def _substituted_message(self, data: Mapping[str, Any]) -> str:
        out = variables.substitute(self.message, data)
        if not isinstance(out, str):
            raise variables.SubstitutionError("the produced message didn't resolve to a string")
        return out

    def _deny(self, ctx: Context) -> Response:
        try:
            denied, msg = conditions.check(self.deny, ctx.data)
        except conditions.ConditionError as e:
            return Response(Status.ERROR, f"failed to check deny conditions: {e}")
        if not denied:
            return Response(Status.PASS, f"validation rule '{self.rule}' passed.")
        if not self.message and not msg:
            return Response(Status.FAIL, f"validation error: rule {self.rule} failed", ctx.base)
        text = conditions.join_non_empty([self.message, msg], "; ")
        try:
            out = variables.substitute(text, ctx.data)
        except variables.SubstitutionError:
            return Response(Status.FAIL, msg, ctx.base)
        if not isinstance(out, str):
            out = "the produced message didn't resolve to a string, check your policy definition."
        return Response(Status.FAIL, out, ctx.base)

    def _patterns(self, ctx: Context) -> Response | None:
        try:
            if self.pattern is not None:
                node = self.pattern_node or pattern.compile_pattern(
                    variables.substitute(self.pattern, ctx.data, path=("validate", "pattern")))
                nodes = None
            else:
                node = None
                raw = self.any_pattern or []
                nodes = [n or pattern.compile_pattern(variables.substitute(p, ctx.data, path=("validate", "anyPattern", i)))
                         for i, (n, p) in enumerate(zip(self.any_nodes or [], raw))]
        except variables.SubstitutionError as e:
            return Response(Status.ERROR, f"variable substitution failed: {e}")
        if ctx.target is None:
            return None  # a DELETE: nothing to validate against
        if self.any_pattern is None and self.pattern is None:
            return Response(Status.ERROR, "failed to deserialize anyPattern, expected type array")
        single = pattern.match(node, ctx.target) if node is not None else None
        many = pattern.any_outcomes(nodes or [], ctx.target) if node is None else []

        def judge(message: str) -> pattern.Verdict:
            if single is not None:
                return pattern.pattern_verdict(single, rule=self.rule, message=message)
            return pattern.any_pattern_verdict(many, rule=self.rule, message=message)

        verdict = judge("")
        message_error: str | None = None
        if verdict.status in (Status.FAIL, Status.ERROR) and self.message:  # the message only for failures
            try:
                verdict = judge(self._substituted_message(ctx.data))
            except variables.SubstitutionError as e:
                message_error = str(e)
        if verdict.status is Status.FAIL and message_error is not None:
            text = (f"validation error: variables substitution error in rule {self.rule} execution error: "
                    f"{verdict.message}")
            return Response(Status.FAIL, text, (*ctx.base, *verdict.path))
        return Response(verdict.status, verdict.message, (*ctx.base, *verdict.path))

    def _foreach(self, ctx: Context, nesting: int) -> Response | None:
        applied = 0
        list_error: str | None = None
        for fe in self.foreach or ():
            try:
                found = query.search(fe.list_expr, ctx.data, missing=query.ERROR)
            except query.NotFound:
                continue  # an optional field that is not there
            except query.QueryError as e:
                list_error = str(e)
                continue
            elements = found if isinstance(found, list) else [found]
            resp, count = self._elements(ctx, fe, elements, nesting)
            if resp.status is not Status.PASS:
                return resp
            applied += count
        if applied == 0:
            if list_error is not None:
                return Response(Status.ERROR, f"failed to evaluate list: {list_error}")
            # Kyverno: a foreach that applied to no element is the rule's skip.
            return Response(Status.SKIP, "rule skipped")
        return Response(Status.PASS, "rule passed")

    def _elements(self, ctx: Context, fe: ForEach, elements: list[Any], nesting: int) -> tuple[Response, int]:
        applied = 0
        for index, element in enumerate(elements):
            if element is None:
                continue
            data = dict(ctx.data)
            data.update({"element": element, f"element{nesting}": element,
                         "elementIndex": index, f"elementIndex{nesting}": index})
            each = data.get(FOREACH_VALUES)
            if isinstance(each, Mapping):  # Kyverno's CLI: the value at this element's index
                for key, values in each.items():
                    if isinstance(values, list) and index < len(values):
                        set_path(data, str(key), values[index])
            scoped = isinstance(element, Mapping) if fe.element_scope is None else fe.element_scope
            if scoped and not isinstance(element, Mapping):
                return Response(Status.ERROR, "failed to process foreach: cannot use elementScope=true foreach "
                                "rules for elements that are not maps"), applied
            base = (*fe.base, index) if fe.base is not None and ctx.base == () else ctx.base
            sub = Context(data, element if scoped else ctx.target, base if scoped else ctx.base)
            r = fe.body.run(sub, nesting=nesting + 1)
            if r is None or r.status is Status.SKIP:
                continue
            if r.status is not Status.PASS:
                if r.status is Status.ERROR and "failed to evaluate preconditions" in r.message:
                    continue
                return Response(r.status, f"validation failure: {r.message}", r.path), applied
            applied += 1
        return Response(Status.PASS, ""), applied
