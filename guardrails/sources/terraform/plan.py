"""Terraform plan JSON (`terraform show -json`) -> Resources the engine judges like manifests.

Every managed resource being created or updated becomes one Kubernetes-shaped object:

    apiVersion: terraform.io/v1
    kind: aws_s3_bucket                                  # the resource type
    metadata:
      name: module.store.aws_s3_bucket.logs[0]           # the address
      labels: {...}                                      # tags_all, else tags; GCP labels
    spec: {...}                                          # the planned attribute values, as-is

so `requiredLabels` reads tags, and `pattern`/`deny`/`assert` rules address attributes as
`spec.<attribute>`. Values known only after apply are null in `spec` and their field paths
are in `Resource.unknown`, so the engine reports UNKNOWN instead of a false FAIL. Those the
configuration does not write at all (the provider computes them) are also in
`Resource.computed`: a rule that declares the provider's default for one judges the default.
`kubernetes_*` workloads are turned into real Kubernetes objects (see `terraform_k8s`).
Deletions, no-ops, reads and deposed objects are skipped unless `all_resources`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from guardrails.errors import SourceError
from guardrails.model import FieldPath, Location, Origin, Resource
from guardrails.sources.terraform import attachments
from guardrails.sources.terraform import kubernetes as terraform_k8s
from guardrails.sources.terraform.configuration import Configuration, read_configuration, written
from guardrails.sources.text import decode

__all__ = ["API_VERSION", "call_path", "is_plan", "module_sources", "read_plan", "resources"]

API_VERSION = "terraform.io/v1"

# Terraform's own ordering of replace actions varies (create_before_destroy); any plan that
# leaves the resource in place after apply is judged on its planned values.
_JUDGED = frozenset({"create", "update"})

# tags_all includes the provider's default_tags; GCP's terraform_labels its default_labels.
_LABEL_ATTRS: tuple[tuple[str, str], ...] = (("tags_all", "tags"), ("terraform_labels", "labels"))

_MODULE_STEP = re.compile(r'module\.([^.\[]+)(\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?\.')


def is_plan(data: Any) -> bool:
    """A plan is recognised by its content, whatever the file is called."""
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("format_version"), str)
        and ("resource_changes" in data or "planned_values" in data)
    )


def read_plan(raw: bytes | str, display: str) -> Any:
    """Bytes (UTF-8, or UTF-8/16/32 with a BOM, as Windows shells write) -> parsed plan JSON."""
    if isinstance(raw, bytes):
        raw = decode(raw, display)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise SourceError(
            f"malformed plan JSON: {e.msg}",
            location=Location(display, e.lineno, e.colno),
            hint="write the plan with `terraform show -json plan.out > plan.json`",
        ) from None


def resources(
    plan: Mapping[str, Any],
    display: str,
    *,
    all_resources: bool = False,
    problems: list[SourceError] | None = None,
) -> list[Resource]:
    """The plan's resources to judge, in plan order.

    A resource change that is not shaped as Terraform writes it is skipped and reported: into
    `problems` when given (the scan goes on with the others), else raised as a SourceError.
    """
    try:
        config = read_configuration(plan.get("configuration"))
    except (TypeError, ValueError, AttributeError):
        config = Configuration({}, {})  # only module sources and provider defaults are lost
    out: list[Resource] = []
    changes = list(_changes(plan))
    subjects: list[tuple[int, attachments.Subject]] = []
    for i, rc in enumerate(changes):
        try:
            r = _resource(rc, display, config, all_resources=all_resources)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
            address = rc.get("address") if isinstance(rc.get("address"), str) else f"resource_changes[{i}]"
            err = SourceError(
                f"malformed Terraform plan: {address}: {type(e).__name__}: {e}",
                location=Location(display),
                hint="write the plan with `terraform show -json plan.out`; the other resources were judged",
            )
            if problems is None:
                raise err from None
            problems.append(err)
            continue
        if r is not None:
            if r.kind in _SUBJECTS and r.api_version == API_VERSION:
                subjects.append((len(out), _subject(r, rc)))
            out.append(r)
    if subjects:
        attachments.attach([s for _, s in subjects], changes, config, call_path)
        for at, s in subjects:
            out[at] = dataclasses.replace(out[at], unknown=frozenset(s.unknown))
    return out


_SUBJECTS = attachments.subject_types()


def _subject(r: Resource, rc: Mapping[str, Any]) -> attachments.Subject:
    assert isinstance(r.obj, dict)  # built by _resource
    spec = r.obj.get("spec")
    return attachments.Subject(
        obj=r.obj, unknown=set(r.unknown), module=r.origin.module or "", type=r.kind,
        name=str(rc.get("name") or ""), index=rc.get("index"), values=spec if isinstance(spec, Mapping) else {},
    )


def module_sources(plan: Mapping[str, Any]) -> dict[str, str]:
    """Module call path (`net.subnets`) -> its source, local ones joined to their parent's."""
    try:
        return dict(read_configuration(plan.get("configuration")).sources)
    except (TypeError, ValueError, AttributeError):
        return {}


def _changes(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    changes = plan.get("resource_changes")
    if isinstance(changes, list):
        yield from (c for c in changes if isinstance(c, Mapping))
        return
    # Without resource_changes (hand-trimmed plans) the planned values are all we have.
    planned = plan.get("planned_values")
    root = planned.get("root_module") if isinstance(planned, Mapping) else None
    for res in _planned(root):
        yield {**res, "change": {"actions": ["create"], "after": res.get("values") or {}}}


def _planned(module: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(module, Mapping):
        return
    for r in module.get("resources") or ():
        if isinstance(r, Mapping):
            yield r
    for child in module.get("child_modules") or ():
        yield from _planned(child)


def _resource(
    rc: Mapping[str, Any], display: str, config: Configuration, *, all_resources: bool
) -> Resource | None:
    change = rc.get("change")
    if not isinstance(change, Mapping):
        return None
    actions = change.get("actions")
    actions = [a for a in actions if isinstance(a, str)] if isinstance(actions, list) else []
    judged = rc.get("mode", "managed") == "managed" and "deposed" not in rc and bool(_JUDGED.intersection(actions))
    if not judged and not all_resources:
        return None
    address = str(rc.get("address") or "")
    rtype = str(rc.get("type") or "")
    values, unknown_tree = change.get("after"), change.get("after_unknown")
    if not isinstance(values, Mapping):  # a deletion: what is being destroyed
        values, unknown_tree = change.get("before"), None
    values = values if isinstance(values, Mapping) else {}
    module = rc.get("module_address")
    if not isinstance(module, str):
        module = _module_of(address)
    origin = Origin(
        path=display,
        address=address or None,
        module=module or None,
        module_source=config.sources.get(call_path(module)) if module and config.sources else None,
    )
    mapped = terraform_k8s.to_kubernetes(rtype, values, unknown_tree)
    if mapped is not None:
        obj, unknown = mapped
        _placeholders(obj, unknown)
        return Resource(obj=obj, origin=origin, unknown=frozenset(unknown))
    spec = terraform_k8s.decode_embedded(rtype, values)
    unknown = set(terraform_k8s.unknown_paths(unknown_tree, ("spec",))) if unknown_tree else set()
    metadata: dict[str, Any] = {"name": address}
    labels = _labels(values, unknown_tree, unknown)
    if labels is not None:
        metadata["labels"] = labels
    obj = {"apiVersion": API_VERSION, "kind": rtype, "metadata": metadata, "spec": spec}
    _placeholders(obj, unknown)
    return Resource(obj=obj, origin=origin, unknown=frozenset(unknown), computed=_computed(rc, module, config, unknown))


def _computed(
    rc: Mapping[str, Any], module: str, config: Configuration, unknown: set[FieldPath]
) -> frozenset[FieldPath]:
    """The unknown attributes the configuration leaves out: the provider computes them.

    Without the resource's configuration nothing can be told apart, and every unknown stays one.
    """
    if not unknown or not config.present:
        return frozenset()
    block = config.resource(call_path(module), str(rc.get("mode", "managed")), str(rc.get("type")), str(rc.get("name")))
    if block is None:
        return frozenset()
    return frozenset(p for p in unknown if p[:1] == ("spec",) and not written(block.expressions, p[1:]))


def _labels(values: Mapping[str, Any], unknown_tree: Any, unknown: set[FieldPath]) -> dict[str, Any] | None:
    """Tags as labels; None when the type has no tags at all.

    When the complete set (tags_all) is not known yet, the tags we can see are kept and the
    whole map is marked unknown: a missing tag may still come from the provider's default_tags.
    """
    unk = unknown_tree if isinstance(unknown_tree, Mapping) else {}
    for full, own in _LABEL_ATTRS:
        has_full = full in values or full in unk
        if not has_full and own not in values and own not in unk and not (own == "tags" and "tag" in values):
            continue
        full_value, full_unk = values.get(full), unk.get(full)
        if has_full and (full_unk is True or isinstance(full_value, Mapping)):
            value, u = full_value, full_unk
            if full_unk is True:  # resource tags win over default tags: what we see is part of it
                own_value = values.get(own)
                value = dict(own_value) if isinstance(own_value, Mapping) else {}
        else:  # the provider does not compute the full set: the resource's own tags
            value, u = values.get(own), unk.get(own)
            if value is None and u is not True and isinstance(values.get("tag"), list):
                value, u = values["tag"], unk.get("tag")  # aws_autoscaling_group's tag blocks
        if u is True:
            unknown.add(("metadata", "labels"))
        elif isinstance(u, Mapping):
            unknown.update(("metadata", "labels", k) for k, v in u.items() if v is True)
        return _as_map(value)
    return None


def _placeholders(obj: dict[str, Any], unknown: set[FieldPath]) -> None:
    """An unknown value is present as null, so a check that finds it wanting reports its own
    path (which the engine turns into UNKNOWN), not the nearest parent that exists."""
    for path in unknown:
        parent: Any = obj
        for step in path[:-1]:
            if isinstance(parent, dict) and isinstance(step, str):
                parent = parent.get(step)
            elif isinstance(parent, list) and isinstance(step, int) and step < len(parent):
                parent = parent[step]
            else:
                parent = None
                break
        if isinstance(parent, dict) and path and isinstance(path[-1], str) and path[-1] not in parent:
            parent[path[-1]] = None


def _as_map(value: Any) -> dict[str, Any]:
    """Tags as a map; also the `[{key, value, propagate_at_launch}]` lists of autoscaling groups."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        return {
            str(t["key"]): t.get("value")
            for t in value
            if isinstance(t, Mapping) and isinstance(t.get("key"), str)
        }
    return {}


@functools.lru_cache(maxsize=4096)  # a plan's modules repeat: one regex walk per module, not per resource
def _module_of(address: str) -> str:
    """`module.a["x"].module.b.aws_s3_bucket.c` -> `module.a["x"].module.b`."""
    end = 0
    while m := _MODULE_STEP.match(address, end):
        end = m.end()
    return address[: end - 1] if end else ""


@functools.lru_cache(maxsize=4096)
def call_path(module: str) -> str:
    """A module instance address without instance keys: the path of module calls."""
    return ".".join(m.group(1) for m in _MODULE_STEP.finditer(module + "."))
