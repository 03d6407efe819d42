"""Kyverno's auto-generated rules for pod controllers (its autogen v1), as plain rule dicts.

A policy whose rules select Pods gets, per Pod rule, `autogen-<rule>` for DaemonSet,
Deployment, Job, StatefulSet, ReplicaSet and ReplicationController (patterns moved under
`spec.template`) and `autogen-cronjob-<rule>` for CronJob (under
`spec.jobTemplate.spec.template`), with `request.object.spec`/`.metadata` references
rewritten. The annotation `pod-policies.kyverno.io/autogen-controllers` narrows the
controllers or, with `none`, turns generation off; a rule that names resources, uses a
selector or mixes Pod with other kinds turns it off for the whole policy.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from guardrails.dialects.kyverno.match import parse_kind

__all__ = ["ANNOTATION", "CONTROLLERS", "expand"]

ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob")
_NOT_CRON = frozenset(CONTROLLERS) - {"CronJob"}
_GVK = {
    "DaemonSet": "apps/v1/DaemonSet",
    "Deployment": "apps/v1/Deployment",
    "Job": "batch/v1/Job",
    "StatefulSet": "apps/v1/StatefulSet",
    "ReplicaSet": "apps/v1/ReplicaSet",
    "ReplicationController": "v1/ReplicationController",
    "CronJob": "batch/v1/CronJob",
    "Pod": "v1/Pod",
}
_POD_REFS = (
    ("request.object.spec", "request.object.spec.template.spec"),
    ("request.oldObject.spec", "request.oldObject.spec.template.spec"),
    ("request.object.metadata", "request.object.spec.template.metadata"),
    ("request.oldObject.metadata", "request.oldObject.spec.template.metadata"),
)
_CRON_REFS = (
    ("request.object.spec", "request.object.spec.jobTemplate.spec.template.spec"),
    ("request.oldObject.spec", "request.oldObject.spec.jobTemplate.spec.template.spec"),
    ("request.object.metadata", "request.object.spec.jobTemplate.spec.template.metadata"),
    ("request.oldObject.metadata", "request.oldObject.spec.jobTemplate.spec.template.metadata"),
)


def _kind_name(selector: str) -> str:
    return parse_kind(selector)[2]


def _contains_pod(kinds: list[Any]) -> bool:
    return any(_kind_name(str(k)) == "Pod" for k in kinds)


def _mapping(value: Any) -> Mapping[str, Any]:
    # The policy's author may put anything anywhere: a wrong type is the compile's error to
    # report at its line, never a traceback here (autogen runs before the rule is checked).
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _descriptions(block: Any) -> list[Mapping[str, Any]]:
    if not isinstance(block, Mapping) or not block:
        return []
    out = [_mapping(block.get("resources"))]
    out += [_mapping(f.get("resources")) for f in _list(block.get("any")) if isinstance(f, Mapping)]
    out += [_mapping(f.get("resources")) for f in _list(block.get("all")) if isinstance(f, Mapping)]
    return out


def _kinds(block: Mapping[str, Any] | None) -> list[Any]:
    return [k for d in _descriptions(block) for k in _list(d.get("kinds"))]


def _can_autogen(rules: list[Mapping[str, Any]]) -> bool:
    needed = False
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        if rule.get("generate"):
            return False
        mutate = _mapping(rule.get("mutate"))
        if mutate.get("patchesJson6902") or any(
            isinstance(f, Mapping) and f.get("patchesJson6902") for f in _list(mutate.get("foreach"))
        ):
            return False
        for d in _descriptions(rule.get("match")) + _descriptions(rule.get("exclude")):
            kinds = _list(d.get("kinds"))
            if d.get("name") or d.get("names") or d.get("selector") is not None or d.get("annotations") is not None:
                return False
            if len(kinds) > 1 and _contains_pod(kinds):
                return False
            needed = needed or any(k in CONTROLLERS or k == "Pod" for k in kinds if isinstance(k, str))
    return needed


def _gvks(kinds: list[str]) -> list[str]:
    return [_GVK.get(k, k) for k in kinds]


def _generate(name: str, rule: Mapping[str, Any], key: str, kinds: list[str], *, pod_only: bool) -> dict[str, Any] | None:
    out = copy.deepcopy(dict(rule))
    out["name"] = name

    def filters(fs: list[Any]) -> list[Any]:
        fs = copy.deepcopy(fs)
        for f in fs:
            res = f.setdefault("resources", {})
            if not pod_only or _contains_pod(res.get("kinds") or []):
                res["kinds"] = _gvks(kinds)
        return fs

    match = out.setdefault("match", {})
    if match.get("any"):
        match["any"] = filters(match["any"])
    elif match.get("all"):
        match["all"] = filters(match["all"])
    else:
        match.setdefault("resources", {})["kinds"] = _gvks(kinds)
    exclude = out.get("exclude")
    if exclude:
        if exclude.get("any"):
            exclude["any"] = filters(exclude["any"])
        elif exclude.get("all"):
            exclude["all"] = filters(exclude["all"])
        elif (exclude.get("resources") or {}).get("kinds"):
            exclude["resources"]["kinds"] = _gvks(kinds)
    validate = out.get("validate")
    if not isinstance(validate, Mapping):
        # mutate and verifyImages rules are copied too (the dialect marks them unsupported)
        return out if out.get("mutate") or out.get("verifyImages") else None
    keep = {k: validate[k] for k in ("message", "failureAction", "failureActionOverrides",
                                     "allowExistingViolations") if k in validate}
    if validate.get("pattern") is not None:
        out["validate"] = {**keep, "pattern": {"spec": {key: validate["pattern"]}}}
    elif validate.get("deny") is not None:
        out["validate"] = {**keep, "deny": validate["deny"]}
    elif validate.get("anyPattern") is not None:
        out["validate"] = {**keep, "anyPattern": [{"spec": {key: p}} for p in validate["anyPattern"]]}
    elif validate.get("foreach"):
        out["validate"] = {**keep, "foreach": validate["foreach"]}
    elif validate.get("podSecurity") is not None or validate.get("cel") is not None:
        pass  # kept as is: podSecurity finds the pod in each controller itself; CEL is the dialect's
    else:
        return None
    return out


def _name(prefix: str, name: str) -> str:
    return f"{prefix}-{name}"[:63]


def _for_controllers(rule: Mapping[str, Any], controllers: str) -> dict[str, Any] | None:
    name = str(rule.get("name", ""))
    if name.startswith("autogen-") or not controllers:
        return None
    exclude_kinds = _kinds(rule.get("exclude"))
    if not _contains_pod(_kinds(rule.get("match"))) or (exclude_kinds and not _contains_pod(exclude_kinds)):
        return None
    if controllers == "all":
        controllers = "DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,ReplicationController"
    elif controllers != "none":
        valid = [c for c in sorted(controllers.split(",")) if c in _NOT_CRON]
        if valid:
            controllers = ",".join(valid)
    return _generate(_name("autogen", name), rule, "template", sorted(controllers.split(",")), pod_only=True)


_CEL_REF = re.compile(r"(?<![\w.])(object|oldObject)\.(spec|metadata)\b")


def _cel_refs(node: Any, template: str) -> Any:
    """CEL rules (validate.cel, celPreconditions): `object.spec` reads the template's spec."""
    if isinstance(node, str):
        return _CEL_REF.sub(lambda m: f"{m.group(1)}.{template}.{m.group(2)}", node)
    if isinstance(node, list):
        return [_cel_refs(x, template) for x in node]
    if isinstance(node, dict):
        return {k: _cel_refs(v, template) if k in ("expression", "messageExpression", "expressions",
                                                   "variables", "cel") or isinstance(v, list) else v
                for k, v in node.items()}
    return node


def _convert(rule: dict[str, Any], refs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    text = json.dumps(rule)
    for old, new in refs:
        text = text.replace(old, new)
    out: dict[str, Any] = json.loads(text)
    template = "spec.jobTemplate.spec.template" if refs is _CRON_REFS else "spec.template"
    validate = out.get("validate")
    if isinstance(validate, dict) and isinstance(validate.get("cel"), dict):
        validate["cel"] = _cel_refs(validate["cel"], template)
    if isinstance(out.get("celPreconditions"), list):
        out["celPreconditions"] = _cel_refs(out["celPreconditions"], template)
    return out


def expand(rules: list[Mapping[str, Any]], annotations: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rules Kyverno evaluates for a policy across Pods and every pod controller."""
    plain = [dict(r) for r in rules]
    if not _can_autogen(rules):
        return plain
    wanted = annotations.get(ANNOTATION)
    actual = set(CONTROLLERS) if not isinstance(wanted, str) else set(wanted.split(","))
    controllers = ",".join(sorted(actual & set(CONTROLLERS)))
    if not controllers:
        return plain
    generated: list[dict[str, Any]] = []
    for rule in rules:
        non_cron = ",".join(c for c in sorted(controllers.split(",")) if c != "CronJob")
        g = _for_controllers(rule, non_cron)
        if g is not None:
            generated.append(_convert(g, _POD_REFS))
        if "CronJob" in controllers:
            base = _for_controllers(rule, controllers)
            cron = _generate(_name("autogen-cronjob", str(rule.get("name", ""))), base, "jobTemplate",
                             ["CronJob"], pod_only=False) if base is not None else None
            if cron is not None:
                generated.append(_convert(cron, _CRON_REFS))
    if not generated:
        return plain
    return [r for r in plain if not str(r.get("name", "")).startswith("autogen-")] + generated
