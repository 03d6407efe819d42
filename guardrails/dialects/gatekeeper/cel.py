"""A template's K8sNativeValidation code (CEL), compiled once, evaluated per object.

The runtime is `common-expression-language` (Rust, from PyPI) with its strings/lists
extension functions, which the library's templates use (`join`, `replace`, `lowerAscii`).
The environment is Gatekeeper's: `object`, `oldObject`, `request`, `params` (the constraint),
and `variables.params` (the constraint's parameters) and `variables.anyObject` (object, or
oldObject on DELETE) before the template's own variables, evaluated in order.
A validation that evaluates to false is a violation with its message (or messageExpression);
an expression that cannot be evaluated raises CelError.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["CelError", "CelProgram"]


class CelError(RuntimeError):
    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _import_cel() -> tuple[Any, Mapping[str, Any]]:
    try:
        import cel
        from cel.stdlib import STDLIB_FUNCTIONS
    except ImportError:  # pragma: no cover - depends on the environment
        raise CelError(
            "CEL templates need common-expression-language: pip install 'kube-guardrails[gatekeeper]'"
        ) from None
    return cel, STDLIB_FUNCTIONS


_HAS = re.compile(r"\bhas\(\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*){2,})\s*\)")


def _presence_chains(text: str) -> str:
    """`has(a.b.c.d)` -> `has(a.b) && has(a.b.c) && has(a.b.c.d)`.

    cel-go (Gatekeeper's runtime) answers false when a map in the middle of the chain lacks the
    key; this runtime raises instead. The library's templates rely on cel-go's answer.
    """

    def expand(m: re.Match[str]) -> str:
        parts = m.group(1).split(".")
        tests = [f"has({'.'.join(parts[: i + 1])})" for i in range(1, len(parts))]
        return "(" + " && ".join(tests) + ")"

    return _HAS.sub(expand, text)


class CelProgram:
    def __init__(self, source: Mapping[str, Any]) -> None:
        cel, functions = _import_cel()
        self._cel = cel
        self._functions = dict(functions)
        self._lock = threading.Lock()
        self.variables: list[tuple[str, Any]] = []
        self.validations: list[tuple[Any, str | None, Any, str]] = []
        for i, v in enumerate(source.get("variables") or []):
            if not isinstance(v, Mapping) or not isinstance(v.get("name"), str):
                raise CelError("variable needs a name and an expression", ("variables", i))
            self.variables.append((v["name"], self._compile(v.get("expression"), ("variables", i, "expression"))))
        validations = source.get("validations") or []
        if not validations:
            raise CelError("K8sNativeValidation code has no validations", ("validations",))
        for i, v in enumerate(validations):
            if not isinstance(v, Mapping):
                raise CelError("validation must be a mapping", ("validations", i))
            expr = self._compile(v.get("expression"), ("validations", i, "expression"))
            msg_expr = None
            if v.get("messageExpression"):
                msg_expr = self._compile(v["messageExpression"], ("validations", i, "messageExpression"))
            message = v.get("message")
            self.validations.append(
                (expr, message if isinstance(message, str) else None, msg_expr, str(v.get("expression")))
            )

    def _compile(self, text: Any, path: tuple[str | int, ...]) -> Any:
        if not isinstance(text, str) or not text.strip():
            raise CelError("expression must be a non-empty string", path)
        try:
            return self._cel.compile(_presence_chains(text))
        except Exception as e:  # the runtime raises ValueError and friends with its parse error
            raise CelError(f"CEL does not compile: {e}", path) from None

    def evaluate(
        self,
        review: Mapping[str, Any],
        parameters: Any,
        constraint: Mapping[str, Any],
    ) -> list[str]:
        """Messages of the validations that do not hold."""
        obj = review.get("object")
        old = review.get("oldObject")
        any_object = old if obj is None and review.get("operation") == "DELETE" else obj
        request = {k: v for k, v in review.items() if k not in ("object", "oldObject")}
        variables: dict[str, Any] = {"params": {} if parameters is None else parameters, "anyObject": any_object}
        ctx = self._cel.Context(
            {"object": obj, "oldObject": old, "request": request, "params": constraint, "variables": variables},
            self._functions,
        )
        with self._lock:
            for name, prog in self.variables:
                # Kubernetes evaluates variables lazily: one that fails matters only where it is
                # used, so it is left out and the expression using it fails in its turn.
                try:
                    variables[name] = prog.execute(ctx)
                except Exception:
                    continue
                ctx.add_variable("variables", variables)
            out: list[str] = []
            for expr, message, msg_expr, text in self.validations:
                try:
                    ok = expr.execute(ctx)
                except Exception as e:
                    raise CelError(f"{text}: {e}") from None
                if ok is True:
                    continue
                if msg_expr is not None:
                    try:
                        out.append(str(msg_expr.execute(ctx)))
                        continue
                    except Exception:  # Kubernetes falls back to message when messageExpression fails
                        pass
                out.append(message or f"failed expression: {text}")
        return out
