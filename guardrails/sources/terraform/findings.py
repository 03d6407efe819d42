"""Findings on a plan's resources, in Terraform's own words, with its secrets never printed.

Rules match the Kubernetes-shaped view (`spec.root_block_device[0].encrypted`,
`metadata.labels`); the people reading a finding wrote HCL. So, for every finding on a
cloud resource of a plan (not the `kubernetes_*` ones, which are Kubernetes objects):

- `field` is the attribute as HCL writes it: `root_block_device[0].encrypted`, `tags["team"]`
  (`labels["team"]` for Google types), and `tags_all["team"] (from the provider's
  default_tags)` when the tag is not on the resource itself;
- the pattern checks' Kyverno wording (`validation error: rule anyPattern[0] failed at path
  /spec/encrypted/`) becomes what the plan holds there: `encrypted is false`,
  `acl is "public-read"`, `encrypted is not set`, `encrypted is known only after apply`,
  `encrypted is not set (the provider's default applies)`;
- labels are called tags where the type has tags.

Redaction: every value the plan marks sensitive (`after_sensitive`/`before_sensitive` of
every resource change, `sensitive_values` of planned values, sensitive outputs and the
values of sensitive variables) is replaced by `(sensitive)` in every finding message, whatever
check wrote it. The whole plan's secrets are redacted from each of its findings: a secret
repeated in a non-sensitive attribute is still a secret.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from guardrails.kube import paths
from guardrails.model import FieldPath, Finding, Resource, Status
from guardrails.sources.terraform.attachments import ATTACHMENTS

__all__ = ["REDACTED", "hcl_path", "redact", "secrets", "terraform_words"]

REDACTED = "(sensitive)"

# The pattern checks' wording, as Kyverno writes it, and as the native checks do
# (`spec.encrypted is false, expected true`; anyPattern: `matches none of the 2 accepted forms: (1) ...`).
_KYVERNO = re.compile(r"(?:validation error: |pattern failed at path |matches none of the \d+ accepted forms: "
                      r"|(?<![\w.\]])spec[.\[]\S* (?:is|must|has) )")
_AT_PATH = re.compile(r"failed at path (/\S*/)|^(/\S*/):")
_NATIVE_PATH = re.compile(r"(?:^|\(\d+\) |, )(spec[.\[][^\s,;]*) (?:is|must|has) ")
_DISPLAY_STEP = re.compile(r"\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\[\"((?:[^\"\\]|\\.)*)\"\]")
_LABEL_NOUN = re.compile(r'\blabel(s?) (?=")')
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# Types whose labels are Google/Kubernetes `labels`, not `tags`.
_LABEL_PREFIXES = ("google_",)
_SHOWN = 120  # characters of a value shown in a message


def hcl_path(steps: FieldPath) -> str:
    """`root_block_device[0].encrypted`; map keys that are not identifiers as `["key"]`."""
    out: list[str] = []
    for step in steps:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _IDENT.match(step):
            out.append(f".{step}" if out else step)
        else:
            out.append(f"[{json.dumps(step)}]")
    return "".join(out)


def _value_text(resource: Resource, path: FieldPath, status: Status) -> str:
    if resource.is_unknown(path):
        if status is Status.FAIL and any(path[: i + 1] in resource.computed for i in range(len(path))):
            return "not set (the provider's default applies)"
        return "known only after apply"
    node = paths.get(resource.obj, path)
    if node is paths.MISSING or node is None:
        return "not set"
    text = json.dumps(node, sort_keys=True, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _display_steps(text: str) -> FieldPath:
    """`spec.root_block_device[0].encrypted` -> ("spec", "root_block_device", 0, "encrypted")."""
    out: list[str | int] = []
    for name, index, key in _DISPLAY_STEP.findall(text):
        out.append(int(index) if index else (name or json.loads(f'"{key}"')))
    return tuple(out)


def _steps(slashed: str) -> FieldPath:
    """Kyverno's `/spec/root_block_device/0/encrypted/` -> ("spec", "root_block_device", 0, "encrypted")."""
    return tuple(int(s) if s.isdigit() else s for s in slashed.strip("/").split("/") if s)


@dataclasses.dataclass(frozen=True, slots=True)
class _Tags:
    own: Mapping[str, Any]  # `tags` as written on the resource
    noun: str  # "tag" or "label"
    attribute: str  # "tags" or "labels"
    full: str  # "tags_all" or "terraform_labels"


def _tags_of(rtype: str, values: Mapping[str, Any]) -> _Tags:
    if rtype.startswith(_LABEL_PREFIXES):
        own = values.get("labels")
        return _Tags(own if isinstance(own, Mapping) else {}, "label", "labels", "terraform_labels")
    own = values.get("tags")
    return _Tags(own if isinstance(own, Mapping) else {}, "tag", "tags", "tags_all")


def _field(resource: Resource, path: FieldPath, tags: _Tags) -> str:
    if path[:1] == ("spec",):
        return hcl_path(path[1:])
    if path == ("metadata",) or path[:2] == ("metadata", "labels"):
        if len(path) <= 2:
            return tags.attribute
        key = path[2]
        if isinstance(key, str) and key not in tags.own and key in resource.labels:
            return f"{tags.full}[{json.dumps(key)}] (from the provider's default_tags)"
        return f"{tags.attribute}[{json.dumps(key)}]"
    if path[:2] == ("metadata", "name"):
        return ""
    return hcl_path(path)


def _message(finding: Finding, resource: Resource, tags: _Tags) -> str:
    message = finding.message
    m = _KYVERNO.search(message)
    if m is not None:
        lead = message[: m.start()].rstrip(": ").rstrip()
        detail = message[m.start() :]
        paths = ([_steps(a or b) for a, b in _AT_PATH.findall(detail.replace("pattern failed at path ", "", 1))]
                 or [_display_steps(t) for t in _NATIVE_PATH.findall(detail)] or [finding.path])
        seen: list[str] = []
        for p in dict.fromkeys(paths):
            shown = _field(resource, p, tags) or "the resource"
            seen.append(f"{shown} is {_value_text(resource, p, finding.status)}")
        said = "; ".join(seen)
        message = f"{lead}: {said}" if lead else said
    elif finding.status is Status.UNKNOWN:
        message = _unknown(message, finding, resource, tags)
    elif message.endswith(_FAILS_UNKNOWN):  # --fail-on-unknown: the same words, and that it fails
        message = _unknown(message.removesuffix(_FAILS_UNKNOWN), finding, resource, tags) + " (an unknown value fails this rule)"
    if tags.noun == "tag":
        message = _LABEL_NOUN.sub(r"tag\1 ", message)
    return message


_FAILS_UNKNOWN = " (known only after apply; an unknown value fails this rule)"  # as the engine words it
_MISSING = re.compile(r"^(.+?) (?:is|are) (?:missing|not set)$")


def _unknown(message: str, finding: Finding, resource: Resource, tags: _Tags) -> str:
    """An UNKNOWN finding of a check that words its own failures (a deny condition, required
    tags) says what is not known yet, never the failure it may turn out to be: `no aws_flow_log
    refers to this VPC` while a flow log's vpc_id is known only after apply would be false."""
    lead, sep, detail = message.partition(": ")
    if not sep:
        lead, detail = "", message
    untied = sorted(p[1] for p in resource.unknown if len(p) == 2 and p[0] == "attached" and isinstance(p[1], str))
    named = [t for t in untied if t in detail] or untied
    if named:
        said = "; ".join(
            f"an {t}'s {ATTACHMENTS[t].attribute} is known only after apply, so whether it belongs to this "
            f"{resource.kind} is not known" for t in named if t in ATTACHMENTS
        )
    elif (m := _MISSING.match(detail)) is not None:
        said = f"{m.group(1)} is known only after apply"
    else:
        said = f"{_field(resource, finding.path, tags) or 'a value it reads'} is known only after apply"
    return f"{lead}: {said}" if lead else said


def terraform_words(findings: Sequence[Finding], resources: Iterable[Resource], plan: Mapping[str, Any]) -> list[Finding]:
    """The plan's findings with HCL fields and messages, and its sensitive values redacted."""
    if not findings:
        return list(findings)
    by_address = {r.origin.address: r for r in resources if r.origin.address}
    values = _after_values(plan)
    hidden = secrets(plan)
    out = []
    for f in findings:
        r = by_address.get(f.origin.address) if f.origin.address else None
        message, field = f.message, f.field
        if r is not None and r.api_version == "terraform.io/v1":
            tags = _tags_of(r.kind, values.get(r.origin.address or "", {}))
            message = _message(f, r, tags)
            field = _field(r, f.path, tags)
        if hidden:
            message = redact(message, hidden)
            field = redact(field, hidden)
        out.append(dataclasses.replace(f, message=message, field=field))
    return out


def _after_values(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    changes = plan.get("resource_changes")
    for rc in changes if isinstance(changes, list) else ():
        if not isinstance(rc, Mapping) or not isinstance(rc.get("address"), str):
            continue
        change = rc.get("change")
        after = change.get("after") if isinstance(change, Mapping) else None
        if isinstance(after, Mapping):
            out[rc["address"]] = after
    return out


# --- secrets -------------------------------------------------------------------------------


def redact(text: str, hidden: Sequence[str]) -> str:
    """`text` with every secret (longest first, so a secret inside another goes too) replaced.

    A secret of fewer than 4 characters is replaced only where it stands alone (not inside a
    word or a number), so a sensitive `8` does not turn `[0]`... into noise; a longer one
    wherever it appears."""
    for s in hidden:
        if s not in text:
            continue
        if len(s) >= 4:
            text = text.replace(s, REDACTED)
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", REDACTED, text)
    return text


def secrets(plan: Mapping[str, Any]) -> list[str]:
    """Every string a plan marks sensitive, as it may appear in a message (also JSON-escaped),
    longest first. Numbers and booleans marked sensitive are included as their text."""
    found: set[str] = set()
    changes = plan.get("resource_changes")
    for rc in changes if isinstance(changes, list) else ():
        change = rc.get("change") if isinstance(rc, Mapping) else None
        if not isinstance(change, Mapping):
            continue
        for values, marks in (("after", "after_sensitive"), ("before", "before_sensitive")):
            found.update(_marked(change.get(values), change.get(marks)))
    planned = plan.get("planned_values")
    found.update(_planned_secrets(planned.get("root_module") if isinstance(planned, Mapping) else None))
    found.update(_output_secrets(plan))
    found.update(_variable_secrets(plan))
    out: set[str] = set()
    for s in found:
        if not s:
            continue
        out.add(s)
        escaped = json.dumps(s)[1:-1]
        if escaped != s:
            out.add(escaped)
        out.add(repr(s)[1:-1])
    return sorted(out, key=len, reverse=True)


def _marked(value: Any, marks: Any) -> Iterator[str]:
    """Leaves of `value` where the sensitivity tree `marks` is true (true covers a subtree)."""
    if marks is True:
        yield from _leaves(value)
    elif isinstance(marks, Mapping) and isinstance(value, Mapping):
        for k, m in marks.items():
            if m and k in value:
                yield from _marked(value[k], m)
    elif isinstance(marks, list) and isinstance(value, list):
        for v, m in zip(value, marks):
            if m:
                yield from _marked(v, m)


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for _k, v in value.items():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, bool) or value is None:
        return  # true/false/null carry no secret and are everywhere in messages
    elif isinstance(value, (int, float)):
        yield str(value)
    elif isinstance(value, str):
        yield value
        # a JSON document in a string (a policy, container definitions): its own strings too
        if value[:1] in "{[":
            with contextlib.suppress(ValueError):
                yield from _leaves(json.loads(value))


def _planned_secrets(module: Any) -> Iterator[str]:
    if not isinstance(module, Mapping):
        return
    for r in module.get("resources") or ():
        if isinstance(r, Mapping):
            yield from _marked(r.get("values"), r.get("sensitive_values"))
    for child in module.get("child_modules") or ():
        yield from _planned_secrets(child)


def _output_secrets(plan: Mapping[str, Any]) -> Iterator[str]:
    planned = plan.get("planned_values")
    outputs = planned.get("outputs") if isinstance(planned, Mapping) else None
    for o in outputs.values() if isinstance(outputs, Mapping) else ():
        if isinstance(o, Mapping) and o.get("sensitive") is True:
            yield from _leaves(o.get("value"))
    changes = plan.get("output_changes")
    for c in changes.values() if isinstance(changes, Mapping) else ():
        if isinstance(c, Mapping):
            yield from _marked(c.get("after"), c.get("after_sensitive"))
            yield from _marked(c.get("before"), c.get("before_sensitive"))


def _variable_secrets(plan: Mapping[str, Any]) -> Iterator[str]:
    """Values of the root module's variables declared `sensitive = true`."""
    config = plan.get("configuration")
    root = config.get("root_module") if isinstance(config, Mapping) else None
    declared = root.get("variables") if isinstance(root, Mapping) else None
    given = plan.get("variables")
    if not isinstance(declared, Mapping) or not isinstance(given, Mapping):
        return
    for name, decl in declared.items():
        if isinstance(decl, Mapping) and decl.get("sensitive") is True:
            v = given.get(name)
            if isinstance(v, Mapping):
                yield from _leaves(v.get("value"))

