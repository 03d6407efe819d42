"""Findings -> an AdmissionReview response: allowed, status (code + message), warnings. Pure.

- A failing `deny` rule denies: code 403 and one message naming every failing deny rule, each
  entry starting with the rule name (users grep for it).
- A `deny` rule that could not be evaluated on the object (status ERROR: a check raised, a cost
  budget ran out, a native evaluator crashed) denies with code 500 whatever the fail mode: the
  object's author can cause those errors, so they are the object's failure, never a way in.
- An outage (`outages`: the decision's deadline passed, the namespace could not be resolved, the
  webhook itself failed) denies with code 500 when failing closed (the default) or is allowed
  with a warning when failing open.
- `warn` rules become admission warnings: each kept to 120 characters where the first sentence
  allows, cut hard at 256, at most 50 of them within 4 KiB, the last one saying "…and N more".
- `audit` rules and waived findings are never shown to the requester (the webhook counts and
  logs them).
- `enforcement` (the staged rollout, `serve --enforcement`): under `warn` every denial of a rule
  (its FAIL, and its ERROR: both are the rule's answer on the object) is allowed and becomes a
  warning, listed before the warn rules' own; under `audit` it is allowed silently. Either way
  the verdict's decision reads `would-deny`, for the logs and metrics. Outages are not a rule's
  answer: they follow the fail mode in every mode.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, TypedDict

from guardrails.model import Action, Enforcement, Finding, Status
from guardrails.sources.admission import AdmissionRequest

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_WARNING",
    "MAX_WARNINGS",
    "MAX_WARNINGS_BYTES",
    "SHORT_WARNING",
    "ResponseDict",
    "ReviewResponseDict",
    "StatusDict",
    "Verdict",
    "allow",
    "judge",
    "warnings",
]

SHORT_WARNING = 120
MAX_WARNING = 256
MAX_WARNINGS_BYTES = 4096
MAX_WARNINGS = 50  # count, the "…and N more" line included: kubectl prints one line each
MAX_MESSAGE_BYTES = 16384

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class StatusDict(TypedDict, total=False):
    code: int
    message: str


class ResponseDict(TypedDict, total=False):
    uid: str
    allowed: bool
    status: StatusDict
    warnings: list[str]


class ReviewResponseDict(TypedDict):
    apiVersion: str
    kind: str
    response: ResponseDict


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one request and the review that carries it back."""

    allowed: bool
    code: int  # 200 allowed, 403 denied by a rule, 500 a deny rule could not be evaluated
    message: str
    warnings: tuple[str, ...]
    review: ReviewResponseDict
    # Rule denials allowed by the enforcement mode (warn/audit): what enforce would have said.
    would_deny: tuple[str, ...] = ()

    @property
    def decision(self) -> str:
        """A metrics/log label: allow, would-deny (allowed by the enforcement mode), deny or error."""
        if self.allowed:
            return "would-deny" if self.would_deny else "allow"
        return "error" if self.code == 500 else "deny"


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def _label(rule: str, message: str, dialect: str = "native") -> str:
    """`rule: message`; `[constraint] message` for Gatekeeper constraints, as Gatekeeper says it."""
    if dialect == "gatekeeper":
        return f"[{rule}] {_clean(message)}"
    return f"{rule}: {_clean(message)}"


def _entry(f: Finding) -> str:
    return _label(_who(f), f.message, f.dialect)


def _who(f: Finding) -> str:
    """How the message names the rule: Gatekeeper by constraint name, the others by rule id."""
    return f.name if f.dialect == "gatekeeper" else f.rule


def _short(rule: str, message: str, dialect: str = "native") -> str:
    """`rule: message`, brought to 120 characters by keeping the first sentence where that fits,
    and cut hard at 256."""
    text = _label(rule, message, dialect)
    if len(text) > SHORT_WARNING:
        first = text.split(". ", 1)[0]
        if len(first) <= SHORT_WARNING:
            text = first if first.endswith(".") else first + "."
    if len(text) > MAX_WARNING:
        text = text[: MAX_WARNING - 1] + "…"
    return text


def warnings(items: Sequence[tuple[str, ...]]) -> list[str]:
    """(rule, message[, dialect]) items -> admission warnings within Kubernetes' limits."""
    texts = [_short(*item) for item in items]
    out: list[str] = []
    used = 0
    for i, text in enumerate(texts):
        size = len(text.encode())
        rest = len(texts) - i - 1
        # Keep room for the "…and N more" line unless this is the last warning.
        reserve = len(f"…and {len(texts)} more".encode()) if rest else 0
        if used + size + reserve > MAX_WARNINGS_BYTES or (rest and i == MAX_WARNINGS - 1):
            out.append(f"…and {len(texts) - i} more")
            break
        out.append(text)
        used += size
    return out


def _cap(entries: Sequence[str]) -> str:
    out: list[str] = []
    used = 0
    for i, e in enumerate(entries):
        size = len(e.encode()) + 2
        if used + size > MAX_MESSAGE_BYTES - 32:
            out.append(f"…and {len(entries) - i} more")
            break
        out.append(e)
        used += size
    return "; ".join(out)


def judge(
    request: AdmissionRequest,
    findings: Sequence[Finding],
    *,
    fail_open: bool = False,
    outages: Sequence[Finding] = (),
    enforcement: Enforcement = Enforcement.ENFORCE,
) -> Verdict:
    """The admission decision for `findings` on `request`, answered in the review's version.

    `fail_open` applies to `outages` only; ERROR findings of rules always deny (under
    `enforcement` enforce; warn and audit allow every rule denial, see the module's notes).
    """
    failed: list[str] = []
    errored: list[str] = []
    warned: list[tuple[str, ...]] = []
    would: list[str] = []  # rule denials the enforcement mode allowed, in enforce's words
    shown: list[tuple[str, ...]] = []  # ... and, under warn, the warnings that say them
    for f in (*findings, *outages):
        if f.action is Action.AUDIT or f.status is Status.WAIVED:
            continue
        is_outage = any(f is o for o in outages)
        if f.action is Action.DENY and f.status in (Status.FAIL, Status.ERROR) and not is_outage and (
            enforcement is not Enforcement.ENFORCE
        ):
            would.append(_entry(f))
            if enforcement is Enforcement.WARN:
                shown.append((_who(f), f.message, f.dialect))
        elif f.action is Action.DENY and f.status is Status.FAIL:
            failed.append(_entry(f))
        elif f.action is Action.DENY and f.status is Status.ERROR:
            if fail_open and is_outage:
                warned.append((_who(f), f"not evaluated, allowed by the fail-open policy: {f.message}", f.dialect))
            else:
                errored.append(_entry(f))
        elif f.status in (Status.FAIL, Status.ERROR):
            warned.append((_who(f), f.message, f.dialect))
    warned[:0] = shown
    response: ResponseDict = {"uid": request.uid, "allowed": not (failed or errored)}
    code, message = 200, ""
    if failed or errored:
        code = 403 if failed else 500
        message = _cap([*failed, *errored])
        response["status"] = {"code": code, "message": message}
    warns = warnings(warned)
    if warns:
        response["warnings"] = warns
    review: ReviewResponseDict = {
        "apiVersion": request.api_version,
        "kind": "AdmissionReview",
        "response": response,
    }
    return Verdict(not (failed or errored), code, message, tuple(warns), review, tuple(would))


def allow(request: AdmissionRequest) -> dict[str, Any]:
    """The plain allow for a request no rule looks at (skipped operation, excluded namespace)."""
    return {
        "apiVersion": request.api_version,
        "kind": "AdmissionReview",
        "response": {"uid": request.uid, "allowed": True},
    }
