"""A Kyverno `ClusterPolicy` / `Policy` document -> `KyvernoRule`s (autogen rules included),
with the policy's metadata, and every problem named by its field path in the document.

What cannot be evaluated offline (mutate, generate, verifyImages, CEL, context
entries that call the cluster or a registry) compiles to a rule marked `unsupported` with the
reason: it skips, it never silently passes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from guardrails.dialects.kyverno import autogen, match
from guardrails.dialects.kyverno.rule import KyvernoRule, reads_requester
from guardrails.dialects.kyverno.validate import Validator
from guardrails.kube.selectors import wildcard
from guardrails.lang import cel, conditions
from guardrails.model import FieldPath

__all__ = ["CompiledPolicy", "PolicyProblem", "RuleInfo", "compile_policy"]

TITLE = "policies.kyverno.io/title"
SEVERITY = "policies.kyverno.io/severity"
CATEGORY = "policies.kyverno.io/category"
DESCRIPTION = "policies.kyverno.io/description"


@dataclasses.dataclass(frozen=True, slots=True)
class PolicyProblem:
    message: str
    path: FieldPath


@dataclasses.dataclass(frozen=True, slots=True)
class Override:
    """One entry of validationFailureActionOverrides: an action for some namespaces."""

    enforce: bool
    namespaces: tuple[str, ...]
    selector: Mapping[str, Any] | None

    def covers(self, namespace: str, labels: Mapping[str, Any] | None) -> bool:
        if self.namespaces and not any(wildcard(n, namespace) for n in self.namespaces):
            return False
        if self.selector is not None:
            return labels is not None and match.compile_filters(
                {"resources": {"namespaceSelector": self.selector}}, None)(
                match.Target(group="", version="", kind="x", name="", namespace=namespace, labels={}, annotations={},
                             operation="", namespace_labels=labels))
        return bool(self.namespaces)


@dataclasses.dataclass(frozen=True, slots=True)
class RuleInfo:
    rule: KyvernoRule
    index: int  # the rule in spec.rules it comes from
    check_key: str  # pattern | anyPattern | deny | foreach | "" (unsupported)
    enforce: bool
    overrides: tuple[Override, ...] = ()

    def enforce_for(self, namespace: str, labels: Mapping[str, Any] | None) -> bool:
        for o in self.overrides:
            if o.covers(namespace, labels):
                return o.enforce
        return self.enforce


def _overrides(raw: Any) -> tuple[Override, ...]:
    out = []
    for o in raw or ():
        if isinstance(o, Mapping):
            out.append(Override(str(o.get("action", "")).lower() == "enforce",
                                tuple(str(n) for n in o.get("namespaces") or ()), o.get("namespaceSelector")))
    return tuple(out)


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledPolicy:
    name: str
    namespace: str
    kind: str
    title: str
    severity: str
    category: str
    description: str
    background: bool
    rules: tuple[RuleInfo, ...]
    problems: tuple[PolicyProblem, ...]


# Context entries that read a cluster or a registry. A rule test's values file may supply them
# (Kyverno's CLI then loads nothing and the values stand in); a `globalReference` entry also
# reads the test's globalContextEntries.
_SUPPLIABLE = ("apiCall", "configMap", "globalReference", "imageRegistry")


def cluster_context(rule: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of the rule's context entries that a values file (or, for globalReference,
    a test's globalContextEntries) may supply."""
    names: list[str] = []
    for entry in rule.get("context") or ():
        if isinstance(entry, Mapping) and any(k in entry for k in _SUPPLIABLE):
            names.append(str(entry.get("name", "")))
    return tuple(names)


def _unsupported(rule: Mapping[str, Any], *, context: bool = True) -> str | None:
    for key, why in (("mutate", "mutate rules change objects; guardrails only validates"),
                     ("generate", "generate rules create objects in a cluster"),
                     ("verifyImages", "verifyImages needs registry access and signatures")):
        if rule.get(key):
            return f"{why} (rule {rule.get('name')!r})"
    for entry in rule.get("context") or () if context else ():
        kinds = [k for k in ("apiCall", "configMap", "globalReference", "imageRegistry") if k in entry]
        if kinds:
            return (f"context entry {entry.get('name')!r} uses {kinds[0]}, which needs a cluster or a registry "
                    "(no data supplied offline)")
    validate = rule.get("validate")
    if not isinstance(validate, Mapping):
        return "the rule has no validate block"
    for key in ("manifests",):
        if validate.get(key) is not None:
            return f"validate.{key} is not supported"
    if not any(validate.get(k) is not None for k in ("pattern", "anyPattern", "deny", "foreach", "podSecurity", "cel")):
        return "validate has none of pattern, anyPattern, deny, foreach, podSecurity, cel"
    return None


def _check_conditions(block: Any, path: FieldPath, problems: list[PolicyProblem]) -> None:
    err = conditions.validate_block(block)
    if err is not None:
        problems.append(PolicyProblem(err[0], (*path, *err[1])))


def _check_foreach(items: Any, path: FieldPath, problems: list[PolicyProblem]) -> None:
    if not isinstance(items, list):
        problems.append(PolicyProblem("foreach must be a list", path))
        return
    for i, fe in enumerate(items):
        here = (*path, i)
        if not isinstance(fe, Mapping) or not isinstance(fe.get("list"), str):
            problems.append(PolicyProblem("each foreach entry needs a list expression (list: request.object...)", here))
            continue
        if fe.get("preconditions") is not None:
            _check_conditions(fe["preconditions"], (*here, "preconditions"), problems)
        if isinstance(fe.get("deny"), Mapping):
            _check_conditions(fe["deny"].get("conditions"), (*here, "deny", "conditions"), problems)
        if fe.get("foreach") is not None:
            _check_foreach(fe["foreach"], (*here, "foreach"), problems)


_FILTER_LISTS = ("kinds", "names", "namespaces", "operations")


def _check_match(block: Any, path: FieldPath, problems: list[PolicyProblem]) -> None:
    """A match or exclude block has Kyverno's shape (any/all lists of filters, each filter's
    `resources` an object whose lists are lists): a wrong type is an error at its field."""
    if not isinstance(block, Mapping):
        problems.append(PolicyProblem("must be an object (any, all or resources)", path))
        return
    filters: list[tuple[Any, FieldPath]] = []
    for key in ("any", "all"):
        if block.get(key) is not None:
            if not isinstance(block[key], list):
                problems.append(PolicyProblem(f"{key} must be a list of resource filters", (*path, key)))
                continue
            filters.extend((f, (*path, key, j)) for j, f in enumerate(block[key]))
    if not filters:
        filters.append((block, path))
    for f, here in filters:
        if not isinstance(f, Mapping):
            problems.append(PolicyProblem("a resource filter must be an object (resources, subjects, roles)", here))
            continue
        res = f.get("resources")
        if res is None:
            continue
        if not isinstance(res, Mapping):
            problems.append(PolicyProblem("resources must be an object (kinds, names, namespaces, selector...)",
                                          (*here, "resources")))
            continue
        for key in _FILTER_LISTS:
            if res.get(key) is not None and not isinstance(res[key], list):
                problems.append(PolicyProblem(f"{key} must be a list", (*here, "resources", key)))
        for key in ("selector", "namespaceSelector", "annotations"):
            if res.get(key) is not None and not isinstance(res[key], Mapping):
                problems.append(PolicyProblem(f"{key} must be an object", (*here, "resources", key)))


def _check_rule(rule: Any, i: int, problems: list[PolicyProblem]) -> bool:
    base: FieldPath = ("spec", "rules", i)
    if not isinstance(rule, Mapping):
        problems.append(PolicyProblem("a rule must be an object with name, match and validate", base))
        return False
    if not isinstance(rule.get("name"), str) or not rule["name"]:
        problems.append(PolicyProblem("rule needs a name", base))
        return False
    if not isinstance(rule.get("match"), Mapping):
        problems.append(PolicyProblem(f"rule {rule['name']!r} needs a match block", base))
        return False
    before = len(problems)
    for block in ("match", "exclude"):
        if rule.get(block) is not None:
            _check_match(rule[block], (*base, block), problems)
    if len(problems) > before:
        return False
    if rule.get("preconditions") is not None:
        _check_conditions(rule["preconditions"], (*base, "preconditions"), problems)
    validate = rule.get("validate")
    if isinstance(validate, Mapping):
        if isinstance(validate.get("deny"), Mapping):
            _check_conditions(validate["deny"].get("conditions"), (*base, "validate", "deny", "conditions"), problems)
        if validate.get("anyPattern") is not None and not isinstance(validate["anyPattern"], list):
            problems.append(PolicyProblem("anyPattern must be a list of patterns", (*base, "validate", "anyPattern")))
        if validate.get("foreach") is not None:
            _check_foreach(validate["foreach"], (*base, "validate", "foreach"), problems)
        ps = validate.get("podSecurity")
        if ps is not None and not (isinstance(ps, Mapping) and ps.get("level") in ("privileged", "baseline", "restricted")):
            problems.append(PolicyProblem("podSecurity needs a level: privileged, baseline or restricted",
                                          (*base, "validate", "podSecurity")))
    return True


def _check_key(validate: Mapping[str, Any]) -> str:
    for k in ("deny", "pattern", "anyPattern", "foreach", "podSecurity", "cel"):
        if validate.get(k) is not None:
            return k
    return ""


def compile_policy(doc: Mapping[str, Any]) -> CompiledPolicy:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    spec = doc.get("spec") if isinstance(doc.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    kind = str(doc.get("kind", ""))
    name = str(meta.get("name", ""))
    namespace = str(meta.get("namespace") or ("default" if kind == "Policy" else ""))
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), Mapping) else {}
    assert isinstance(annotations, Mapping)
    problems: list[PolicyProblem] = []
    if not name:
        problems.append(PolicyProblem("policy needs metadata.name", ("metadata",)))
    raw_rules = spec.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(PolicyProblem("policy needs spec.rules, a non-empty list", ("spec",)))
        raw_rules = []
    good = [r for i, r in enumerate(raw_rules) if _check_rule(r, i, problems)]
    index = {str(r["name"]): i for i, r in enumerate(raw_rules) if isinstance(r, Mapping) and "name" in r}
    policy_action = str(spec.get("validationFailureAction") or "Audit")
    infos: list[RuleInfo] = []
    for rule in autogen.expand(good, annotations):
        rname = str(rule["name"])
        origin = rname
        for prefix in ("autogen-cronjob-", "autogen-"):
            if rname.startswith(prefix) and rname[len(prefix):] in index:
                origin = rname[len(prefix):]
                break
        validate = rule.get("validate") if isinstance(rule.get("validate"), Mapping) else {}
        assert isinstance(validate, Mapping)
        action = str(validate.get("failureAction") or policy_action)
        enforce = action.lower() == "enforce"
        reason = _unsupported(rule)
        # A rule whose only gap is cluster context still compiles: a test's values may supply it.
        cluster = cluster_context(rule) if reason is not None and _unsupported(rule, context=False) is None else ()
        if validate.get("cel") is not None and (reason is None or cluster):
            try:
                validator = Validator.build_cel(rname, str(validate.get("message") or ""), validate,
                                                preconditions=rule.get("preconditions"),
                                                cel_preconditions=rule.get("celPreconditions"))
            except cel.CelError as e:
                section = {"matchConditions": ("celPreconditions",), "validations": ("validate", "cel", "expressions")}
                where = ("spec", "rules", index.get(origin, 0),
                         *section.get(str(e.path[1]) if len(e.path) > 1 else "", ("validate", "cel", *e.path[1:2])),
                         *e.path[2:])
                problems.append(PolicyProblem(e.message, where))
                continue
        else:
            validator = Validator.build(rname, str(validate.get("message") or ""), validate,
                                        preconditions=rule.get("preconditions"))
        kr = KyvernoRule(
            policy=name,
            name=rname,
            selects=match.compile_filters(rule.get("match"), rule.get("exclude"),
                                          policy_namespace=namespace if kind == "Policy" else ""),
            validator=validator,
            enforce=enforce,
            allow_existing=validate.get("allowExistingViolations") is not False,
            context=tuple(e for e in rule.get("context") or () if isinstance(e, Mapping)),
            unsupported=reason,
            cluster_context=cluster,
            kinds=match.kinds_of(rule.get("match")),
            reads_images="images" in json.dumps(rule, default=str),
            reads_requester=reads_requester(rule),
            namespace_labels="namespaceSelector" in json.dumps([rule.get("match"), rule.get("exclude")], default=str),
            fast=validator.static and not rule.get("context"),
        )
        overrides = _overrides(validate.get("failureActionOverrides") or spec.get("validationFailureActionOverrides"))
        infos.append(RuleInfo(kr, index.get(origin, 0), "" if reason else _check_key(validate), enforce, overrides))
    return CompiledPolicy(
        name=name,
        namespace=namespace,
        kind=kind,
        title=str(annotations.get(TITLE, "")),
        severity=str(annotations.get(SEVERITY, "") or "medium"),
        category=str(annotations.get(CATEGORY, "")),
        description=str(annotations.get(DESCRIPTION, "")),
        background=spec.get("background") is not False,
        rules=tuple(infos),
        problems=tuple(problems),
    )
