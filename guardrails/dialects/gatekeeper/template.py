"""A ConstraintTemplate document -> Template: its kind, schema, Rego, libs and CEL source."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ADMISSION_TARGET", "Template", "TemplateError", "parse"]

ADMISSION_TARGET = "admission.k8s.gatekeeper.sh"
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


class TemplateError(ValueError):
    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclasses.dataclass(frozen=True, slots=True)
class Template:
    name: str
    kind: str  # the constraint kind it defines
    schema: Mapping[str, Any] | None
    rego: str | None
    package: str | None
    libs: tuple[str, ...]
    cel: Mapping[str, Any] | None  # K8sNativeValidation source: variables, validations
    requires_inventory: bool
    title: str = ""
    description: str = ""
    # Where the code that runs is, inside the template document (for compile errors).
    rego_path: tuple[str | int, ...] = ()
    cel_path: tuple[str | int, ...] = ()


def _mapping(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def parse(doc: Mapping[str, Any]) -> Template:
    """Read the parts we evaluate. Raises TemplateError with the path of the bad field."""
    meta = _mapping(doc.get("metadata"))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise TemplateError("ConstraintTemplate has no metadata.name", ("metadata",))
    spec = _mapping(doc.get("spec"))
    crd = _mapping(_mapping(spec.get("crd")).get("spec"))
    kind = _mapping(crd.get("names")).get("kind")
    if not isinstance(kind, str) or not kind:
        raise TemplateError(f"template {name!r} has no spec.crd.spec.names.kind", ("spec", "crd"))
    validation = _mapping(crd.get("validation"))
    schema = validation.get("openAPIV3Schema")
    targets = spec.get("targets")
    if not isinstance(targets, list) or not targets:
        raise TemplateError(f"template {name!r} has no spec.targets", ("spec",))
    index = next((i for i, t in enumerate(targets) if _mapping(t).get("target") == ADMISSION_TARGET), None)
    if index is None:
        raise TemplateError(f"template {name!r} has no target {ADMISSION_TARGET!r}", ("spec", "targets"))
    target = _mapping(targets[index])
    rego = target.get("rego")
    libs = target.get("libs") or []
    cel: Mapping[str, Any] | None = None
    rego_path: tuple[str | int, ...] = ("spec", "targets", index, "rego")
    cel_path: tuple[str | int, ...] = ()
    for i, code in enumerate(target.get("code") or []):
        code = _mapping(code)
        source = _mapping(code.get("source"))
        if code.get("engine") == "K8sNativeValidation":
            cel = source
            cel_path = ("spec", "targets", index, "code", i, "source")
        elif code.get("engine") == "Rego" and not rego:
            rego = source.get("rego")
            libs = source.get("libs") or []
            rego_path = ("spec", "targets", index, "code", i, "source", "rego")
    if rego is not None and not isinstance(rego, str):
        raise TemplateError(f"template {name!r}: rego must be a string", ("spec", "targets", index, "rego"))
    if not isinstance(libs, list) or not all(isinstance(x, str) for x in libs):
        raise TemplateError(f"template {name!r}: libs must be a list of strings", ("spec", "targets", index, "libs"))
    if not rego and cel is None:
        raise TemplateError(f"template {name!r} has neither rego nor K8sNativeValidation code", ("spec", "targets", index))
    package = None
    if rego:
        m = _PACKAGE.search(rego)
        if not m:
            raise TemplateError(f"template {name!r}: rego has no package line", ("spec", "targets", index, "rego"))
        package = m.group(1)
    annotations = _mapping(meta.get("annotations"))
    sources = (rego or "", *libs)
    requires_inventory = "metadata.gatekeeper.sh/requires-sync-data" in annotations or any(
        "data.inventory" in s for s in sources
    )
    return Template(
        name=name,
        kind=kind,
        schema=schema if isinstance(schema, Mapping) else None,
        rego=rego or None,
        package=package,
        libs=tuple(libs),
        cel=cel,
        requires_inventory=requires_inventory,
        title=str(annotations.get("metadata.gatekeeper.sh/title", "")),
        description=str(annotations.get("description", "")),
        rego_path=rego_path if rego else (),
        cel_path=cel_path,
    )
