"""A template's K8sNativeValidation code (CEL), compiled once per template, evaluated per object
on the one CEL runtime (guardrails.lang.cel), Gatekeeper's named variant of it.

The environment is Gatekeeper's: `object`, `oldObject`, `request`, `params` (the constraint),
and `variables.params` (the constraint's parameters) and `variables.anyObject` (object, or
oldObject on DELETE) before the template's own variables. Variables are compiled into the
expressions that read them (lazy, as Kubernetes evaluates them), so nothing is rebuilt per
variable; the environment is built once per process and an activation once per object.
A validation that evaluates to false is a violation with its message (or messageExpression);
an expression that cannot be evaluated raises CelError.

Gatekeeper's variant: `has(a.b.c)` is false, not an error, when a map in the middle is absent
(the library's templates rely on it), so presence tests are expanded into chains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.lang import cel

__all__ = ["CelError", "CelProgram"]

CelError = cel.CelError

_NAMES = ("object", "oldObject", "request", "params", cel.variable_name("params"), cel.variable_name("anyObject"))


class CelProgram:
    def __init__(self, source: Mapping[str, Any]) -> None:
        self._scope = cel.Scope(_NAMES, source.get("variables") or [], ("variables",), presence_chains=True)
        scope = self._scope
        validations = source.get("validations") or []
        if not validations:
            raise CelError("K8sNativeValidation code has no validations", ("validations",))
        self.validations: list[tuple[cel.Program, str | None, cel.Program | None, str]] = []
        for i, v in enumerate(validations):
            if not isinstance(v, Mapping):
                raise CelError("validation must be a mapping", ("validations", i))
            expr = scope.compile(v.get("expression"), ("validations", i, "expression"))
            msg_expr = None
            if v.get("messageExpression"):
                msg_expr = scope.compile(v["messageExpression"], ("validations", i, "messageExpression"))
            message = v.get("message")
            self.validations.append(
                (expr, message if isinstance(message, str) else None, msg_expr, str(v.get("expression")))
            )

    def evaluate(
        self,
        review: Mapping[str, Any],
        parameters: Any,
        constraint: Mapping[str, Any],
        converted: Mapping[str, Any] | None = None,
        converted_params: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Messages of the validations that do not hold. `converted`: the review's object,
        oldObject and request already as CEL reads them (built once per request);
        `converted_params`: `params_data(parameters, constraint)`, built once per constraint."""
        base = converted if converted is not None else review_data(review)
        data = dict(base)
        data.update(converted_params if converted_params is not None else params_data(parameters, constraint))
        budget = cel.Budget()
        act = self._scope.activation(data, converted=True, budget=budget)
        out: list[str] = []
        for expr, message, msg_expr, text in self.validations:
            try:
                ok = expr.boolean(act, budget)
            except cel.CelEvalError as e:
                raise CelError(f"{text}: {e.message}") from None
            if ok:
                continue
            if msg_expr is not None:
                try:
                    out.append(msg_expr.string(act, budget))
                    continue
                except cel.CelEvalError:  # Kubernetes falls back to message when messageExpression fails
                    pass
            out.append(message or f"failed expression: {text}")
        return out


def params_data(parameters: Any, constraint: Mapping[str, Any]) -> dict[str, Any]:
    """The per-constraint part of the activation: `params` and `variables.params`."""
    return {"params": cel.plain(constraint)[0],
            cel.variable_name("params"): cel.plain({} if parameters is None else parameters)[0]}


def review_data(review: Mapping[str, Any]) -> dict[str, Any]:
    """The per-request part of the activation: converted once, shared by every template."""
    obj, _ = cel.plain(review.get("object"))
    old, _ = cel.plain(review.get("oldObject"))
    any_object = old if obj is None and review.get("operation") == "DELETE" else obj
    request, _ = cel.plain({k: v for k, v in review.items() if k not in ("object", "oldObject")})
    return {"object": obj, "oldObject": old, "request": request, cel.variable_name("anyObject"): any_object}
