"""The fake API server of tests/webhook (same TLS harness) with the endpoints `guardrails audit`
uses, as the API reference documents them:

  GET  /api/v1/{resource}, /apis/{group}/{version}/{resource}    a List of every namespace's
       objects; `limit` pages it and metadata.continue names the next page (absent on the last);
       items carry no apiVersion/kind; a `continue` token issued before `expire()` answers 410
       Gone (reason Expired); resources in `forbidden` answer 403 as RBAC does
  GET/PUT  /apis/wgpolicyk8s.io/v1alpha2/namespaces/{ns}/policyreports/{name}, and
           /apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/{name}   200 or 404; PUT 409 on a
           stale metadata.resourceVersion
           (`report_edits_after_read=N` rewrites the report behind the next N reads)
  POST the collections                                           201, or 409 AlreadyExists
"""

from __future__ import annotations

import copy
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.webhook.fake_apiserver import FakeAPI, status

REPORTS = "/apis/wgpolicyk8s.io/v1alpha2"


class FakeCluster(FakeAPI):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, list[dict[str, Any]]] = {}  # list path -> objects (no apiVersion/kind)
        self.forbidden: set[str] = set()
        self.reports: dict[tuple[str, str, str], dict[str, Any]] = {}  # (plural, ns, name) -> object
        self.generation = 0  # continue tokens carry it; expire() makes older ones 410
        self.expire_after: int | None = None  # expire once this many list pages were served
        self.pages = 0
        self.report_edits_after_read = 0  # someone else rewrites a report right after our next N reads
        self.app.router.routes[:0] = [
            Route(REPORTS + "/namespaces/{ns}/policyreports", self.report_collection, methods=["POST"]),
            Route(REPORTS + "/namespaces/{ns}/policyreports/{name}", self.report, methods=["GET", "PUT"]),
            Route(REPORTS + "/clusterpolicyreports", self.report_collection, methods=["POST"]),
            Route(REPORTS + "/clusterpolicyreports/{name}", self.report, methods=["GET", "PUT"]),
            Route("/api/v1/{resource}", self.list_objects, methods=["GET"]),
            Route("/apis/{group}/{version}/{resource}", self.list_objects, methods=["GET"]),
        ]

    def add(self, path: str, *objects: dict[str, Any]) -> None:
        self.objects.setdefault(path, []).extend(copy.deepcopy(o) for o in objects)

    def expire(self) -> None:
        self.generation += 1

    async def list_objects(self, request: Request) -> JSONResponse:
        self._record(request)
        path = request.url.path
        resource = request.path_params["resource"]
        if path == "/api/v1/namespaces" and path not in self.objects:
            return await self.list_namespaces(request)
        if resource in self.forbidden:
            return status(403, "Forbidden", f'{resource} is forbidden: User "system:serviceaccount:guardrails:audit" cannot list resource "{resource}" at the cluster scope')
        items = self.objects.get(path, [])
        token = request.query_params.get("continue", "")
        start = 0
        if token:
            generation, start = (int(x) for x in token.split(":"))
            if generation != self.generation:
                return status(410, "Expired", "The provided continue parameter is too old to display a consistent list result.")
        limit = int(request.query_params.get("limit") or 0) or len(items) or 1
        page = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": str(self._version)}
        if start + limit < len(items):
            meta["continue"] = f"{self.generation}:{start + limit}"
        self.pages += 1
        if self.expire_after is not None and self.pages == self.expire_after:  # etcd compacts behind the client
            self.expire_after = None
            self.expire()
        return JSONResponse({"kind": "List", "apiVersion": "v1", "metadata": meta, "items": page})

    def _key(self, request: Request, name: str) -> tuple[str, str, str]:
        plural = "policyreports" if "/policyreports" in request.url.path else "clusterpolicyreports"
        return plural, request.path_params.get("ns", ""), name

    async def report(self, request: Request) -> JSONResponse:
        self._record(request)
        key = self._key(request, request.path_params["name"])
        current = self.reports.get(key)
        if current is None:
            return status(404, "NotFound", f'{key[0]}.wgpolicyk8s.io "{key[2]}" not found')
        if request.method == "GET":
            answer = JSONResponse(current)
            if self.report_edits_after_read > 0:
                self.report_edits_after_read -= 1
                self.reports[key] = self._bump(copy.deepcopy(current))
            return answer
        body = json.loads(await request.body())
        if body.get("metadata", {}).get("resourceVersion") != current["metadata"]["resourceVersion"]:
            return status(409, "Conflict", f'Operation cannot be fulfilled on {key[0]} "{key[2]}": the object has been modified')
        self.reports[key] = self._bump(body)
        return JSONResponse(self.reports[key])

    async def report_collection(self, request: Request) -> JSONResponse:
        self._record(request)
        body = json.loads(await request.body())
        key = self._key(request, body["metadata"]["name"])
        if key in self.reports:
            return status(409, "AlreadyExists", f'{key[0]} "{key[2]}" already exists')
        self.reports[key] = self._bump(body)
        return JSONResponse(self.reports[key], status_code=201)
