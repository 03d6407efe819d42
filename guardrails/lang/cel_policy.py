"""The CEL body shared by Kubernetes' ValidatingAdmissionPolicy and Kyverno's ValidatingPolicy:
matchConditions, variables, validations (expression, message, messageExpression, reason) and
auditAnnotations, compiled once, evaluated on one activation per request.

`CelPolicy.evaluate(data)` answers as the API server's validator does:
- a matchCondition that is false: the policy does not apply (SKIP);
- a matchCondition or validation that cannot be evaluated (a missing key, the cost budget):
  failurePolicy decides (Fail: the request is denied, a FAIL naming the expression and the
  error; Ignore: the policy is skipped);
- a validation that is false: a FAIL with its message (messageExpression first; if that fails
  or is empty, message; else "failed expression: <expression>").
An expression that reads `authorizer` cannot be answered without the cluster's RBAC: the
policy is a visible SKIP saying so.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.lang import cel, cel_k8s

__all__ = ["BASE_NAMES", "NO_REQUESTER", "READS_REQUESTER", "CelPolicy", "Outcome", "PolicyError", "compile_policy_body"]

# What every admission CEL expression may read (Kubernetes' names).
BASE_NAMES = ("object", "oldObject", "request", "params", "namespaceObject", "authorizer")

_AUTHORIZER = re.compile(r"(?<![\w.])authorizer\b")
# time.now(), and jwt.Decode (a token's validity is its nbf/exp against the time).
_CLOCK = re.compile(r"(?<![\w.])(time\s*\.\s*now|jwt\s*\.\s*Decode)\s*\(")
NO_CLOCK = ("the policy reads the clock (time.now(), jwt.Decode) and no evaluation time was given "
            "(--now TIME; serve: --now wall): not judged")


# The requester (who sends the request): only an admission request has one. A scan judges files
# nobody has sent, so a policy that reads it is not judged there (Kyverno too applies such
# policies only at admission: their `background` is false).
READS_REQUESTER = re.compile(r"(?<![\w.])request\s*(\.\s*\??\s*userInfo\b|\[\s*\??\s*['\"]userInfo['\"])")
NO_REQUESTER = ("the policy reads the requester (request.userInfo, serviceAccountName), which only an admission request has: "
                "not judged in a scan")


class PolicyError(cel.CelError):
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class Validation:
    program: cel.Program
    message: str | None
    message_program: cel.Program | None
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """`status` is pass, fail, skip or error; `messages` one per failed validation."""

    status: str
    messages: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    unjudged: bool = False  # a skip because the run gave no evaluation time (reported, not dropped)


@dataclasses.dataclass(frozen=True, slots=True)
class CelPolicy:
    scope: cel.Scope | None
    conditions: tuple[tuple[str, cel.Program], ...]
    validations: tuple[Validation, ...]
    audit: tuple[tuple[str, cel.Program], ...]
    fail_closed: bool  # failurePolicy Fail (the default)
    unsupported: str | None = None
    reads_clock: bool = False  # calls time.now(): judged only with an evaluation time in the hooks
    reads_requester: bool = False  # reads request.userInfo: judged only where there is a request (NO_REQUESTER)

    def no_requester(self, request: Mapping[str, Any] | None) -> Outcome | None:
        """The visible skip of a policy that reads the requester, judged with no request (a scan)."""
        if self.reads_requester and request is None:
            return Outcome("skip", (NO_REQUESTER,), unjudged=True)
        return None

    def evaluate(self, data: Mapping[str, Any], *, converted: bool = False,
                 hooks: Mapping[str, Any] | None = None, answers: bool = False) -> Outcome:
        """`hooks`: the answers for library calls that read the world (see cel_kyverno).
        `answers`: the validations answer a request (Envoy/HTTP authorization, cel_authz)
        instead of holding or not: the first non-null answer decides, none is a skip."""
        if self.unsupported is not None:
            return Outcome("skip", (self.unsupported,))
        if self.reads_clock and not isinstance((hooks or {}).get("now"), datetime.datetime):
            return Outcome("skip", (NO_CLOCK,), unjudged=True)
        run = self._answer if answers else self._evaluate
        if hooks is None:
            return run(data, converted)
        token = cel_k8s.HOOKS.set(hooks)
        try:
            return run(data, converted)
        finally:
            cel_k8s.HOOKS.reset(token)

    def _answer(self, data: Mapping[str, Any], converted: bool) -> Outcome:
        from guardrails.lang import cel_authz

        assert self.scope is not None
        budget = cel.Budget()
        act = self.scope.activation(data, converted=converted, budget=budget)
        try:
            for name, prog in self.conditions:
                if not prog.boolean(act, budget):
                    return Outcome("skip", (f"matchCondition {name!r} is false",))
        except cel.CelEvalError as e:
            return Outcome("error", (f"matchCondition: {e.message}",))
        for v in self.validations:
            try:
                found = cel_authz.verdict(v.program.value(act, budget))
            except (cel.CelEvalError, ValueError) as e:
                text = e.message if isinstance(e, cel.CelEvalError) else str(e)
                return Outcome("error", (f"expression '{v.program.text.strip()}' resulted in error: {text}",))
            if found is not None:
                return Outcome(found[0], (found[1],))
        return Outcome("skip", ("request does not match",))

    def _evaluate(self, data: Mapping[str, Any], converted: bool) -> Outcome:
        assert self.scope is not None
        budget = cel.Budget()
        act = self.scope.activation(data, converted=converted, budget=budget)
        try:
            for name, prog in self.conditions:
                if not prog.boolean(act, budget):
                    return Outcome("skip", (f"matchCondition {name!r} is false",))
        except cel.CelEvalError as e:
            return self._failed(f"matchCondition: {e.message}")
        messages: list[str] = []
        reasons: list[str] = []
        for v in self.validations:
            try:
                ok = v.program.boolean(act, budget)
            except cel.CelEvalError as e:
                return self._failed(f"expression '{v.program.text.strip()}' resulted in error: {e.message}")
            if ok:
                continue
            messages.append(self._message(v, act, budget))
            reasons.append(v.reason)
        if messages:
            return Outcome("fail", tuple(messages), tuple(reasons))
        return Outcome("pass")

    def _message(self, v: Validation, act: cel.Activation, budget: cel.Budget) -> str:
        if v.message_program is not None:
            try:
                text = v.message_program.string(act, budget)
                if text.strip() and "\n" not in text:
                    return text
            except cel.CelEvalError:
                pass  # Kubernetes falls back to message when messageExpression fails
        if v.message:
            return v.message
        return f"failed expression: {v.program.text.strip()}"

    def _failed(self, message: str) -> Outcome:
        # failurePolicy Fail: the API server denies the request, as for a false validation.
        if self.fail_closed:
            return Outcome("fail", (message,))
        return Outcome("skip", (f"failurePolicy Ignore: {message}",))


def _reads(texts: Sequence[Any], pattern: re.Pattern[str]) -> bool:
    for t in texts:
        if isinstance(t, str):
            masked, _ = cel._masked(t)
            if pattern.search(masked):
                return True
    return False


def compile_policy_body(spec: Mapping[str, Any], names: tuple[str, ...], *, libraries: tuple[str, ...] = ("kubernetes",),
                        validations_key: str = "validations", require_validations: bool = True) -> CelPolicy:
    """Compile a spec's CEL parts; a CelError carries the field path of the bad expression."""
    raw_vars = spec.get("variables") or []
    raw_conds = spec.get("matchConditions") or []
    raw_vals = spec.get(validations_key) or []
    raw_audit = spec.get("auditAnnotations") or []
    for key, raw in (("variables", raw_vars), ("matchConditions", raw_conds), (validations_key, raw_vals),
                     ("auditAnnotations", raw_audit)):
        if not isinstance(raw, list):
            raise PolicyError(f"{key} must be a list", ("spec", key))
    if require_validations and not raw_vals and not raw_audit:
        raise PolicyError(f"the policy needs {validations_key} or auditAnnotations", ("spec",))
    failure = str(spec.get("failurePolicy") or "Fail")
    if failure not in ("Fail", "Ignore"):
        raise PolicyError(f"failurePolicy must be Fail or Ignore, not {failure!r}", ("spec", "failurePolicy"))
    texts = [v.get("expression") for v in [*raw_vars, *raw_conds, *raw_vals] if isinstance(v, Mapping)]
    texts += [v.get("messageExpression") for v in raw_vals if isinstance(v, Mapping)]
    texts += [v.get("valueExpression") for v in raw_audit if isinstance(v, Mapping)]
    if _reads(texts, _AUTHORIZER):
        return CelPolicy(None, (), (), (), failure == "Fail",
                         unsupported="the policy calls authorizer (RBAC checks), which needs the cluster: not "
                                     "evaluated offline")
    scope = cel.Scope(names, raw_vars, ("spec", "variables"), libraries=libraries)
    conds: list[tuple[str, cel.Program]] = []
    for i, c in enumerate(raw_conds):
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            raise PolicyError("matchCondition needs a name and an expression", ("spec", "matchConditions", i))
        conds.append((c["name"], scope.compile(c.get("expression"), ("spec", "matchConditions", i, "expression"))))
    vals: list[Validation] = []
    for i, v in enumerate(raw_vals):
        here = ("spec", validations_key, i)
        if not isinstance(v, Mapping):
            raise PolicyError("a validation must be a mapping with an expression", here)
        prog = scope.compile(v.get("expression"), (*here, "expression"))
        msg_prog = None
        if v.get("messageExpression"):
            msg_prog = scope.compile(v["messageExpression"], (*here, "messageExpression"))
        message = v.get("message")
        vals.append(Validation(prog, message if isinstance(message, str) and message else None, msg_prog,
                               str(v.get("reason") or "Invalid")))
    audit: list[tuple[str, cel.Program]] = []
    for i, a in enumerate(raw_audit):
        here = ("spec", "auditAnnotations", i)
        if not isinstance(a, Mapping) or not isinstance(a.get("key"), str):
            raise PolicyError("auditAnnotation needs a key and a valueExpression", here)
        audit.append((a["key"], scope.compile(a.get("valueExpression"), (*here, "valueExpression"))))
    return CelPolicy(scope, tuple(conds), tuple(vals), tuple(audit), failure == "Fail",
                     reads_clock=("kyverno" in libraries or "authz" in libraries) and _reads(texts, _CLOCK),
                     # on the raw text: request[?'userInfo'] names it in a string literal
                     reads_requester=any(isinstance(t, str) and READS_REQUESTER.search(t) for t in texts))


def admission_data(obj: Mapping[str, Any] | None, old: Mapping[str, Any] | None, *, operation: str,
                   group: str, version: str, kind: str, resource: str, subresource: str = "",
                   request: Mapping[str, Any] | None = None, params: Any = None,
                   namespace_labels: Mapping[str, Any] | None = None,
                   namespace_object: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The names an admission CEL expression reads, as the API server binds them: `object` is
    null on DELETE, `oldObject` null on CREATE; `namespaceObject` the request's Namespace (its
    name and the labels known, when the Namespace itself is not at hand), null for
    cluster-scoped objects."""
    subject = obj if obj is not None else (old or {})
    meta = subject.get("metadata") if isinstance(subject.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    namespace = str(meta.get("namespace") or "")
    req: dict[str, Any] = {
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "subResource": subresource,
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": str(meta.get("name") or ""),
        "namespace": namespace,
        "operation": operation,
        "userInfo": {},
        "dryRun": False,
        "options": None,
    }
    for k, v in (request or {}).items():
        if k not in ("object", "oldObject"):
            req[k] = v
    req["operation"] = operation
    ns_obj = namespace_object
    if ns_obj is None and namespace:
        ns_obj = {"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": namespace, "labels": dict(namespace_labels or {})}}
    return {"object": obj, "oldObject": old, "request": req, "params": params, "namespaceObject": ns_obj,
            "authorizer": None}
