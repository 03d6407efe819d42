"""`podSecurity`: the Pod Security Standards, as Kubernetes' pod-security-admission judges a pod.

Params:
  level: baseline | restricted
  version: latest (default) or v1.N, the policy version whose rules apply
  controls: optional, only these controls (PSS names such as "Host Namespaces", or PSA check
            ids such as hostNamespaces)
  fields: optional, only violations whose field path matches one of these globs
          (`spec.containers[*].securityContext.privileged`, `metadata.annotations*`)
  exclude: optional, [{controlName, images?, restrictedField?, values?}]: a violation of that
           control is not reported when its container's image matches `images`, its field
           (indexes written [*]) matches `restrictedField` and every bad value matches `values`
  exemptions: optional, PSA's admission exemptions {usernames, namespaces, runtimeClasses}

Every violation is its own finding, at its field, in PSA's words for that one container:
`privileged (container "web" must not set securityContext.privileged=true)`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from guardrails.checks.base import Check, CheckFn, Keyed
from guardrails.errors import ParamError
from guardrails.kube import paths, selectors
from guardrails.kube import podsecurity as pss
from guardrails.model import FieldPath, Resource, Violation

__all__ = ["POD_SECURITY", "Exclusion", "starred"]

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "required": ["level"],
    "additionalProperties": False,
    "properties": {
        "level": {"enum": list(pss.LEVELS)},
        "version": {"type": "string", "pattern": r"^(latest|v1\.(0|[1-9][0-9]*))$"},
        "controls": {**_STRINGS, "minItems": 1},
        "fields": {**_STRINGS, "minItems": 1},
        "exclude": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["controlName"],
                "additionalProperties": False,
                "properties": {
                    "controlName": {"type": "string", "minLength": 1},
                    "images": _STRINGS,
                    "restrictedField": {"type": "string", "minLength": 1},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "exemptions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"usernames": _STRINGS, "namespaces": _STRINGS, "runtimeClasses": _STRINGS},
        },
    },
}

_INDEX = re.compile(r"\[\d+\]")


def starred(path: FieldPath) -> str:
    """The field as PSS documents write it: `spec.containers[*].securityContext.privileged`."""
    return _INDEX.sub("[*]", paths.display(path))


def _glob(patterns: Sequence[str], text: str) -> bool:
    """`*` is the only wildcard: brackets are literal, as in `containers[*]`."""
    return any(selectors.wildcard(p, text) for p in patterns)


@dataclasses.dataclass(frozen=True, slots=True)
class Exclusion:
    checks: frozenset[str]
    images: tuple[str, ...]
    field: str | None
    values: tuple[str, ...]

    def covers(self, check: str, item: pss.Item, image: str | None) -> bool:
        if check not in self.checks:
            return False
        if self.images and (image is None or not _glob(self.images, image)):
            return False
        if self.field is not None and not _glob((self.field,), starred(item.path)):
            return False
        return not self.values or all(_glob(self.values, v) for v in item.values)


def _check_ids(names: Sequence[str], where: FieldPath, *, listed: bool = True) -> frozenset[str]:
    ids = {c.id for c in pss.CONTROLS}
    out: set[str] = set()
    for i, n in enumerate(names):
        if n in pss.CONTROL_NAMES:
            out.update(pss.CONTROL_NAMES[n])
        elif n in ids:
            out.add(n)
        else:
            known = ", ".join(sorted(pss.CONTROL_NAMES))
            raise ParamError(f"unknown Pod Security control {n!r}: use one of {known}", (*where, i) if listed else where)
    return frozenset(out)


def _image_at(spec: Mapping[str, Any], path: FieldPath) -> str | None:
    if len(path) >= 3 and path[0] == "spec" and path[1] in ("containers", "initContainers", "ephemeralContainers"):
        c = paths.get({"spec": spec}, path[:3])
        image = c.get("image") if isinstance(c, Mapping) else None
        return image if isinstance(image, str) else ""
    return None


def _compile(params: Any) -> CheckFn:
    if not isinstance(params, Mapping) or "level" not in params:
        raise ParamError("expected {level: baseline | restricted, version: latest | v1.N}")
    level = params["level"]
    if level not in pss.LEVELS:
        raise ParamError("level must be baseline or restricted", ("level",))
    try:
        version = pss.parse_version(str(params.get("version", "latest")))
    except ValueError as e:
        raise ParamError(str(e), ("version",)) from None
    only = _check_ids(params["controls"], ("controls",)) if params.get("controls") else None
    fields = tuple(params.get("fields") or ())
    exclusions = []
    for i, ex in enumerate(params.get("exclude") or ()):
        exclusions.append(Exclusion(
            _check_ids([str(ex.get("controlName", ""))], ("exclude", i, "controlName"), listed=False),
            tuple(ex.get("images") or ()), ex.get("restrictedField"), tuple(str(v) for v in ex.get("values") or ())))
    exempt = params.get("exemptions") or {}
    exempt_users = tuple(exempt.get("usernames") or ())
    exempt_namespaces = tuple(exempt.get("namespaces") or ())
    exempt_classes = tuple(exempt.get("runtimeClasses") or ())
    pairs = [(c, v) for c, v in pss.controls_for(level, version) if only is None or c.id in only]

    def exempted(resource: Resource, spec: Mapping[str, Any]) -> bool:
        if exempt_namespaces and resource.namespace in exempt_namespaces:
            return True
        if exempt_classes and spec.get("runtimeClassName") in exempt_classes:
            return True
        info = (resource.request or {}).get("userInfo")
        return bool(exempt_users and isinstance(info, Mapping) and info.get("username") in exempt_users)

    def check(resource: Resource) -> Iterator[Violation]:
        obj = resource.obj
        spec = obj.get("spec") if isinstance(obj.get("spec"), Mapping) else {}
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        assert isinstance(spec, Mapping) and isinstance(meta, Mapping)
        if exempted(resource, spec):
            return
        for control, variant in pairs:
            for item in variant.find(meta, spec):
                if fields and not _glob(fields, paths.display(item.path)) and not _glob(fields, starred(item.path)):
                    continue
                if exclusions:
                    image = _image_at(spec, item.path)
                    if any(ex.covers(control.id, item, image) for ex in exclusions):
                        continue
                reads: tuple[FieldPath, ...] = (item.path, ("spec", "securityContext")) if item.required else (item.path,)
                yield Violation(pss.describe(control.id, [item]).message, item.path, reads=reads)

    keys = [v.keys for _, v in pairs]
    if all(k is not None for k in keys):
        return Keyed(check, frozenset().union(*(k for k in keys if k is not None)))
    return check


POD_SECURITY = Check(
    key="podSecurity",
    schema=SCHEMA,
    compile=_compile,
    summary="The Pod Security Standards (baseline or restricted, by version) as pod-security-admission judges them.",
)
