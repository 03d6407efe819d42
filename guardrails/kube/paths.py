"""Field paths: walking an object by path and showing a path the way kubectl users write it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.model import FieldPath

__all__ = ["MISSING", "display", "get", "named_in", "nearest_existing", "plain"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def get(obj: Any, path: FieldPath) -> Any:
    """The value at `path`, or MISSING."""
    cur = obj
    for step in path:
        if isinstance(step, int):
            if isinstance(cur, Sequence) and not isinstance(cur, str) and -len(cur) <= step < len(cur):
                cur = cur[step]
            else:
                return MISSING
        elif isinstance(cur, Mapping) and step in cur:
            cur = cur[step]
        else:
            return MISSING
    return cur


def nearest_existing(obj: Any, path: FieldPath) -> FieldPath:
    """The longest prefix of `path` that exists in `obj` (a missing field points at its parent)."""
    cur = obj
    for i, step in enumerate(path):
        nxt = get(cur, (step,))
        if nxt is MISSING:
            return path[:i]
        cur = nxt
    return path


def display(path: FieldPath) -> str:
    """`spec.containers[0].image`; keys with dots are bracketed: `metadata.labels["app.kubernetes.io/name"]`."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif step and all(c.isalnum() or c in "_-" for c in step):
            out.append(f".{step}" if out else step)
        else:
            out.append(f"[{step!r}]".replace("'", '"'))
    return "".join(out)


_OWNERS = {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container", "volumes": "volume"}


def plain(obj: Any, path: FieldPath) -> str:
    """A field as a reader names it: `container "web" securityContext.privileged`, `volume
    "data" hostPath`, `pod hostNetwork` (a pod's or a pod template's own field), else the path
    itself. A pod and a controller's pod template read the same, so one message fits both."""
    for prefix in _POD_SPECS:
        if path[: len(prefix)] == prefix and (prefix != ("spec",) or (isinstance(obj, Mapping) and obj.get("kind") == "Pod")):
            break
    else:
        return display(path) or "the object"
    rest = path[len(prefix):]
    if len(rest) >= 2 and isinstance(rest[0], str) and rest[0] in _OWNERS and isinstance(rest[1], int):
        item = get(obj, (*prefix, *rest[:2]))
        name = item.get("name") if isinstance(item, Mapping) else None
        if isinstance(name, str) and name:
            field = display(rest[2:])
            owner = f'{_OWNERS[rest[0]]} "{name}"'
            return f"{owner} {field}" if field else owner
    return f"pod {display(rest)}" if rest else "the pod"


# Where a pod's spec sits: in a Pod, in a controller's template, in a CronJob's job template.
_POD_SPECS: tuple[FieldPath, ...] = (("spec", "jobTemplate", "spec", "template", "spec"), ("spec", "template", "spec"), ("spec",))


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _names_word(text: str, word: str) -> bool:
    """`word` stands alone in `text` (not inside a longer name): linear, no regex on user data."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or text[start - 1] not in _NAME_CHARS) and (end == len(text) or text[end] not in _NAME_CHARS):
            return True
        start = text.find(word, start + 1)
    return False


def named_in(obj: Any, text: str) -> FieldPath:
    """The container or volume of `obj`'s pod spec that a message names, when exactly one is
    named (`container <web> has no resource limits` -> spec.containers[0]); else `()`, the
    resource. For rules that say only words (Gatekeeper's Rego and CEL messages)."""
    if not isinstance(obj, Mapping):
        return ()
    for prefix in _POD_SPECS:
        if prefix == ("spec",) and obj.get("kind") != "Pod":
            continue
        spec = get(obj, prefix)
        if not isinstance(spec, Mapping):
            continue
        found: list[FieldPath] = []
        for field in _OWNERS:
            items = spec.get(field)
            for i, item in enumerate(items if isinstance(items, list) else ()):
                name = item.get("name") if isinstance(item, Mapping) else None
                if isinstance(name, str) and name and _names_word(text, name):
                    found.append((*prefix, field, i))
        return found[0] if len(found) == 1 else ()
    return ()
