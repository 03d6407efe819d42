"""Fast paths for the metadata templates: k8srequiredlabels, k8srequiredannotations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from guardrails.dialects.gatekeeper.fastpaths.common import NativeFn, params, unique
from guardrails.lang import opa
from guardrails.lang.opa import UNDEFINED, fmt, get, items, truthy


def _required(what: str, field: str, custom_message: bool) -> Callable[[Any], NativeFn]:
    """requiredlabels / requiredannotations."""

    def build(parameters: Any) -> NativeFn:
        p = params(parameters)
        entries = [e for e in items(p.get(field, UNDEFINED))]
        required = {e["key"] for e in entries if isinstance(e, Mapping) and "key" in e}
        message = p.get("message", UNDEFINED) if custom_message else UNDEFINED
        message = message if truthy(message) else UNDEFINED

        def check(review: Mapping[str, Any]) -> list[str]:
            out: list[tuple[str, Any]] = []
            present = get(review, "object", "metadata", what + "s")
            provided = set(present) if isinstance(present, Mapping) else set()
            missing = required - provided
            if missing:
                default = f"you must provide {'labels' if what == 'label' else 'annotation(s)'}: {fmt(missing)}"
                out.append((default if message is UNDEFINED else fmt(message), frozenset(missing)))
            if isinstance(present, Mapping):
                for key, value in present.items():
                    for e in entries:
                        if get(e, "key") != key:
                            continue
                        rx = get(e, "allowedRegex")
                        if rx is UNDEFINED or rx == "":
                            continue
                        if opa.regex_match(rx, value) is True:
                            continue
                        default = f"{what.capitalize()} <{fmt(key)}: {fmt(value)}> does not satisfy allowed regex: {fmt(rx)}"
                        out.append((default if message is UNDEFINED else fmt(message), None))
            return unique(out)

        return check

    return build
