"""What the fast paths share: the review's parameters, OPA's set semantics for messages, and
the pod's containers as the library's Rego walks them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.lang.opa import get, items

__all__ = ["CONTAINER_KINDS", "NativeFn", "is_update", "params", "pod_containers", "unique"]

NativeFn = Callable[[Mapping[str, Any]], Iterable[str]]  # review -> messages
CONTAINER_KINDS = (("containers", "container"), ("initContainers", "initContainer"), ("ephemeralContainers", "ephemeralContainer"))


def params(parameters: Any) -> Mapping[str, Any]:
    return parameters if isinstance(parameters, Mapping) else {}


def unique(violations: Iterable[tuple[str, Any]]) -> list[str]:
    seen: set[tuple[str, Any]] = set()
    out = []
    for v in violations:
        if v not in seen:
            seen.add(v)
            out.append(v[0])
    return out


def is_update(review: Mapping[str, Any]) -> bool:
    return bool(get(review, "operation") == "UPDATE")


def pod_containers(review: Mapping[str, Any]) -> list[Any]:
    """`input_containers`, a set: identical containers count once."""
    out: list[Any] = []
    for field, _ in CONTAINER_KINDS:
        for c in items(get(review, "object", "spec", field)):
            if c not in out:
                out.append(c)
    return out
