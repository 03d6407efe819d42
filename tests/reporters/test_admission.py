"""Findings -> AdmissionReview response: deny message, codes, warnings and their limits, audit hidden."""

from __future__ import annotations

import functools

import pytest

from guardrails import Action, Finding, Origin, Severity, Status
from guardrails.model import Enforcement, ResourceRef
from guardrails.reporters.admission import MAX_WARNING, MAX_WARNINGS, MAX_WARNINGS_BYTES, judge, warnings
from guardrails.sources.admission import AdmissionRequest, parse_review
from tests.admission_samples import review

REQUEST = "policy-server__deployment_admission_review.json"


@functools.cache
def request(name: str = REQUEST, api_version: str = "admission.k8s.io/v1") -> AdmissionRequest:
    """A recorded review of ../shared/admission, parsed (the test skips, or fails in CI, without it)."""
    return parse_review(review(name, api_version=api_version))


def finding(rule: str, action: Action, message: str = "broken", status: Status = Status.FAIL) -> Finding:
    return Finding(
        rule=rule, status=status, severity=Severity.HIGH, action=action, message=message,
        resource=ResourceRef("apps/v1", "Deployment", "customer-1", "api"), origin=Origin("<admission>"),
    )


D1 = finding("require-team", Action.DENY, "label 'team' is missing")
D2 = finding("no-latest", Action.DENY, "container 'api' uses tag 'latest'")
D2b = finding("no-latest", Action.DENY, "container 'sidecar' uses tag 'latest'")
W1 = finding("prefer-digest", Action.WARN, "container 'api' image has no digest")
A1 = finding("audit-me", Action.AUDIT, "secret audit detail")
E1 = finding("crashy", Action.DENY, "rule could not be evaluated: KeyError: 'x'", Status.ERROR)
WV = finding("waived-deny", Action.DENY, "waived", Status.WAIVED)

# (findings, fail_open) -> (allowed, code, message, warnings)
CASES = [
    ("nothing", [], False, (True, None, None, None)),
    ("one deny", [D1], False, (False, 403, "require-team: label 'team' is missing", None)),
    ("every deny named, rule first, in order", [D1, D2, D2b], False,
     (False, 403, "require-team: label 'team' is missing; no-latest: container 'api' uses tag 'latest'; "
      "no-latest: container 'sidecar' uses tag 'latest'", None)),
    ("warn only", [W1], False, (True, None, None, ["prefer-digest: container 'api' image has no digest"])),
    ("deny and warn", [D1, W1], False,
     (False, 403, "require-team: label 'team' is missing", ["prefer-digest: container 'api' image has no digest"])),
    ("audit never shown", [A1], False, (True, None, None, None)),
    ("waived deny allowed, not shown", [WV], False, (True, None, None, None)),
    ("error fails closed with 500", [E1], False, (False, 500, "crashy: rule could not be evaluated: KeyError: 'x'", None)),
    # The object's author can make a rule raise: failing open must not turn that into a way in.
    ("a rule's error denies even failing open", [E1], True,
     (False, 500, "crashy: rule could not be evaluated: KeyError: 'x'", None)),
    ("fail and error: 403 names both", [D1, E1], False,
     (False, 403, "require-team: label 'team' is missing; crashy: rule could not be evaluated: KeyError: 'x'", None)),
    ("warn rule error is a warning", [finding("w", Action.WARN, "boom", Status.ERROR)], False, (True, None, None, ["w: boom"])),
]


OUT = finding("guardrails", Action.DENY, "deadline of 2 s passed while 'slow' ran", Status.ERROR)


@pytest.mark.parametrize(("fail_open", "allowed", "code", "warns"), [
    (False, False, 500, []),
    (True, True, None, ["guardrails: not evaluated, allowed by the fail-open policy: deadline of 2 s passed while 'slow' ran"]),
])
def test_outages_follow_the_fail_mode(fail_open: bool, allowed: bool, code: int | None, warns: list[str]) -> None:
    resp = judge(request(), [], fail_open=fail_open, outages=[OUT]).review["response"]
    assert resp["allowed"] is allowed
    assert resp.get("status", {}).get("code") == code
    assert resp.get("warnings", []) == warns


def test_an_outage_never_hides_a_deny() -> None:
    resp = judge(request(), [D1], fail_open=True, outages=[OUT]).review["response"]
    assert resp["allowed"] is False and resp["status"]["code"] == 403


@pytest.mark.parametrize(("findings", "fail_open", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_judge(findings: list[Finding], fail_open: bool, expected: tuple[object, ...]) -> None:
    allowed, code, message, warns = expected
    verdict = judge(request(), findings, fail_open=fail_open)
    resp = verdict.review["response"]
    assert verdict.review["apiVersion"] == "admission.k8s.io/v1"
    assert verdict.review["kind"] == "AdmissionReview"
    assert resp["uid"] == "8a1e598b-cc4b-49b7-a465-bee6204c18db"
    assert resp["allowed"] is allowed
    if code is None:
        assert "status" not in resp
    else:
        assert resp["status"] == {"code": code, "message": message}
    assert resp.get("warnings") == warns
    assert verdict.decision == ("allow" if allowed else "error" if code == 500 else "deny")


def test_answered_in_the_version_received() -> None:
    verdict = judge(request("echo__create_accept.json", "admission.k8s.io/v1beta1"), [D1])
    assert verdict.review["apiVersion"] == "admission.k8s.io/v1beta1"
    assert verdict.review["response"]["uid"] == "307362f8-ffb1-481a-9ce7-7e6192fbc699"


def test_control_characters_never_reach_the_requester() -> None:
    verdict = judge(request(), [finding("r", Action.DENY, "line one\nline\ttwo\x1b[31m")])
    assert verdict.message == "r: line one line two [31m"


def test_short_warnings_stay_whole() -> None:
    text = "x" * 100
    assert warnings([("rule", text)]) == [f"rule: {text}"]


def test_long_warning_keeps_its_first_sentence_when_that_fits_120() -> None:
    msg = "container 'api' has no memory limit. " + "Set resources.limits.memory to a value your service needs " * 3
    [w] = warnings([("needs-limits", msg)])
    assert w == "needs-limits: container 'api' has no memory limit."
    assert len(w) <= 120


def test_long_warning_is_cut_at_256() -> None:
    [w] = warnings([("r", "y" * 1000)])
    assert len(w) == MAX_WARNING and w.endswith("…")


def test_many_warnings_fit_4k_and_say_how_many_more() -> None:
    items = [(f"rule-{i:03d}", "z" * 100) for i in range(100)]
    out = warnings(items)
    assert sum(len(w.encode()) for w in out) <= MAX_WARNINGS_BYTES
    shown = len(out) - 1
    assert out[-1] == f"…and {100 - shown} more"
    assert out[:shown] == [f"rule-{i:03d}: {'z' * 100}" for i in range(shown)]
    assert shown > 30


def test_exactly_fitting_warnings_need_no_more_line() -> None:
    items = [(f"r{i}", "q" * 30) for i in range(3)]
    assert warnings(items) == [f"r{i}: {'q' * 30}" for i in range(3)]


def test_warnings_are_at_most_fifty_the_last_saying_how_many_more() -> None:
    out = warnings([(f"r{i}", "q") for i in range(200)])
    assert len(out) == MAX_WARNINGS
    assert out[-1] == f"…and {200 - (MAX_WARNINGS - 1)} more"
    assert warnings([(f"r{i}", "q") for i in range(MAX_WARNINGS)])[-1] == f"r{MAX_WARNINGS - 1}: q"


# The staged rollout: (findings, outages, fail_open) -> per mode (allowed, code, warnings, decision).
E = Enforcement
ENFORCEMENT_CASES = [
    ("a deny", [D1], [], False, {
        E.ENFORCE: (False, 403, None, "deny"),
        E.WARN: (True, None, ["require-team: label 'team' is missing"], "would-deny"),
        E.AUDIT: (True, None, None, "would-deny"),
    }),
    ("denials first, then the warn rules'", [W1, D1, D2], [], False, {
        E.ENFORCE: (False, 403, ["prefer-digest: container 'api' image has no digest"], "deny"),
        E.WARN: (True, None, ["require-team: label 'team' is missing", "no-latest: container 'api' uses tag 'latest'",
                              "prefer-digest: container 'api' image has no digest"], "would-deny"),
        E.AUDIT: (True, None, ["prefer-digest: container 'api' image has no digest"], "would-deny"),
    }),
    ("a deny rule's error is its denial", [E1], [], True, {
        E.ENFORCE: (False, 500, None, "error"),
        E.WARN: (True, None, ["crashy: rule could not be evaluated: KeyError: 'x'"], "would-deny"),
        E.AUDIT: (True, None, None, "would-deny"),
    }),
    ("an outage keeps the fail mode (closed)", [D1], [OUT], False, {
        E.ENFORCE: (False, 403, None, "deny"),
        E.WARN: (False, 500, ["require-team: label 'team' is missing"], "error"),
        E.AUDIT: (False, 500, None, "error"),
    }),
    ("an outage keeps the fail mode (open)", [], [OUT], True, {
        m: (True, None, ["guardrails: not evaluated, allowed by the fail-open policy: deadline of 2 s passed while 'slow' ran"],
            "allow") for m in E
    }),
    ("waived and audit stay hidden", [WV, A1], [], False, {m: (True, None, None, "allow") for m in E}),
]


@pytest.mark.parametrize("mode", list(Enforcement), ids=str)
@pytest.mark.parametrize(
    ("findings", "outages", "fail_open", "expected"), [c[1:] for c in ENFORCEMENT_CASES], ids=[c[0] for c in ENFORCEMENT_CASES]
)
def test_enforcement(
    mode: Enforcement, findings: list[Finding], outages: list[Finding], fail_open: bool,
    expected: dict[Enforcement, tuple[bool, int | None, list[str] | None, str]],
) -> None:
    allowed, code, warns, decision = expected[mode]
    verdict = judge(request(), findings, fail_open=fail_open, outages=outages, enforcement=mode)
    resp = verdict.review["response"]
    assert resp["allowed"] is allowed
    assert resp.get("status", {}).get("code") == code
    assert resp.get("warnings") == warns
    assert verdict.decision == decision
