"""CompiledRule: the one shape every dialect (native, Kyverno, Gatekeeper) compiles to, so the
engine, reporters and the webhook know only this contract."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.checks.base import CheckFn
from guardrails.context import Context
from guardrails.model import Action, Location, Resource, RuleInfo, Severity, Violation

__all__ = ["DEFAULT_OPERATIONS", "UNKNOWN_MODES", "CompiledRule", "Matcher"]

Matcher = Callable[[Resource], bool]

DEFAULT_OPERATIONS = frozenset({"CREATE", "UPDATE"})

# What an UNKNOWN outcome (a value known only after apply) means for a rule: a failure at the
# rule's severity, a warning at the rule's severity, or an info-level unknown (the default).
UNKNOWN_MODES = ("fail", "warn", "unknown")


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    check: CheckFn
    match: Matcher
    severity: Severity = Severity.MEDIUM
    action: Action = Action.DENY
    title: str = ""
    description: str = ""
    remediation: str = ""
    category: str = ""
    references: tuple[str, ...] = ()
    source: Location | None = None
    # Judge the pod templates of controllers as Pods (rules written for Pod).
    pod_templates: bool = False
    # Admission operations the rule judges; scans judge everything as CREATE.
    operations: frozenset[str] = DEFAULT_OPERATIONS
    # DELETE requests are judged on oldObject only when a rule asks for it.
    on_delete: bool = False
    # Admission sub-resources the rule judges (`status`, `scale`, `exec`...); none by default,
    # so `*/status` updates and the like are not judged unless a rule asks.
    subresources: frozenset[str] = frozenset()
    dialect: str = "native"
    policy: str = ""  # the Kyverno policy or Gatekeeper constraint this rule came from
    profiles: tuple[str, ...] = ()
    # Set when the rule cannot be evaluated faithfully here: every match is a SKIP with this reason.
    unsupported: str | None = None
    check_key: str = ""
    # Plain kind names the rule can match, for the engine's prefilter; None = any kind.
    kinds: frozenset[str] | None = None
    # The action for one resource when it depends on the resource (Kyverno's
    # validationFailureActionOverrides, by namespace); None = `action` always.
    action_for: Callable[[Resource], Action] | None = None
    # Terraform: the provider's documented defaults, by resource type, for attributes the
    # configuration leaves out (`{aws_ebs_volume: {encrypted: false}}`; a list stands for every
    # block). The rule judges these instead of an unknown.
    defaults: Mapping[str, Mapping[str, Any]] | None = None
    unknown: str = "unknown"  # one of UNKNOWN_MODES
    # Unique across dialects (see RuleInfo.id); a native rule's id is its name.
    id: str = ""
    # A check that also reads the evaluation context (the inventory of objects judged together,
    # a rule test's variables): the engine calls it instead of `check`, with its own context.
    check_in_context: Callable[[Resource, Context], Iterable[Violation]] | None = None
    # The check reads the context's inventory: a scan reads every file before judging any.
    needs_inventory: bool = False
    # For an `unsupported` rule whose gap an evaluation context can fill (a Kyverno rule's
    # cluster context, supplied by a rule test's values file): True when this one does, and the
    # engine then runs the check instead of reporting the SKIP.
    supplied_by: Callable[[Context], bool] | None = None

    # The rule's match, exclusion or action reads the labels of the object's namespace
    # (`namespaceSelector`): the webhook must resolve them, and a finding made while they were
    # unknown says so.
    namespace_labels: bool = False
    # What a scan says once about the rule, given the kinds it judged (a Gatekeeper constraint
    # on Pods while pod controllers were scanned and no ExpansionTemplate expands them); None:
    # nothing to say.
    notice: Callable[[frozenset[str]], str | None] | None = None

    # The check finds nothing in an object holding none of these map keys (checks.base.Keyed):
    # the engine judges such an object PASS without running it. None: always run it.
    requires_keys: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", self.name)

    @property
    def info(self) -> RuleInfo:
        """The rule's metadata, all a reporter may see."""
        return RuleInfo(
            id=self.id, name=self.name, title=self.title, description=self.description,
            remediation=self.remediation, severity=self.severity, action=self.action,
            category=self.category, references=self.references, source=self.source,
            dialect=self.dialect, policy=self.policy, profiles=self.profiles,
            check_key=self.check_key, unsupported=self.unsupported,
        )
