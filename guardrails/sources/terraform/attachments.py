"""Settings that providers keep in a resource of their own, attached to the resource they set.

A VPC's flow logs are `aws_flow_log` resources naming the VPC (`vpc_id`); since AWS provider 4,
a bucket's access logging, encryption, versioning and public access block are `aws_s3_bucket_*`
resources naming the bucket (`bucket`). A rule about the VPC or the bucket must see them, so
each resource of a subject type gets, beside `spec`, the planned values of what is attached to
it:

    attached:
      aws_flow_log: [{vpc_id: ..., traffic_type: ALL, ...}]     # [] when nothing is attached

An attachment is tied to its subject the way Terraform ties them:

1. by reference, as the configuration records it (`vpc_id = aws_vpc.main.id` is recorded as
   the references `aws_vpc.main.id`, `aws_vpc.main`): the subject block of that name in the
   same module instance; `aws_vpc.main[0]` names an instance; a bare name of a block with
   several instances pairs instances with the same key (the `count.index` / `each.key`
   idiom);
2. else by value, when both are known: the attribute equals the subject's `id` (or, for
   buckets, its `bucket` name);
3. else it cannot be tied (a module input, a value known only after apply): it may belong to
   any subject of its type, so every one of them that has none of its own has that attachment
   type unknown, never a false "missing".

Attachments that stay after apply count (created, updated, unchanged, replaced); those being
destroyed do not.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from guardrails.model import FieldPath
from guardrails.sources.terraform.configuration import Configuration

__all__ = ["ATTACHMENTS", "Subject", "attach", "subject_types"]


@dataclasses.dataclass(frozen=True, slots=True)
class _Kind:
    subject: str  # the resource type it is attached to
    attribute: str  # the attribute of the attachment that names the subject
    keys: tuple[str, ...]  # the subject's attributes that value can equal


# attachment type -> how it names its subject. One table: add a row for another split resource.
ATTACHMENTS: Mapping[str, _Kind] = {
    "aws_flow_log": _Kind("aws_vpc", "vpc_id", ("id",)),
    "aws_s3_bucket_logging": _Kind("aws_s3_bucket", "bucket", ("id", "bucket")),
    "aws_s3_bucket_server_side_encryption_configuration": _Kind("aws_s3_bucket", "bucket", ("id", "bucket")),
    "aws_s3_bucket_versioning": _Kind("aws_s3_bucket", "bucket", ("id", "bucket")),
    "aws_s3_bucket_public_access_block": _Kind("aws_s3_bucket", "bucket", ("id", "bucket")),
}

_BY_SUBJECT: dict[str, tuple[str, ...]] = {}
for _type, _kind in ATTACHMENTS.items():
    _BY_SUBJECT[_kind.subject] = (*_BY_SUBJECT.get(_kind.subject, ()), _type)

_REFERENCE = re.compile(r'([A-Za-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[(\d+|"(?:[^"\\]|\\.)*")\])?(?:\.|$)')
_STAYS = frozenset({"create", "update", "no-op"})


@dataclasses.dataclass(slots=True)
class Subject:
    """One resource of a subject type, as `resources` built it: `obj` gets `attached`."""

    obj: dict[str, Any]
    unknown: set[FieldPath]
    module: str  # module instance address, "" for the root module
    type: str
    name: str
    index: Any  # the count index or for_each key, None for a single instance
    values: Mapping[str, Any]


def attach(
    subjects: Sequence[Subject],
    changes: Sequence[Mapping[str, Any]],
    config: Configuration,
    call_path: Any,
) -> None:
    """Fill `attached` (and unknown attachment types) of every subject, in place.

    `call_path(module_instance_address) -> module call path`, as the plan module computes it.
    """
    if not subjects:
        return
    blocks: dict[tuple[str, str, str], list[Subject]] = {}
    for s in subjects:
        s.obj["attached"] = {t: [] for t in _BY_SUBJECT[s.type]}
        blocks.setdefault((s.module, s.type, s.name), []).append(s)
    by_value: dict[tuple[str, str], Subject] = {}
    for s in subjects:
        for atype in _BY_SUBJECT[s.type]:
            for k in ATTACHMENTS[atype].keys:
                v = s.values.get(k)
                if isinstance(v, str) and v:
                    by_value.setdefault((s.type, v), s)
    untied: set[str] = set()
    for rc in changes:
        atype = str(rc.get("type") or "")
        kind = ATTACHMENTS.get(atype)
        if kind is None or rc.get("mode", "managed") != "managed" or "deposed" in rc:
            continue
        change = rc.get("change")
        actions = change.get("actions") if isinstance(change, Mapping) else None
        if not isinstance(actions, list) or not _STAYS.intersection(actions):
            continue
        values = change.get("after") if isinstance(change, Mapping) else None
        values = values if isinstance(values, Mapping) else {}
        address = rc.get("module_address")
        module = address if isinstance(address, str) else ""
        owner = _by_reference(rc, kind, module, config, call_path, blocks)
        if owner is None:
            named = values.get(kind.attribute)
            owner = by_value.get((kind.subject, named)) if isinstance(named, str) else None
        if owner is None:
            if not isinstance(values.get(kind.attribute), str):
                untied.add(atype)  # a known value naming nothing in this plan is someone else's
            continue
        owner.obj["attached"][atype].append(dict(values))
    for s in subjects:
        for atype in _BY_SUBJECT[s.type]:
            if atype in untied and not s.obj["attached"][atype]:
                s.obj["attached"][atype] = None
                s.unknown.add(("attached", atype))


def _by_reference(
    rc: Mapping[str, Any],
    kind: _Kind,
    module: str,
    config: Configuration,
    call_path: Any,
    blocks: Mapping[tuple[str, str, str], list[Subject]],
) -> Subject | None:
    block = config.resource(call_path(module), "managed", str(rc.get("type")), str(rc.get("name")))
    expression = block.expressions.get(kind.attribute) if block is not None else None
    references = expression.get("references") if isinstance(expression, Mapping) else None
    if not isinstance(references, list):
        return None
    for ref in references:
        m = _REFERENCE.match(ref) if isinstance(ref, str) else None
        if m is None or m.group(1) != kind.subject:
            continue
        instances = blocks.get((module, kind.subject, m.group(2)))
        if not instances:
            continue
        key = m.group(3)
        if key is not None:
            wanted: Any = int(key) if key.isdigit() else key[1:-1]
            return next((s for s in instances if s.index == wanted), None)
        if len(instances) == 1 and instances[0].index is None:
            return instances[0]
        own = rc.get("index")
        return next((s for s in instances if own is not None and s.index == own), None)
    return None


def subject_types() -> frozenset[str]:
    """The resource types something can be attached to."""
    return frozenset(_BY_SUBJECT)
