"""The rule set the webhook judges with, and its hot reload from the mounted folders.

Rules are compiled once per load, never per request. A `RuleBook` pre-sorts them by admission
operation (a rule judges only the operations it asks for; DELETE only for rules with
`on_delete`, on `oldObject`; sub-resources only for rules that name them, except the ones
through which a Pod's containers change, which every rule judging Pods sees). `RuleStore` keeps
the last good book: a reload that fails leaves it in place and records the error with its
file and line. A rule set with no rule the webhook can evaluate (every one skipped, or only
exceptions) is such a failure too: it would allow everything while looking healthy.

Each load also makes a `LoadReport`: the rules that judge, the ones skipped (a kind or rule type
we cannot evaluate: their matches are SKIP findings, never a deny) with their reasons, and the
loader's warnings; `/readyz`, metrics and the reload log line show it.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Sequence
from typing import Any

from guardrails import CompiledRule, Engine, GuardrailsError, RuleFileError

__all__ = [
    "POD_SPEC_SUBRESOURCES", "SKIP_REASONS", "Fingerprint", "LoadReport", "RuleBook", "RuleStore", "Skip", "fingerprint",
    "skip_reason",
]

Fingerprint = tuple[tuple[str, int, int, int], ...]
Loader = Callable[..., Any]
Clock = Callable[[], datetime.datetime]  # the evaluation time of policies that read the clock
_EXTENSIONS = (".yaml", ".yml", ".json")
# Inline waiver annotations never waive a deny rule at admission: the object's author would
# otherwise lift the very guardrail meant to stop them.
INLINE = "admission"
# Sub-resources through which a Pod's spec or containers change after creation: `kubectl debug`
# adds containers through `ephemeralcontainers`, in-place resize rewrites their resources. A rule
# that judges Pods judges these updates too (as Kyverno and Gatekeeper do), else they would walk
# around every container rule. deploy/'s webhook configuration registers the same list.
POD_SPEC_SUBRESOURCES = frozenset({"ephemeralcontainers", "resize"})


@dataclasses.dataclass(frozen=True, slots=True)
class RuleBook:
    """Compiled rules and waivers, with one engine per operation, built once per load."""

    rules: tuple[CompiledRule, ...]
    waivers: tuple[Any, ...]
    today: datetime.date
    engines: dict[str, Engine] = dataclasses.field(default_factory=dict)
    # The evaluation time of policies that read the clock (serve --now): None, they are skipped.
    clock: Clock | None = None

    @classmethod
    def build(cls, rules: Sequence[CompiledRule], waivers: Sequence[Any], today: datetime.date,
              clock: Clock | None = None) -> RuleBook:
        book = cls(tuple(rules), tuple(waivers), today, clock=clock)
        for op in ("CREATE", "UPDATE", "CONNECT"):
            book.engines[op] = Engine(
                [r for r in rules if op in r.operations and not _subresources(r)],
                waivers,
                today=today,
                clock=clock,
                inline_waivers=INLINE,
            )
        # A deleted controller creates no pods: DELETE rules judge the object itself, never a
        # controller's pod template.
        deleting = [dataclasses.replace(r, pod_templates=False) for r in rules if r.on_delete and not _subresources(r)]
        book.engines["DELETE"] = Engine(deleting, waivers, today=today, clock=clock, inline_waivers=INLINE)
        return book

    def engine(self, operation: str, sub_resource: str) -> Engine | None:
        """The engine for a request, or None when no rule looks at such requests."""
        if not sub_resource:
            engine = self.engines.get(operation)
        else:
            key = f"{operation}/{sub_resource}"
            engine = self.engines.get(key)
            if engine is None:
                chosen = [
                    r for r in self.rules
                    if (sub_resource in _subresources(r) or (sub_resource in POD_SPEC_SUBRESOURCES and _judges_pods(r)))
                    and (operation in r.operations or (operation == "DELETE" and r.on_delete))
                ]
                engine = Engine(chosen, self.waivers, today=self.today, clock=self.clock, inline_waivers=INLINE)
                self.engines[key] = engine
        if engine is None or not engine.rules:
            return None
        return engine


# The metric label of a skip's reason: a fixed vocabulary (the reasons themselves are prose that
# names rules), checked in this order; anything else reads `other`.
_REASON_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mutate", ("mutat",)),
    ("generate", ("generat",)),
    ("verify-images", ("verifyimages", "image signature", "imagevalidating", "signatures")),
    ("cleanup", ("cleanup", "deletes objects")),
    ("needs-cluster", ("needs a cluster", "needs the cluster", "registry", "apicall", "authorizer")),
    ("not-applied", ("not applied", "takes effect with its policy")),
)
SKIP_REASONS = (*(label for label, _ in _REASON_WORDS), "other")


def skip_reason(reason: str) -> str:
    """The bounded label (one of SKIP_REASONS) for a skip's reason."""
    text = reason.lower()
    for label, words in _REASON_WORDS:
        if any(w in text for w in words):
            return label
    return "other"


@dataclasses.dataclass(frozen=True, slots=True)
class Skip:
    """A rule (or a policy document) that loaded and that the webhook cannot evaluate."""

    rule: str
    reason: str
    source: str  # file:line

    @property
    def label(self) -> str:
        return skip_reason(self.reason)


@dataclasses.dataclass(frozen=True, slots=True)
class LoadReport:
    """What one load gave: rules that judge, skips with their reasons, the loader's warnings."""

    loaded: int = 0
    skipped: tuple[Skip, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, ruleset: Any) -> LoadReport:
        rules: Sequence[CompiledRule] = ruleset.rules
        skipped = [Skip(r.id, r.unsupported, str(r.source)) for r in rules if r.unsupported]
        for doc in getattr(ruleset, "skipped", ()):
            if doc.unsupported:  # a binding or exception kind we cannot apply; neighbours are not skips
                what, _, why = doc.what.partition(": ")
                skipped.append(Skip(what, why or doc.what, str(doc.location)))
        warnings = tuple(w.render() for w in getattr(ruleset, "warnings", ()))
        return cls(sum(1 for r in rules if not r.unsupported), tuple(skipped), warnings)

    def by_reason(self) -> dict[str, int]:
        """Skips per SKIP_REASONS label, every label present (0 when none)."""
        out = dict.fromkeys(SKIP_REASONS, 0)
        for s in self.skipped:
            out[s.label] += 1
        return out


def _subresources(rule: CompiledRule) -> frozenset[str]:
    return rule.subresources


def _judges_pods(rule: CompiledRule) -> bool:
    """The rule may look at a Pod: it names Pod, or matches kinds it does not declare."""
    return rule.kinds is None or "Pod" in rule.kinds


def fingerprint(paths: Sequence[str]) -> Fingerprint:
    """(path, mtime, size, inode) of every rule file under `paths`: a change means reload.

    The same walk as the loader's (guardrails.sources.walk), so what it watches is what loads;
    entries the walk cannot read are in it too (a fixed permission or link is a change). A
    ConfigMap volume swaps a `..data` symlink atomically; stat follows it, so a swap shows.
    """
    from guardrails import SourceError
    from guardrails.sources import walk

    out: list[tuple[str, int, int, int]] = []
    for root in paths:
        try:
            found = walk.collect([root], extensions=_EXTENSIONS, hidden=False)
        except SourceError:
            out.append((root, -1, -1, -1))
            continue
        out.extend(_stat(str(i.path)) for i in found.inputs if i.path is not None)
        out.extend((s.render(), -1, -1, -1) for s in found.skipped)
    return tuple(out)


def _stat(path: str) -> tuple[str, int, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (path, -1, -1, -1)
    return (path, st.st_mtime_ns, st.st_size, st.st_ino)


class RuleStore:
    """The current RuleBook, reloaded when rule files change; the last good one is kept."""

    def __init__(
        self,
        paths: Sequence[str],
        *,
        builtin: bool,
        profiles: Sequence[str] | None = None,
        loader: Loader | None = None,
        clock: Callable[[], datetime.date] = datetime.date.today,
        evaluation_clock: Clock | None = None,
    ) -> None:
        """`clock`: the day waivers expire against; `evaluation_clock`: the time policies that
        read the clock are judged at (serve --now; None: they are visible skips)."""
        self.paths = tuple(str(p) for p in paths)
        self.builtin = builtin
        self.profiles = tuple(profiles) if profiles is not None else None
        self._loader = loader
        self._clock = clock
        self._evaluation_clock = evaluation_clock
        self.book: RuleBook | None = None
        self.report = LoadReport()  # of the book in use (a failed reload leaves it as it was)
        self.error: str | None = None  # the last reload's problem, "file:line:col: message"
        self.reload_errors = 0
        self.reloads = 0
        self._seen: Fingerprint | None = None

    def _load(self) -> tuple[Sequence[CompiledRule], Sequence[Any], LoadReport]:
        loader = self._loader
        if loader is None:
            from guardrails import load_rules

            loader = load_rules
        kwargs: dict[str, Any] = {"builtin": self.builtin}
        if self.profiles is not None:
            kwargs["profiles"] = self.profiles
        ruleset = loader(list(self.paths), **kwargs)
        report = LoadReport.of(ruleset)
        if report.loaded == 0:
            where = ", ".join(self.paths) or "the built-in library"
            skipped = f": {len(report.skipped)} skipped, such as {report.skipped[0].rule} ({report.skipped[0].reason})" if (
                report.skipped
            ) else ""
            raise RuleFileError(
                f"no rule the webhook can evaluate in {where}{skipped}",
                hint="add a rule guardrails evaluates (Rule, Kyverno validate, Gatekeeper, ValidatingAdmissionPolicy)",
            )
        return ruleset.rules, ruleset.waivers, report

    def load(self) -> None:
        """The first load: raises GuardrailsError, since there is no good set to fall back on."""
        self._seen = fingerprint(self.paths)
        rules, waivers, report = self._load()
        self.book = RuleBook.build(rules, waivers, self._clock(), self._evaluation_clock)
        self.report = report
        self.reloads += 1

    def refresh(self) -> bool | None:
        """Reload when files changed (or the date did, for waiver expiry).

        Returns True after a good reload, False after a failed one (the old set stays), None
        when nothing changed.
        """
        seen = fingerprint(self.paths)
        today = self._clock()
        if seen == self._seen and self.book is not None and self.book.today == today:
            return None
        self._seen = seen
        try:
            rules, waivers, report = self._load()
        except GuardrailsError as e:
            self.error = e.render()
            self.reload_errors += 1
            return False
        except Exception as e:  # a loader bug must not take the webhook down with it
            self.error = f"rule reload failed: {type(e).__name__}: {e}"
            self.reload_errors += 1
            return False
        self.book = RuleBook.build(rules, waivers, today, self._evaluation_clock)
        self.report = report
        self.error = None
        self.reloads += 1
        return True
