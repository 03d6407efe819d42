"""Value objects shared by every layer: severities, outcomes, resources, violations, findings.

Stdlib imports only. Everything here is frozen: the engine hands these out and nobody may
change them behind its back.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "INLINE_WAIVER",
    "Action",
    "Enforcement",
    "FieldPath",
    "Finding",
    "Location",
    "Origin",
    "Resource",
    "ResourceRef",
    "RuleInfo",
    "RuleResult",
    "Severity",
    "Status",
    "Violation",
    "is_link",
    "remediation_parts",
]

# How the reason of a finding waived by the object's own `guardrails.dev/ignore` annotation
# starts (reporters tell such in-source suppressions from Exception documents).
INLINE_WAIVER = "inline annotation guardrails.dev/ignore"

# A field path inside an object: ("spec", "template", "spec", "containers", 0, "image").
FieldPath = tuple[str | int, ...]


class Severity(enum.IntEnum):
    """Ordered, so `finding.severity >= fail_on` reads naturally."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r}: use one of {names}") from None

    def __str__(self) -> str:
        return self.name.lower()


class Action(enum.Enum):
    """What a failing rule does at admission: block, warn the requester, or only report."""

    DENY = "deny"
    WARN = "warn"
    AUDIT = "audit"

    def __str__(self) -> str:
        return self.value


class Enforcement(enum.Enum):
    """How the webhook applies rule denials (`serve --enforcement`, `enforcement:` in settings).

    A staged rollout: `audit` allows and only logs and counts what would have been denied,
    `warn` allows with the denial's messages as admission warnings, `enforce` denies. Outages
    (a deadline, the webhook's own failure) follow the fail mode in every mode."""

    AUDIT = "audit"
    WARN = "warn"
    ENFORCE = "enforce"

    @classmethod
    def parse(cls, text: str) -> Enforcement:
        """The mode named `text`; a ValueError for anything else (`hint` says what was meant)."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown enforcement {text!r}") from None

    @classmethod
    def hint(cls, text: str) -> str:
        """"did you mean ...?" for a mistyped mode, else the modes."""
        import difflib

        names = [m.value for m in cls]
        close = difflib.get_close_matches(text.strip().lower(), names, n=1, cutoff=0.5)
        return f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}"

    def __str__(self) -> str:
        return self.value


class Status(enum.Enum):
    """A rule's outcome on one resource, in Kyverno's vocabulary plus two of our own.

    PASS    the rule applied and the resource satisfies it
    FAIL    the rule applied and the resource violates it
    ERROR   the rule could not be evaluated on this resource (never counted as a pass)
    SKIP    the rule matched but did not apply (preconditions false, conditional anchor)
    WAIVED  a failure that an Exception or an inline waiver covers: reported, never dropped
    UNKNOWN the verdict depends on a value known only later (Terraform `after_unknown`)
    """

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"
    WAIVED = "waived"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass(frozen=True, slots=True)
class Location:
    """A position in a file, 1-based line and column. `line == 0` means unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        if self.column <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Where a resource came from.

    `path` is the display path of the file ("-" for stdin). `doc_index` is the position of the
    YAML document in the file and `line` its first line, so a finding can be located later by
    re-reading only that document. Terraform resources carry their plan `address` and `module`;
    admission resources have path "<admission>".
    """

    path: str
    doc_index: int = 0
    line: int = 1
    item_index: int | None = None  # position inside a `kind: List` document
    address: str | None = None
    module: str | None = None
    module_source: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ResourceRef:
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class Resource:
    """One object to judge, Kubernetes-shaped (`apiVersion`, `kind`, `metadata`, ...).

    `path_prefix` is set on views (the pod template of a Deployment seen as a Pod): paths that
    checks report are relative to `obj` and get the prefix added to point into the real object.
    `unknown` holds field paths whose values are known only after apply (Terraform); a check
    that looks at or under one of them reports UNKNOWN instead of FAIL. `computed` is the part
    of `unknown` that the configuration leaves out (the provider fills it in): a rule that
    declares the provider's default for such an attribute judges that default instead.
    `old_obj` and `request` are set at admission (and by test runners that simulate it).
    """

    obj: Mapping[str, Any]
    origin: Origin
    path_prefix: FieldPath = ()
    unknown: frozenset[FieldPath] = frozenset()
    computed: frozenset[FieldPath] = frozenset()
    old_obj: Mapping[str, Any] | None = None
    request: Mapping[str, Any] | None = None
    namespace_labels: Mapping[str, str] | None = None
    # The matching view (kube.match.view_of), built on first use and once per resource however
    # many rules of however many dialects look; a copy made with dataclasses.replace starts
    # without one, so it never describes another object.
    _match_view: Any = dataclasses.field(default=None, init=False, compare=False, repr=False)

    @property
    def api_version(self) -> str:
        v = self.obj.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def kind(self) -> str:
        v = self.obj.get("kind")
        return v if isinstance(v, str) else ""

    @property
    def metadata(self) -> Mapping[str, Any]:
        m = self.obj.get("metadata")
        return m if isinstance(m, Mapping) else {}

    @property
    def name(self) -> str:
        m = self.metadata
        v = m.get("name") or m.get("generateName")
        return v if isinstance(v, str) else ""

    @property
    def namespace(self) -> str:
        v = self.metadata.get("namespace")
        return v if isinstance(v, str) else ""

    @property
    def labels(self) -> Mapping[str, Any]:
        v = self.metadata.get("labels")
        return v if isinstance(v, Mapping) else {}

    @property
    def annotations(self) -> Mapping[str, Any]:
        v = self.metadata.get("annotations")
        return v if isinstance(v, Mapping) else {}

    @property
    def group(self) -> str:
        av = self.api_version
        return av.rpartition("/")[0] if "/" in av else ""

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def operation(self) -> str:
        """The admission operation; a scan judges objects as if they were being created."""
        if self.request is not None:
            op = self.request.get("operation")
            if isinstance(op, str) and op:
                return op
        return "CREATE"

    def ref(self) -> ResourceRef:
        return ResourceRef(self.api_version, self.kind, self.namespace, self.name)

    def is_unknown(self, path: FieldPath) -> bool:
        """True when `path` or one of its parents is known only after apply."""
        if not self.unknown:
            return False
        return any(path[: i + 1] in self.unknown for i in range(len(path)))

    def reads_unknown(self, reads: Iterable[FieldPath]) -> bool:
        """True when one of the paths a check read (`*` for any item) is, holds or lies under
        a value known only after apply."""
        if not self.unknown:
            return False
        for read in reads:
            for u in self.unknown:
                if all(r == "*" or r == s for r, s in zip(read, u)):
                    return True
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class Violation:
    """What a check reports: a message and the field path it is about.

    `status` is FAIL for a broken rule; checks may also report SKIP (the rule did not apply,
    e.g. a Kyverno precondition or conditional anchor), ERROR (could not evaluate) or UNKNOWN.
    A check that yields nothing means PASS. `reads` are further paths the verdict depends on.
    """

    message: str
    path: FieldPath = ()
    status: Status = Status.FAIL
    # What the verdict rests on beyond `path` (the fields JMESPath conditions read): a FAIL that
    # read a value known only after apply is UNKNOWN, not a failure.
    reads: tuple[FieldPath, ...] = ()
    # The action of this one violation when it is not the rule's (a Gatekeeper
    # ExpansionTemplate's enforcementAction, for what a controller's Pods would violate).
    action: Action | None = None
    # A SKIP that says the rule could not be judged here (it reads the clock and the run gave no
    # evaluation time), reported as a skip finding like an unsupported rule's matches, never
    # dropped as "did not apply".
    unjudged: bool = False


# A rule's remediation is prose, optionally followed by fenced code blocks (```hcl ... ```) with
# the configuration to write. Each output splits it here: one-line outputs print the prose, the
# reference and `rules show` print the code as code.
_FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def remediation_parts(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(the prose folded onto one line, ((language, code), ...)) of a remediation."""
    blocks = tuple((m.group(1), m.group(2).rstrip("\n")) for m in _FENCE.finditer(text))
    return " ".join(_FENCE.sub(" ", text).split()), blocks


def is_link(reference: str) -> bool:
    """A rule reference is a link, or a benchmark id such as `CIS AWS Foundations v3.0.0 3.7`."""
    return reference.startswith(("https://", "http://"))


@dataclasses.dataclass(frozen=True, slots=True)
class RuleInfo:
    """What reporters may know of a rule: its unique id and metadata, never its compiled parts.

    `id` is unique across dialects: a native rule's name, `policy/rule` for Kyverno,
    `ConstraintKind/constraint-name` for Gatekeeper. `name` is the rule's own name inside its
    policy, as its author and its test files spell it.
    """

    id: str
    name: str
    title: str = ""
    description: str = ""
    remediation: str = ""
    severity: Severity = Severity.MEDIUM
    action: Action = Action.DENY
    category: str = ""
    references: tuple[str, ...] = ()
    source: Location | None = None
    dialect: str = "native"
    policy: str = ""
    profiles: tuple[str, ...] = ()
    check_key: str = ""
    unsupported: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """A rule's non-passing outcome on one resource, ready for reporters.

    `rule` is the rule's unique id (RuleInfo.id); `rule_name` its name inside its policy, for the
    messages whose dialect names rules that way (Gatekeeper's `[constraint] message`).
    `path` is absolute in the resource's real object; `location` is filled in by the locator
    (sources.locate) for file-based resources only.
    """

    rule: str
    status: Status
    severity: Severity
    action: Action
    message: str
    resource: ResourceRef
    origin: Origin
    path: FieldPath = ()
    location: Location | None = None
    waiver: str | None = None  # reason, when status is WAIVED
    # The rule's dialect: Gatekeeper users expect admission messages as `[constraint] message`.
    dialect: str = "native"
    # The field as the source's own language writes it (`root_block_device[0].encrypted`,
    # `tags["team"]` for a Terraform plan); empty: reporters show `path`.
    field: str = ""
    rule_name: str = ""

    @property
    def name(self) -> str:
        """The rule's name inside its policy (its id for native rules)."""
        return self.rule_name or self.rule

    def with_location(self, location: Location | None) -> Finding:
        return dataclasses.replace(self, location=location)


@dataclasses.dataclass(frozen=True, slots=True)
class RuleResult:
    """Every outcome of a rule on a resource, including PASS and SKIP: what `guardrails test`
    and conformance runners look at. `violations` is empty for PASS.

    `rule` is the rule's name inside its policy, as test files name it; `id` its unique id."""

    rule: str
    status: Status
    violations: tuple[Violation, ...] = ()
    id: str = ""
