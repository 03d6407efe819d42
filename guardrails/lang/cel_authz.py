"""Kyverno's authorization libraries for ValidatingPolicies with `evaluation.mode` Envoy or HTTP
(the Kyverno Authz Server's policies): a validation answers a request with `envoy.Allowed()`,
`envoy.Denied(code)` (`.WithBody(text)`), `http.Allowed()`, `http.Denied(reason)`, each
finished with `.Response()`, or null to leave the request to the next validation; and
`jwt.Decode(token, key)`, an HMAC-signed (HS256/384/512) JSON Web Token as `{Valid, Claims,
Header}`, valid when its signature holds and the evaluation time is inside its `nbf`/`exp`
(the time the run gives, never the clock: policies that call it read the clock).

A response is sealed with a value made per process, so a payload's own map (`object.x`
returned by a validation) can never pass for an answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from guardrails.lang import cel_k8s

__all__ = ["NAMES", "verdict"]

# The variables these libraries are called through (http is Kyverno's own, shared with http.Get).
NAMES = ("envoy", "jwt")

_SEAL = secrets.token_hex(16)
_KEY = "__authz"


def _answer(kind: str, **fields: Any) -> dict[str, Any]:
    return {_KEY: kind, **fields}


def _allowed(_: Any) -> dict[str, Any]:
    return _answer("ok")


def _http_denied(_: Any, reason: str) -> dict[str, Any]:
    return _answer("denied", reason=reason)


def _envoy_denied(_: Any, code: int) -> dict[str, Any]:
    return _answer("denied", status=int(code))


def _with_body(answer: Any, body: str) -> dict[str, Any]:
    return {**_builder(answer, "WithBody"), "body": body}


def _with_header(answer: Any, key: str, value: str) -> dict[str, Any]:
    built = _builder(answer, "WithHeader")
    return {**built, "headers": {**(built.get("headers") or {}), key: value}}


def _builder(answer: Any, fn: str) -> Mapping[str, Any]:
    if not isinstance(answer, Mapping) or answer.get(_KEY) not in ("ok", "denied") or "seal" in answer:
        raise ValueError(f"no such overload: {fn} on a value that is not envoy/http Allowed() or Denied()")
    return answer


def _response(answer: Any) -> dict[str, Any]:
    return {**_builder(answer, "Response"), "seal": _SEAL}


def verdict(value: Any) -> tuple[str, str] | None:
    """("pass" | "fail", message) for a validation's answer, None for null (no answer); a value
    that is not a response is a ValueError."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("seal") != _SEAL:
        raise ValueError("a validation must give envoy/http ...Response() or null")
    if value.get(_KEY) == "ok":
        return ("pass", "request allowed")
    if "status" in value:
        return ("fail", f"request denied with status code {value['status']}")
    return ("fail", f"request denied, reason: {value.get('reason', '')}")


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _jwt_decode(_: Any, token: str, key: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("jwt.Decode: token is malformed: token contains an invalid number of segments")
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
        signature = _b64(parts[2])
    except (ValueError, binascii.Error):
        raise ValueError("jwt.Decode: token is malformed: could not base64-decode or parse JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("jwt.Decode: token is malformed: header and claims must be JSON objects")
    digest = _HMAC.get(str(header.get("alg")))
    if digest is None:
        raise ValueError(f"jwt.Decode: signing method {header.get('alg')!r} is not supported offline (HS256, HS384, HS512)")
    expected = hmac.new(key.encode(), f"{parts[0]}.{parts[1]}".encode(), digest).digest()
    now = cel_k8s.HOOKS.get().get("now")
    if not isinstance(now, datetime.datetime):
        raise ValueError("jwt.Decode has no evaluation time: none was given (--now TIME)")
    t = now.timestamp()
    valid = hmac.compare_digest(expected, signature) and _in_time(claims, t)
    return {"Valid": valid, "Claims": claims, "Header": header}


def _in_time(claims: Mapping[str, Any], t: float) -> bool:
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and t >= exp:
        return False
    return not (isinstance(nbf, int | float) and not isinstance(nbf, bool) and t < nbf)


cel_k8s.register("authz", [
    ("Allowed", "authz_allowed", "dyn", ("dyn",), True, _allowed),
    ("Denied", "authz_http_denied", "dyn", ("dyn", "string"), True, _http_denied),
    ("Denied", "authz_envoy_denied", "dyn", ("dyn", "int"), True, _envoy_denied),
    ("WithBody", "authz_with_body", "dyn", ("dyn", "string"), True, _with_body),
    ("WithHeader", "authz_with_header", "dyn", ("dyn", "string", "string"), True, _with_header),
    ("Response", "authz_response", "dyn", ("dyn",), True, _response),
    ("Decode", "jwt_decode", "dyn", ("dyn", "string", "string"), True, _jwt_decode),
])
