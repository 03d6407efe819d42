"""Kyverno's `validate.podSecurity` on the one Pod Security implementation (kube.podsecurity).

What is Kyverno's own here, and reproduced as Kyverno does it:
- which controls run (`podsecurity.evaluate_kyverno`: no restricted-over-baseline overrides);
- where the pod is: a Pod's spec, a controller's template, a CronJob's job template (whose
  metadata, not the pod template's, is the pod's metadata there);
- `exclude`: for each entry, the controls named by `controlName` are evaluated again on a
  stand-in pod (without `images`: the pod with one empty container, for pod-level fields; with
  `images`: only the containers whose image matches), and every field error that stand-in
  still has, when it matches `restrictedField` (indexes written [*]) and its bad values match
  `values`, takes one matching field error off the real result; a control with none left passes;
- the message: `Validation rule 'R' failed. It violates PodSecurity "level:version": ...`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.kube import podsecurity as pss
from guardrails.kube import workloads
from guardrails.kube.selectors import wildcard
from guardrails.model import FieldPath, Status

__all__ = ["Exclude", "PodSecurityRule", "go_field"]

_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"[a-zA-Z]+")
_CONTAINER_TYPES = ("containers", "initContainers", "ephemeralContainers")


def go_field(path: FieldPath) -> str:
    """A field path as Kubernetes' field.Path prints it: `spec.containers[0].image`,
    `metadata.annotations[key]`."""
    out = ""
    for i, step in enumerate(path):
        if isinstance(step, int) or (i > 0 and path[i - 1] == "annotations"):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Exclude:
    control: str
    images: tuple[str, ...]
    restricted_field: str
    values: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class _Err:
    field: str
    item: pss.Item


def _pod(obj: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any], FieldPath, FieldPath] | None:
    """(metadata, spec, path of the spec, path of the metadata) where Kyverno reads the pod."""
    kind = obj.get("kind")
    base = workloads.pod_template_path(kind) if isinstance(kind, str) else None
    if base is None:
        return None
    cur: Any = obj
    for step in base:
        cur = cur.get(step) if isinstance(cur, Mapping) else None
    template = cur if isinstance(cur, Mapping) else {}
    spec = template.get("spec") if isinstance(template.get("spec"), Mapping) else {}
    meta_base: FieldPath = (*base, "metadata")
    if kind == "CronJob":
        meta_base = ("spec", "jobTemplate", "metadata")
        job = obj.get("spec", {}).get("jobTemplate") if isinstance(obj.get("spec"), Mapping) else None
        meta = job.get("metadata") if isinstance(job, Mapping) else None
    else:
        meta = template.get("metadata")
    assert isinstance(spec, Mapping)
    return meta if isinstance(meta, Mapping) else {}, spec, (*base, "spec"), meta_base


def _errors(results: Sequence[pss.Result]) -> dict[str, list[_Err]]:
    return {r.check: [_Err(go_field(i.path), i) for i in r.items] for r in results}


def _container_name(spec: Mapping[str, Any], field: str) -> tuple[str, bool]:
    """(name of the container the field is in, whether it is in one), as Kyverno parses it."""
    words = _WORDS.findall(field)
    if len(words) < 2 or words[1] not in _CONTAINER_TYPES:
        return "", False
    digits = _DIGITS.findall(field)
    items = spec.get(words[1])
    index = int(digits[0]) if digits else 0
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], Mapping):
        return str(items[index].get("name", "")), True
    return "", True


@dataclasses.dataclass(frozen=True, slots=True)
class PodSecurityRule:
    level: str
    version_text: str
    excludes: tuple[Exclude, ...]

    @classmethod
    def build(cls, raw: Mapping[str, Any]) -> PodSecurityRule:
        excludes = []
        for ex in raw.get("exclude") or ():
            if isinstance(ex, Mapping):
                excludes.append(Exclude(str(ex.get("controlName", "")), tuple(str(i) for i in ex.get("images") or ()),
                                        str(ex.get("restrictedField") or ""),
                                        tuple(str(v) for v in ex.get("values") or ())))
        return cls(str(raw.get("level", "")), str(raw.get("version") or ""), tuple(excludes))

    def _evaluate(self, version: pss.Version, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[pss.Result]:
        return pss.evaluate_kyverno(self.level, version, meta, spec)

    def _exclude(self, version: pss.Version, meta: Mapping[str, Any], spec: Mapping[str, Any],
                 found: dict[str, list[_Err]], ex: Exclude) -> None:
        if not ex.images:
            stand_in_meta, stand_in = meta, {**spec, "containers": [{"name": "fake"}]}
            stand_in.pop("initContainers", None)
            stand_in.pop("ephemeralContainers", None)
            container_level = False
        else:
            stand_in_meta = {k: meta[k] for k in ("name", "namespace") if k in meta}
            stand_in = {
                f: [c for c in spec.get(f) or () if isinstance(c, Mapping)
                    and any(wildcard(p, str(c.get("image", ""))) for p in ex.images)]
                for f in _CONTAINER_TYPES
            }
            container_level = True
        ids = pss.CONTROL_NAMES.get(ex.control, ())
        for check, errs in _errors(self._evaluate(version, stand_in_meta, stand_in)).items():
            if check not in ids:
                continue
            for err in errs:
                field = _DIGITS.sub("*", err.field)
                name, in_container = _container_name(stand_in, err.field) if container_level else ("", False)
                if ex.restricted_field and field != ex.restricted_field:
                    continue
                if ex.values and not all(any(wildcard(p, v) for p in ex.values) for v in err.item.values):
                    continue
                mine = found.get(check)
                if not mine:
                    continue
                for idx, have in enumerate(mine):
                    if _DIGITS.sub("*", have.field) != field:
                        continue
                    if in_container and _container_name(spec, have.field)[0] != name:
                        continue
                    del mine[idx]
                    break
                if not mine:
                    del found[check]

    def respond(self, obj: Any, rule: str) -> tuple[Status, str, FieldPath]:
        """Kyverno's verdict on the object: (status, message, path of the first offending field)."""
        try:
            version = pss.parse_version(self.version_text)
        except ValueError as e:
            return Status.ERROR, f"failed to parse pod security api version: {e}", ()
        if self.level not in pss.LEVELS:
            if self.level == "privileged":
                return Status.PASS, f"Validation rule '{rule}' passed.", ()
            return Status.ERROR, f"unknown pod security level {self.level!r}", ()
        found_pod = _pod(obj) if isinstance(obj, Mapping) else None
        if found_pod is None:
            return Status.ERROR, "Error while getting new resource: could not find correct resource type", ()
        meta, spec, spec_base, meta_base = found_pod
        results = self._evaluate(version, meta, spec)
        found = _errors(results)
        for ex in self.excludes:
            self._exclude(version, meta, spec, found, ex)
        if not found:
            return Status.PASS, f"Validation rule '{rule}' passed.", ()
        reasons = {r.check: r.reason for r in results}
        parts = []
        first: FieldPath | None = None
        for r in results:
            errs = found.get(r.check)
            if not errs:
                continue
            shown = ", ".join(_show(e) for e in errs)
            parts.append(f"(Forbidden reason: {reasons[r.check]}, field error list: [{shown}])")
            if first is None:
                p = errs[0].item.path
                first = (*meta_base, *p[1:]) if p[:1] == ("metadata",) else (*spec_base, *p[1:])
        text = (f"Validation rule '{rule}' failed. It violates PodSecurity "
                f'"{self.level}:{self.version_text}": {"".join(parts)}')
        return Status.FAIL, text, first or ()


def _show(err: _Err) -> str:
    item = err.item
    if item.required and not item.values:
        return f"{err.field}: Required value"
    value = item.value
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, list):
        shown = "[" + " ".join(str(v) for v in value) + "]"
    elif value is None:
        shown = item.values[0] if item.values else "<nil>"
    else:
        shown = str(value)
    if isinstance(value, str) and not value:
        return f"{err.field}: Forbidden"
    return f"{err.field} is forbidden, forbidden values found: {shown}"
