"""Our own rule test format, `guardrails.dev/v1` `RuleTest`: rules, resources, expected outcomes.

```yaml
apiVersion: guardrails.dev/v1
kind: RuleTest
metadata:
  name: privileged-containers
spec:
  rules: [privileged-containers.yaml]     # rule files or folders, relative to this file
  resources:                              # manifest files (relative) or inline objects
    - manifests/web.yaml
    - {apiVersion: v1, kind: Pod, metadata: {name: root}, spec: {...}}
    - plan.json                           # Terraform plans too, as files or inline

  results:
    - rule: privileged-containers
      resources: [Pod/root]               # Kind/name, Kind/namespace/name, or a unique name
      result: fail                        # pass | fail | skip | error | unknown
      message: "privileged"               # optional: a fragment of one of the messages
```

A rule that does not match a resource at all counts as `skip`, never as `pass`. Resources of a
Terraform plan are named by their address (`aws_s3_bucket.logs`); `unknown` is the outcome of
a rule that depends on a value known only after apply. With `strict`,
a fail or error outcome that no expectation covers is a failing case too: a rule that fires
where nobody said it would is a bug in the rule or in the test.
"""

from __future__ import annotations

import datetime
import pathlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from guardrails.engine import Engine
from guardrails.errors import GuardrailsError, RuleFileError
from guardrails.model import FieldPath, Origin, Resource, RuleResult, Status, Violation
from guardrails.policy.load import load_rules
from guardrails.rule import CompiledRule
from guardrails.ruletest import CaseResult, FileResult, Locator, locator
from guardrails.sources import documents as yamldocs
from guardrails.sources.terraform import plan as terraform

__all__ = ["EXPECTED", "run_file"]

EXPECTED = ("pass", "fail", "skip", "error", "unknown")
_SPEC_KEYS = ("rules", "resources", "results")
_RESULT_KEYS = ("rule", "resource", "resources", "result", "message")


class _TestFileError(Exception):
    def __init__(self, message: str, path: FieldPath, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.path, self.hint = message, path, hint


def _strings(value: Any, where: FieldPath) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise _TestFileError("expected a non-empty list of strings", where)


def _check_keys(block: Mapping[str, Any], allowed: Sequence[str], where: FieldPath) -> None:
    import difflib

    for key in block:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
            raise _TestFileError(f"unknown key {key!r}", (*where, key), hint)


def _resources(spec: Mapping[str, Any], base: pathlib.Path, display: str) -> list[Resource]:
    items = spec.get("resources")
    if not isinstance(items, list) or not items:
        raise _TestFileError("spec.resources: expected a non-empty list of files or objects", ("spec", "resources"))
    out: list[Resource] = []
    for i, item in enumerate(items):
        where: FieldPath = ("spec", "resources", i)
        if isinstance(item, str):
            out.extend(_resource_file(base / item, where))
        elif terraform.is_plan(item):
            out.extend(terraform.resources(item, display))
        elif yamldocs.is_kubernetes_object(item):
            out.append(Resource(obj=item, origin=Origin(display, item_index=i)))
        else:
            raise _TestFileError("expected a file name, an object with apiVersion and kind, or a Terraform plan", where)
    return out


def _resource_file(path: pathlib.Path, where: FieldPath) -> Iterator[Resource]:
    shown = path.as_posix()
    try:
        text = yamldocs.decode(path.read_bytes(), shown)
    except OSError as e:
        raise _TestFileError(f"cannot read resource file {shown}: {e.strerror}", where) from None
    for doc in yamldocs.documents(text, shown, drop_nulls=True):
        if isinstance(doc, GuardrailsError):
            raise _TestFileError(f"resource file {doc.render()}", where)
        if terraform.is_plan(doc.data):
            yield from terraform.resources(doc.data, shown)
        else:
            yield from yamldocs.resources_of(doc, shown)[0]


def _ids(r: Resource) -> tuple[str, ...]:
    """The names a test may use for a resource."""
    ids = [f"{r.kind}/{r.name}", r.name]
    if r.namespace:
        ids.insert(0, f"{r.kind}/{r.namespace}/{r.name}")
    if r.origin.address and r.origin.address not in ids:
        ids.insert(0, r.origin.address)
    return tuple(ids)


def _find(ref: str, resources: Sequence[Resource], where: FieldPath) -> Resource:
    found = [r for r in resources if ref in _ids(r)]
    if len(found) == 1:
        return found[0]
    if found:
        raise _TestFileError(f"resource {ref!r} is ambiguous ({len(found)} resources)", where, "use Kind/namespace/name")
    import difflib

    known = sorted({_ids(r)[0] for r in resources})
    close = difflib.get_close_matches(ref, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"resources: {', '.join(known)}"
    raise _TestFileError(f"no resource {ref!r} in spec.resources", where, hint)


def _rule(name: str, rules: Mapping[str, CompiledRule], where: FieldPath) -> CompiledRule:
    if name in rules:
        return rules[name]
    import difflib

    close = difflib.get_close_matches(name, list(rules), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"rules: {', '.join(rules) or 'none loaded'}"
    raise _TestFileError(f"no rule {name!r} among the test's rules", where, hint)


def _outcome(engine: Engine, rule: CompiledRule, resource: Resource) -> RuleResult:
    result = engine.judge(rule, resource)
    if result is None:
        return RuleResult(rule.name, Status.SKIP, (Violation("the rule does not match this resource", (), Status.SKIP),))
    return result


def _describe(result: RuleResult) -> str:
    return "; ".join(v.message for v in result.violations)


def _case(rule: str, ref: str, expected: str, fragment: str | None, result: RuleResult) -> CaseResult:
    actual = str(result.status)
    name = f"{rule} {ref}"
    ok = actual == expected
    detail = _describe(result) if (not ok or expected != "pass") else ""
    if ok and fragment is not None and not any(fragment in v.message for v in result.violations):
        ok = False
        detail = f"no message contains {fragment!r}: {_describe(result) or 'no messages'}"
        return CaseResult(name, f"{expected} ~ {fragment!r}", actual, False, detail)
    return CaseResult(name, expected, actual, ok, detail)


def _run(path: pathlib.Path, doc: Mapping[str, Any], display: str, *, strict: bool) -> FileResult:
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        raise _TestFileError("missing spec (rules, resources, results)", ("spec",))
    _check_keys(spec, _SPEC_KEYS, ("spec",))
    base = path.parent
    rule_paths = [base / p for p in _strings(spec.get("rules"), ("spec", "rules"))]
    for i, p in enumerate(rule_paths):
        if not p.exists():
            raise _TestFileError(f"no such rule file or folder: {p.as_posix()}", ("spec", "rules", i))
    ruleset = load_rules(rule_paths, builtin=False)
    rules = {r.name: r for r in ruleset.rules}
    resources = _resources(spec, base, display)
    engine = Engine(ruleset.rules, ruleset.waivers)
    expectations = spec.get("results")
    if not isinstance(expectations, list) or not expectations:
        raise _TestFileError("spec.results: expected a non-empty list", ("spec", "results"))
    cases: list[CaseResult] = []
    covered: set[tuple[str, int]] = set()
    for i, exp in enumerate(expectations):
        where: FieldPath = ("spec", "results", i)
        if not isinstance(exp, Mapping):
            raise _TestFileError("expected a mapping with rule, resources and result", where)
        _check_keys(exp, _RESULT_KEYS, where)
        rule = _rule(str(exp.get("rule", "")), rules, (*where, "rule"))
        expected = exp.get("result")
        if expected not in EXPECTED:
            raise _TestFileError(f"result {expected!r} is not one of {', '.join(EXPECTED)}", (*where, "result"))
        fragment = exp.get("message")
        if fragment is not None and not isinstance(fragment, str):
            raise _TestFileError("message: expected a string", (*where, "message"))
        key = "resources" if "resources" in exp else "resource"
        for ref in _strings(exp.get(key), (*where, key)):
            resource = _find(ref, resources, (*where, key))
            covered.add((rule.name, id(resource)))
            if rule.unsupported:  # its SKIP says nothing about the resource: never a pass
                cases.append(CaseResult(f"{rule.name} {ref}", expected, "not evaluated", False,
                                        f"the rule cannot be evaluated: {rule.unsupported}"))
                continue
            cases.append(_case(rule.name, ref, expected, fragment, _outcome(engine, rule, resource)))
    if strict:
        for rule in ruleset.rules:
            for resource in resources:
                if (rule.name, id(resource)) in covered:
                    continue
                result = _outcome(engine, rule, resource)
                if result.status in (Status.FAIL, Status.ERROR):
                    ref = _ids(resource)[0]
                    cases.append(
                        CaseResult(f"{rule.name} {ref}", "(no expectation)", str(result.status), False, _describe(result))
                    )
    return FileResult(display, tuple(cases))


def run_file(path: pathlib.Path, doc: Mapping[str, Any], *, strict: bool = False, display: str | None = None,
             locate: Locator | None = None, now: datetime.datetime | None = None) -> FileResult:
    """Run one RuleTest document; problems with the test file itself come back as errors.
    (`now`: no native rule reads the clock.)"""
    shown = display or path.as_posix()
    try:
        return _run(path, doc, shown, strict=strict)
    except _TestFileError as e:
        where = (locate or locator(path, shown, doc))(e.path)
        return FileResult(shown, errors=(RuleFileError(e.message, location=where, hint=e.hint),))
    except GuardrailsError as e:
        return FileResult(shown, errors=e.all())
