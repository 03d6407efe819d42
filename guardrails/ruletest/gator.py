"""gator `Suite` files (`suite.yaml`, test.gatekeeper.sh/v1alpha1), run unchanged.

Each test names a template and a constraint file (and optionally `expansion`, a file of
ExpansionTemplates); each case an object file (a manifest or an
AdmissionReview, whose `request` becomes `input.review`), optional inventory files, and
assertions: `violations` yes / no / N (PyYAML reads yes/no as booleans; absent means yes) and
an optional `message` regex searched, unanchored, in each violation's message. Every assertion
of a case must hold. Paths resolve against the suite's folder.
"""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails import regex as regex_
from guardrails.context import Context as EvalContext
from guardrails.dialects.context import LoadContext
from guardrails.dialects.gatekeeper import adapter as dialect
from guardrails.engine import Engine
from guardrails.errors import GuardrailsError, RuleFileError, SourceError
from guardrails.model import FieldPath, Location, Origin, Resource, Status
from guardrails.policy import load as policy_load
from guardrails.rule import CompiledRule
from guardrails.ruletest import CaseResult, FileResult, Locator, locator
from guardrails.sources import documents

__all__ = ["Assertion", "CaseOutcome", "Context", "load_rules", "run_case", "run_file", "run_suite"]


Context = LoadContext


@dataclasses.dataclass(frozen=True, slots=True)
class Assertion:
    violations: str  # "yes", "no" or a count
    message: str | None
    ok: bool
    matched: int

    def describe(self) -> str:
        what = {"yes": "at least one violation", "no": "no violation"}.get(self.violations, f"{self.violations} violation(s)")
        return what + (f" matching {self.message!r}" if self.message is not None else "")


@dataclasses.dataclass(frozen=True, slots=True)
class CaseOutcome:
    test: str
    case: str
    messages: tuple[str, ...]
    assertions: tuple[Assertion, ...]
    error: str | None = None
    seconds: float = 0.0
    skipped: str | None = None  # the suite's `skip: true`, on the test or the case

    @property
    def ok(self) -> bool:
        return self.error is None and all(a.ok for a in self.assertions)


def _read(path: pathlib.Path) -> list[documents.Document]:
    """The file's non-empty documents, each with its own node tree (a `--- null` document is
    dropped together with its tree, so the two never drift apart)."""
    out = []
    for d in documents.read_documents(path, str(path)):
        if isinstance(d, SourceError):
            raise d
        if d.data is not None:
            out.append(d)
    return out


def _locator(display: str, doc: documents.Document) -> Callable[[FieldPath], Location]:
    def locate(path: FieldPath) -> Location:
        return doc.locate(path, display)

    return locate


def load_rules(paths: Sequence[pathlib.Path], *, engine: str = "auto", context: Context | None = None,
               point: str = "auto") -> list[CompiledRule]:
    """Templates and constraints from files, in any order -> the constraints' rules, loaded by
    `policy.load` as every command loads rules; `engine` forces one Gatekeeper engine; `point`
    "gator" enforces scoped actions as gator does (its suites)."""
    ctx = context or Context()
    dialect.set_engine(ctx, engine)
    dialect.set_enforcement_point(ctx, point)
    ruleset, problems = policy_load.lint_rules(list(paths), context=ctx)
    # Two constraints of one kind and name are one Kubernetes object: the first is kept (the
    # library's samples reuse names across samples); every other problem stops the load.
    problems = [p for p in problems if not p.message.startswith("duplicate rule name")]
    if problems:
        raise problems[0] if isinstance(problems[0], RuleFileError) else RuleFileError(
            problems[0].message, location=problems[0].location, hint=problems[0].hint, more=problems[1:])
    return [r for r in ruleset.rules if r.dialect == "gatekeeper"]


def _object(path: pathlib.Path) -> Resource:
    docs = _read(path)
    if not docs or not isinstance(docs[0].data, Mapping):
        raise SourceError("object file holds no Kubernetes object", location=Location(str(path)))
    obj = docs[0].data
    origin = Origin(str(path), docs[0].index, docs[0].line)
    api_version = str(obj.get("apiVersion", ""))
    if obj.get("kind") == "AdmissionReview" and api_version.startswith("admission.k8s.io/"):
        request = obj.get("request")
        if not isinstance(request, Mapping):
            raise SourceError("AdmissionReview has no request", location=Location(str(path)))
        target = request.get("object") or request.get("oldObject") or {}
        old = request.get("oldObject")
        return Resource(obj=target, origin=origin, request=request, old_obj=old if isinstance(old, Mapping) else None)
    return Resource(obj=obj, origin=origin)


def _expected(raw: Any) -> str:
    if raw is None or raw is True:
        return "yes"
    if raw is False:
        return "no"
    if isinstance(raw, int):
        return str(raw)
    text = str(raw).strip().lower()
    if text in ("yes", "no") or text.isdigit():
        return text
    raise ValueError(f"violations must be yes, no or a count, not {raw!r}")


def _assert(spec: Mapping[str, Any], messages: Sequence[str]) -> Assertion:
    expected = _expected(spec.get("violations"))
    pattern = spec.get("message")
    if pattern is not None:
        rx = regex_.compile(str(pattern))  # gator's message patterns are Go (RE2) regexps
        matched = sum(1 for m in messages if rx.search(m))
    else:
        matched = len(messages)
    if expected == "yes":
        ok = matched >= 1
    elif expected == "no":
        ok = matched == 0
    else:
        ok = matched == int(expected)
    return Assertion(expected, None if pattern is None else str(pattern), ok, matched)


def run_case(rules: Sequence[CompiledRule], base: pathlib.Path, test: str, case: Mapping[str, Any]) -> CaseOutcome:
    name = str(case.get("name", "?"))
    start = time.perf_counter()
    unsupported = next((r for r in rules if r.unsupported), None)
    if unsupported is not None:  # its SKIPs would read as "no violation"
        return CaseOutcome(test, name, (), (), error=f"{unsupported.id} cannot be evaluated: {unsupported.unsupported}")
    try:
        resource = _object(base / str(case["object"]))
        inventory = [obj for p in case.get("inventory") or [] for d in _read(base / str(p)) for obj in [d.data] if isinstance(obj, Mapping)]
        messages: list[str] = []
        for result in Engine(rules, context=EvalContext(inventory=tuple(inventory))).results(resource):
            if result.status is Status.ERROR:
                raise RuntimeError(result.violations[0].message if result.violations else "rule error")
            messages.extend(v.message for v in result.violations if v.status is Status.FAIL)
        assertions = tuple(_assert(a, messages) for a in case.get("assertions") or [])
    except (GuardrailsError, RuntimeError, ValueError, KeyError) as e:
        return CaseOutcome(test, name, (), (), error=str(e), seconds=time.perf_counter() - start)
    return CaseOutcome(test, name, tuple(messages), assertions, seconds=time.perf_counter() - start)


def run_suite(path: pathlib.Path, doc: Mapping[str, Any], *, engine: str = "auto",
              locate: Locator | None = None) -> tuple[list[CaseOutcome], list[GuardrailsError]]:
    base = path.parent
    outcomes: list[CaseOutcome] = []
    errors: list[GuardrailsError] = []
    where = locate or (lambda _p: Location(str(path)))
    for i, test in enumerate(doc.get("tests") or []):
        tname = str(test.get("name", "?"))
        if test.get("skip"):  # gator skips it too; shown, never counted as passed
            outcomes.extend(CaseOutcome(tname, str(c.get("name", "?")), (), (), skipped="the test is marked skip")
                            for c in test.get("cases") or [{}])
            continue
        try:
            # gator's `expansion:` names a file of ExpansionTemplates the test's objects expand with.
            expansion = [base / str(test["expansion"])] if test.get("expansion") else []
            rules = load_rules([base / str(test["template"]), base / str(test["constraint"]), *expansion],
                               engine=engine, point="gator")
        except GuardrailsError as e:
            errors.append(e)
            continue
        except KeyError as e:
            errors.append(RuleFileError(f"test {tname!r} has no {e.args[0]}", location=where(("tests", i))))
            continue
        if not rules:  # every case would pass "no violations" without judging anything
            errors.append(RuleFileError(f"test {tname!r}: its template and constraint load no Gatekeeper rule",
                                        location=where(("tests", i, "constraint")),
                                        hint="the constraint's kind must be the template's spec.crd.spec.names.kind"))
            continue
        for case in test.get("cases") or []:
            if case.get("skip"):
                outcomes.append(CaseOutcome(tname, str(case.get("name", "?")), (), (), skipped="the case is marked skip"))
                continue
            outcomes.append(run_case(rules, base, tname, case))
    return outcomes, errors


def run_file(path: str | pathlib.Path, doc: Mapping[str, Any], *, strict: bool, locate: Locator | None = None,
             now: datetime.datetime | None = None) -> FileResult:
    # `now`: Gatekeeper's CEL and Rego libraries here read no clock.
    path = pathlib.Path(path)
    outcomes, errors = run_suite(path, doc, locate=locate or locator(path, str(path), doc))
    cases: list[CaseResult] = []
    for o in outcomes:
        if o.skipped is not None:
            cases.append(CaseResult(f"{o.test}/{o.case}", "not run", "skip", False, o.skipped, skipped=True))
            continue
        expected = "; ".join(a.describe() for a in o.assertions) or "no assertions"
        if o.error is not None:
            actual, detail = "error", o.error
        else:
            actual = f"{len(o.messages)} violation(s)"
            failed = [f"expected {a.describe()}, got {a.matched}" for a in o.assertions if not a.ok]
            detail = "; ".join(failed + [f"violation: {m}" for m in o.messages]) if failed else ""
        ok = o.ok and (bool(o.assertions) or not strict)
        cases.append(CaseResult(name=f"{o.test}/{o.case}", expected=expected, actual=actual, ok=ok, detail=detail))
    return FileResult(path=str(path), cases=tuple(cases), errors=tuple(errors))
