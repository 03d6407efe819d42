"""A small HTTPS server that implements exactly the Kubernetes API endpoints the webhook uses,
as the API reference documents them (a kube-apiserver cannot be installed here):

  GET    /api/v1/namespaces/{ns}/secrets/{name}                        200, or 404 NotFound
  POST   /api/v1/namespaces/{ns}/secrets                               201, or 409 AlreadyExists
  PUT    /api/v1/namespaces/{ns}/secrets/{name}                        200, 404, or 409 Conflict when
                                                                       metadata.resourceVersion is stale
  GET    /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{name}   200 or 404
  PATCH  same path, Content-Type application/json-patch+json (RFC 6902 add/replace/test)
                                                                       200, 415 other types, 422 failed
                                                                       test op, 400 missing path
  GET    /api/v1/namespaces                                            NamespaceList with
                                                                       metadata.resourceVersion
  GET    /api/v1/namespaces?watch=true&resourceVersion=N               newline-delimited watch events
                                                                       {"type": ADDED|MODIFIED|DELETED|
                                                                       BOOKMARK|ERROR, "object": ...}
                                                                       after N, until timeoutSeconds; an
                                                                       N older than the kept history gets
                                                                       one ERROR event with a 410 Status;
                                                                       BOOKMARKs when allowWatchBookmarks
  GET    /api/v1/namespaces/{name}                                     200, or 404 NotFound

Errors are `Status` objects. Every write bumps metadata.resourceVersion. Requests are recorded.
`gate_reads=N` holds the first N Secret reads until N have arrived, to stage a creation race;
`forbid_secrets` answers 403 Forbidden, as RBAC does for a service account without the Role;
`edits_after_read=N` changes the webhook configuration behind the next N reads;
`set_namespace`/`delete_namespace` change Namespaces as a controller would, `compact()` drops the
watch history (so a watch from an old resourceVersion gets 410 Gone), `forbid_namespaces` answers
403 on every Namespace endpoint.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

SECRET = "/api/v1/namespaces/{ns}/secrets/{name}"
SECRETS = "/api/v1/namespaces/{ns}/secrets"
VWC = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{name}"
NAMESPACES = "/api/v1/namespaces"
NAMESPACE = "/api/v1/namespaces/{name}"


def status(code: int, reason: str, message: str) -> JSONResponse:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    return JSONResponse(body, status_code=code)


class FakeAPI:
    def __init__(self, *, gate_reads: int = 0, forbid_secrets: bool = False, edits_after_read: int = 0) -> None:
        self.forbid_secrets = forbid_secrets
        self.edits_after_read = edits_after_read
        self.secrets: dict[tuple[str, str], dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path, content-type)
        self.tokens: set[str] = set()
        self._version = 0
        self._gate_reads = gate_reads
        self._reads = 0
        self._gate: asyncio.Event | None = None
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[int, str, dict[str, Any]]] = []  # (resourceVersion, type, object)
        self.compacted = 0  # watches from a resourceVersion below this get 410 Gone
        self.forbid_namespaces = False
        self.closing = False  # set on shutdown: open watches end
        self.app = Starlette(routes=[
            Route(NAMESPACES, self.list_namespaces, methods=["GET"]),
            Route(NAMESPACE, self.namespace, methods=["GET"]),
            Route(SECRET, self.secret, methods=["GET", "PUT"]),
            Route(SECRETS, self.create_secret, methods=["POST"]),
            Route(VWC, self.webhook_config, methods=["GET", "PATCH"]),
        ])

    def _bump(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self._version)
        return obj

    def add_webhook_config(self, name: str, hooks: list[dict[str, Any]]) -> None:
        self.webhooks[name] = self._bump({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name}, "webhooks": hooks,
        })

    def set_namespace(self, name: str, labels: dict[str, str]) -> None:
        kind = "MODIFIED" if name in self.namespaces else "ADDED"
        labels = {"kubernetes.io/metadata.name": name, **labels}
        ns = self._bump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels},
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        self.namespaces[name] = ns
        self.events.append((self._version, kind, copy.deepcopy(ns)))

    def delete_namespace(self, name: str) -> None:
        ns = self._bump(self.namespaces.pop(name))
        self.events.append((self._version, "DELETED", copy.deepcopy(ns)))

    def compact(self) -> None:
        self.compacted = self._version + 1
        self.events.clear()

    async def list_namespaces(self, request: Request) -> Any:
        self._record(request)
        if self.forbid_namespaces:
            return status(403, "Forbidden", 'namespaces is forbidden: cannot list resource "namespaces"')
        if request.query_params.get("watch") in ("true", "True", "1"):
            return StreamingResponse(self._watch(request), media_type="application/json")
        return JSONResponse({"kind": "NamespaceList", "apiVersion": "v1",
                             "metadata": {"resourceVersion": str(self._version)},
                             "items": list(self.namespaces.values())})

    async def _watch(self, request: Request) -> Any:
        since = int(request.query_params.get("resourceVersion") or 0)
        timeout = float(request.query_params.get("timeoutSeconds") or 60)
        allow_bookmarks = request.query_params.get("allowWatchBookmarks") in ("true", "True")
        if since and since < self.compacted:
            gone = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": f"too old resource version: {since} ({self.compacted})", "reason": "Expired", "code": 410}
            yield json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n"
            return
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        sent = since
        bookmarked = loop.time()
        while loop.time() < end and not self.closing:
            for version, kind, obj in list(self.events):
                if version > sent:
                    sent = version
                    yield json.dumps({"type": kind, "object": obj}).encode() + b"\n"
            if allow_bookmarks and loop.time() - bookmarked > 0.1:
                # As kube-apiserver does now and then: only the resourceVersion, no object state.
                bookmarked = loop.time()
                mark = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"resourceVersion": str(self._version)}}
                yield json.dumps({"type": "BOOKMARK", "object": mark}).encode() + b"\n"
            await asyncio.sleep(0.02)

    async def namespace(self, request: Request) -> JSONResponse:
        self._record(request)
        if self.forbid_namespaces:
            return status(403, "Forbidden", 'namespaces is forbidden: cannot get resource "namespaces"')
        name = request.path_params["name"]
        if name not in self.namespaces:
            return status(404, "NotFound", f'namespaces "{name}" not found')
        return JSONResponse(self.namespaces[name])

    def _record(self, request: Request) -> None:
        self.requests.append((request.method, request.url.path, request.headers.get("content-type", "")))
        self.tokens.add(request.headers.get("authorization", ""))

    async def secret(self, request: Request) -> JSONResponse:
        self._record(request)
        ns, name = request.path_params["ns"], request.path_params["name"]
        if self.forbid_secrets:
            return status(403, "Forbidden", f'secrets "{name}" is forbidden: User "system:serviceaccount:{ns}:guardrails" cannot get resource "secrets"')
        if request.method == "GET":
            if self._reads < self._gate_reads:
                self._reads += 1
                if self._gate is None:
                    self._gate = asyncio.Event()
                if self._reads == self._gate_reads:
                    self._gate.set()
                await asyncio.wait_for(self._gate.wait(), 10)
            found = self.secrets.get((ns, name))
            if found is None:
                return status(404, "NotFound", f'secrets "{name}" not found')
            return JSONResponse(found)
        body = json.loads(await request.body())
        current = self.secrets.get((ns, name))
        if current is None:
            return status(404, "NotFound", f'secrets "{name}" not found')
        sent = body.get("metadata", {}).get("resourceVersion")
        if sent and sent != current["metadata"]["resourceVersion"]:
            return status(409, "Conflict", f'Operation cannot be fulfilled on secrets "{name}": the object has been modified')
        self.secrets[(ns, name)] = self._bump(body)
        return JSONResponse(self.secrets[(ns, name)])

    async def create_secret(self, request: Request) -> JSONResponse:
        self._record(request)
        ns = request.path_params["ns"]
        body = json.loads(await request.body())
        name = body["metadata"]["name"]
        if (ns, name) in self.secrets:
            return status(409, "AlreadyExists", f'secrets "{name}" already exists')
        body["metadata"]["namespace"] = ns
        self.secrets[(ns, name)] = self._bump(body)
        return JSONResponse(self.secrets[(ns, name)], status_code=201)

    async def webhook_config(self, request: Request) -> JSONResponse:
        self._record(request)
        name = request.path_params["name"]
        current = self.webhooks.get(name)
        if current is None:
            return status(404, "NotFound", f'validatingwebhookconfigurations "{name}" not found')
        if request.method == "GET":
            answer = JSONResponse(current)
            if self.edits_after_read > 0:  # someone else edits it right after our read
                self.edits_after_read -= 1
                self.webhooks[name] = self._bump(copy.deepcopy(current))
            return answer
        if request.headers.get("content-type", "").split(";")[0] != "application/json-patch+json":
            return status(415, "UnsupportedMediaType", "this fake implements JSON patch only")
        doc = copy.deepcopy(current)
        for op in json.loads(await request.body()):
            *parents, last = [p for p in op["path"].split("/")[1:]]
            target: Any = doc
            try:
                for step in parents:
                    target = target[int(step)] if isinstance(target, list) else target[step]
                key: Any = int(last) if isinstance(target, list) else last
                if op["op"] == "test":
                    if target[key] != op["value"]:
                        return status(422, "Invalid", f"the test operation on {op['path']} failed")
                elif op["op"] == "replace":
                    target[key]  # must exist
                    target[key] = op["value"]
                elif op["op"] == "add":
                    target[key] = op["value"]
                else:
                    return status(400, "BadRequest", f"unsupported op {op['op']}")
            except (KeyError, IndexError, ValueError, TypeError):
                return status(400, "BadRequest", f"jsonpatch {op['op']} operation does not apply: doc is missing path: {op['path']}")
        self.webhooks[name] = self._bump(doc)
        return JSONResponse(self.webhooks[name])
