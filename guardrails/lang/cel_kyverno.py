"""Kyverno's CEL libraries that can be answered offline, for ValidatingPolicy and `validate.cel`:
`resource.Get/List` (the objects the evaluator was given: a test's context file or
clusterResources, or the scanned set), `image.GetMetadata` (a test's image data),
`globalContext.Get` (a test's globalContextEntries), `http.Get/Post` (a test's
apiCallResponses), `parseServiceAccount` and the time library (`time.now()` is the
evaluation time the test or run supplies, never the clock; `time.truncate`, `time.toCron`). What was not given is an evaluation error naming
the call, never an invented answer.

The answers come through `cel_k8s.HOOKS`, set by the evaluator around one evaluation.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from guardrails.kube import resources as kres
from guardrails.lang import cel_k8s

__all__ = ["NAMES", "global_value"]

# The variables Kyverno binds besides Kubernetes' own.
NAMES = ("resource", "image", "globalContext", "http")


def _hook(name: str) -> Any:
    found = cel_k8s.HOOKS.get().get(name)
    if found is None:
        raise ValueError(f"{name} is not available offline: the test or scan supplies no data for it")
    return found


def _objects() -> list[Mapping[str, Any]]:
    return list(_hook("resources"))


def _matches(obj: Mapping[str, Any], api: str, resource: str, namespace: str) -> bool:
    if obj.get("apiVersion") != api:
        return False
    group = api.rpartition("/")[0]
    if kres.resource_of(group, str(obj.get("kind", "")))[0] != resource:
        return False
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    return not namespace or str(meta.get("namespace") or "") == namespace


def _get(_: Any, api: str, resource: str, namespace: str, name: str) -> Any:
    for obj in _objects():
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        assert isinstance(meta, Mapping)
        if _matches(obj, api, resource, namespace) and meta.get("name") == name:
            return obj
    raise ValueError(f'{resource} "{name}" not found')


def _list(_: Any, api: str, resource: str, namespace: str) -> Any:
    return {"apiVersion": api, "kind": "List",
            "items": [o for o in _objects() if _matches(o, api, resource, namespace)]}


def _image_metadata(_: Any, ref: str) -> Any:
    for entry in _hook("images"):
        if isinstance(entry, Mapping) and entry.get("image") == ref:
            return {k: v for k, v in entry.items() if k != "image"}
    raise ValueError(f"no image data for {ref!r}")


def global_value(entries: Mapping[str, Any], name: str, projection: str = "") -> Any:
    """A GlobalContextEntry's data as Kyverno's store gives it: the whole value, or with a
    `projection` that key of it (an entry is `{"value": ...}` or `{"error": why}`). Raises
    ValueError, as Kyverno fails, when the entry, its projection or its data is missing."""
    entry = entries.get(name)
    if not isinstance(entry, Mapping):
        raise ValueError(f"global context entry {name!r} not found")
    if "error" in entry:
        raise ValueError(f"global context entry {name!r}: {entry['error']}")
    value = entry.get("value")
    if not projection:
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"projection {projection!r} of global context entry {name!r} requested, "
                         "but its value is not an object")
    if projection not in value:
        raise ValueError(f"projection {projection!r} of global context entry {name!r} not found")
    return value[projection]


def _global(_: Any, name: str, projection: str = "") -> Any:
    return global_value(_hook("globalContext"), name, projection)


def _http(method: str) -> Any:
    def call(_: Any, url: str, *rest: Any) -> Any:
        for r in _hook("http"):
            if str(r.get("method", "GET")).upper() == method and r.get("url") == url:
                return r.get("response") or {}
        raise ValueError(f"http.{method.title()}({url!r}) is not answered offline (no apiCallResponses entry)")

    return call


def _now() -> datetime.datetime:
    # The evaluation time the test or run supplied, never the clock (policies that call it are
    # skipped before they run when none was given: see cel_policy).
    found = cel_k8s.HOOKS.get().get("now")
    if not isinstance(found, datetime.datetime):
        raise ValueError("time.now() has no evaluation time: none was given (--now TIME)")
    return found


# Go's time.Truncate counts from its zero time, 0001-01-01 UTC.
_GO_ZERO = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)


def _truncate(ts: datetime.datetime, d: datetime.timedelta) -> datetime.datetime:
    if d <= datetime.timedelta(0):
        return ts
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=datetime.UTC)
    return ts - (ts - _GO_ZERO) % d


def _to_cron(ts: datetime.datetime) -> str:
    # minute hour day month weekday (Sunday is 0), in the timestamp's own zone (UTC in CEL)
    return f"{ts.minute} {ts.hour} {ts.day} {ts.month} {(ts.weekday() + 1) % 7}"


def _service_account(user: str) -> dict[str, str]:
    prefix = "system:serviceaccount:"
    if not user.startswith(prefix):
        return {"Namespace": "", "Name": ""}
    ns, _, name = user[len(prefix):].partition(":")
    return {"Namespace": ns, "Name": name}


cel_k8s.register("kyverno", [
    ("Get", "resource_get", "dyn", ("dyn", "string", "string", "string", "string"), True, _get),
    ("get", "resource_get_lower", "dyn", ("dyn", "string", "string", "string", "string"), True, _get),
    ("List", "resource_list", "dyn", ("dyn", "string", "string", "string"), True, _list),
    ("list", "resource_list_lower", "dyn", ("dyn", "string", "string", "string"), True, _list),
    ("GetMetadata", "image_get_metadata", "dyn", ("dyn", "string"), True, _image_metadata),
    ("Get", "global_context_get", "dyn", ("dyn", "string", "string"), True, _global),
    ("Get", "http_get", "dyn", ("dyn", "string"), True, _http("GET")),
    ("Get", "http_get_headers", "dyn", ("dyn", "string", "map"), True, _http("GET")),
    ("Post", "http_post", "dyn", ("dyn", "string", "dyn"), True, _http("POST")),
    ("Post", "http_post_headers", "dyn", ("dyn", "string", "dyn", "map"), True, _http("POST")),
    ("parseServiceAccount", "parse_service_account", "dyn", ("string",), False, _service_account),
    ("time.now", "time_now", "timestamp", (), False, _now),
    ("time.truncate", "time_truncate", "timestamp", ("timestamp", "duration"), False, _truncate),
    ("time.toCron", "time_to_cron", "string", ("timestamp",), False, _to_cron),
])
