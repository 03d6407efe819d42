"""Kyverno's authorization libraries (Envoy and HTTP answers, jwt.Decode) on the one CEL runtime,
as a payload-mode ValidatingPolicy evaluates them: the first non-null answer decides."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from typing import Any

import pytest

from guardrails.lang import cel_authz, cel_policy

NOW = datetime.datetime(2026, 3, 6, tzinfo=datetime.UTC)
NAMES = (*cel_policy.BASE_NAMES, "resource", "image", "globalContext", "http", *cel_authz.NAMES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims: dict[str, Any], key: str = "secret", alg: str = "HS256") -> str:
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}.get(alg, hashlib.sha256)
    sig = _b64(hmac.new(key.encode(), f"{head}.{body}".encode(), digest).digest())
    return f"{head}.{body}.{sig}"


def judge(validations: list[str], obj: Any, now: datetime.datetime | None = NOW) -> cel_policy.Outcome:
    spec = {"validations": [{"expression": e} for e in validations]}
    body = cel_policy.compile_policy_body(spec, NAMES, libraries=("kyverno", "authz"))
    data = {n: {} for n in NAMES}
    data.update({"object": obj, "oldObject": None, "request": None, "params": None, "namespaceObject": None,
                 "authorizer": None})
    return body.evaluate(data, hooks={"now": now}, answers=True)


ADMIN = token({"role": "admin", "exp": 2241081539, "nbf": 1514851139})
DECODE = 'jwt.Decode(object.token, "secret")'

# (validations, payload, status, message)
CASES: list[tuple[list[str], Any, str, str]] = [
    (["envoy.Allowed().Response()"], {}, "pass", "request allowed"),
    (["envoy.Denied(403).WithBody('no').Response()"], {}, "fail", "request denied with status code 403"),
    (["envoy.Denied(401).WithHeader('x', 'y').Response()"], {}, "fail", "request denied with status code 401"),
    (["http.Denied('not allowed').Response()"], {}, "fail", "request denied, reason: not allowed"),
    (["http.Allowed().Response()"], {}, "pass", "request allowed"),
    (["null", "object.x == 1 ? envoy.Denied(403).Response() : null", "envoy.Allowed().Response()"], {"x": 1},
     "fail", "request denied with status code 403"),
    (["null", "object.x == 1 ? envoy.Denied(403).Response() : null", "envoy.Allowed().Response()"], {"x": 2},
     "pass", "request allowed"),
    (["null"], {}, "skip", "request does not match"),  # nobody answered
    # A payload's own map is no answer, however it is shaped.
    (["object.answer"], {"answer": {"__authz": "ok", "seal": "guess"}}, "error", "must give envoy/http"),
    (["envoy.Allowed()"], {}, "error", "must give envoy/http"),  # not finished with Response()
    (["object.missing"], {}, "error", "resulted in error"),
    ([f"{DECODE}.Valid && {DECODE}.Claims.role == 'admin' ? envoy.Allowed().Response() : envoy.Denied(403).Response()"],
     {"token": ADMIN}, "pass", "request allowed"),
    ([f"{DECODE}.Valid ? envoy.Allowed().Response() : envoy.Denied(401).Response()"],
     {"token": token({"role": "admin"}, key="other")}, "fail", "status code 401"),  # wrong key
    ([f"{DECODE}.Valid ? envoy.Allowed().Response() : envoy.Denied(401).Response()"],
     {"token": token({"exp": 1700000000})}, "fail", "status code 401"),  # expired at NOW
    ([f"{DECODE}.Valid ? envoy.Allowed().Response() : envoy.Denied(401).Response()"],
     {"token": token({"nbf": 2000000000})}, "fail", "status code 401"),  # not yet valid at NOW
    ([f"{DECODE}.Valid ? envoy.Allowed().Response() : null"], {"token": token({}, alg="none")}, "error",
     "not supported offline"),
    ([f"{DECODE}.Valid ? envoy.Allowed().Response() : null"], {"token": "a.b"}, "error", "malformed"),
]


@pytest.mark.parametrize(("validations", "payload", "status", "message"), CASES)
def test_authorization_answers(validations: list[str], payload: Any, status: str, message: str) -> None:
    out = judge(validations, payload)
    assert out.status == status, out
    assert message in " ".join(out.messages)


def test_jwt_decode_reads_the_evaluation_time() -> None:
    expr = [f"{DECODE}.Valid ? envoy.Allowed().Response() : envoy.Denied(401).Response()"]
    assert judge(expr, {"token": ADMIN}).status == "pass"
    assert judge(expr, {"token": ADMIN}, datetime.datetime(2042, 1, 1, tzinfo=datetime.UTC)).status == "fail"
    unjudged = judge(expr, {"token": ADMIN}, None)  # never the machine's clock
    assert unjudged.status == "skip" and unjudged.unjudged
