"""Live objects from a Kubernetes API server, for `guardrails audit`: the kinds the rules match,
listed page by page (`limit`/`continue`), and PolicyReports written back (create or update).

The `kubernetes` client comes with the `webhook` extra and is imported only here, only when an
audit runs. Lists follow the API's documented contract: items of a list carry no apiVersion or
kind (we put them back), a `continue` token that expired answers 410 Gone and the list starts
again from the beginning (a bounded number of times), a kind RBAC does not let us list is an
error for that kind, never a quiet empty list.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from guardrails.errors import ConfigError, SourceError
from guardrails.kube.resources import BUILTIN

__all__ = ["Cluster", "ClusterError", "Kind", "connect", "kinds_of"]

# The served version of each built-in group (kube/resources.py holds group and resource).
_VERSIONS = {
    "": "v1", "apps": "v1", "batch": "v1", "networking.k8s.io": "v1", "policy": "v1",
    "rbac.authorization.k8s.io": "v1", "storage.k8s.io": "v1", "scheduling.k8s.io": "v1",
    "node.k8s.io": "v1", "apiextensions.k8s.io": "v1", "admissionregistration.k8s.io": "v1",
    "autoscaling": "v2", "certificates.k8s.io": "v1", "coordination.k8s.io": "v1",
    "discovery.k8s.io": "v1", "events.k8s.io": "v1", "flowcontrol.apiserver.k8s.io": "v1",
    "apiregistration.k8s.io": "v1",
}
# Kinds that cannot be listed at all (write-only or virtual resources).
_UNLISTABLE = frozenset({"Binding", "TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview",
                         "SelfSubjectRulesReview", "LocalSubjectAccessReview", "ComponentStatus"})
RESTARTS = 3  # an expired continue token restarts a list at most this many times
REPORTS_GROUP = "wgpolicyk8s.io"
REPORTS_VERSION = "v1alpha2"


class ClusterError(SourceError):
    """The API server refused or failed a request: names the kind and the answer."""


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{base}/{self.plural}"

    @property
    def display(self) -> str:
        return f"<cluster>/{self.plural}" + (f".{self.group}" if self.group else "")


def kinds_of(names: Iterable[str]) -> tuple[list[Kind], list[str], list[str]]:
    """The listable kinds for the kind names rules match, why each other name is not listed, and
    the Terraform resource types among the names (never objects of a cluster)."""
    kinds: dict[str, Kind] = {}
    refused: list[str] = []
    terraform: list[str] = []
    for name in sorted(set(names)):
        if not name[:1].isupper() and "_" in name and "/" not in name:
            terraform.append(name)
            continue
        parts = name.split("/")
        if len(parts) == 2 and parts[0][:1].isupper():
            refused.append(f"{name}: a subresource, judged at admission only")
            continue
        kind = parts[-1]
        known = BUILTIN.get(kind)
        if known is None:
            refused.append(f"{kind}: not a built-in kind, so its resource name and version are not known (custom resources are not audited yet)")
        elif kind in _UNLISTABLE:
            refused.append(f"{kind}: the API server cannot list it")
        else:
            group, plural, namespaced = known
            kinds[kind] = Kind(kind, group, _VERSIONS.get(group, "v1"), plural, namespaced)
    return sorted(kinds.values(), key=lambda k: (k.group, k.kind)), refused, terraform


def connect(kubeconfig: str | None = None, context: str | None = None, in_cluster: bool = False) -> Cluster:
    """A client from a kubeconfig (KUBECONFIG, ~/.kube/config) or the pod's service account."""
    try:
        from kubernetes import client, config
    except ImportError:
        raise ConfigError("guardrails audit needs the Kubernetes client",
                          hint="pip install 'kube-guardrails[webhook]' (the webhook extra carries it)") from None
    try:
        if in_cluster:
            config.load_incluster_config()  # type: ignore[no-untyped-call]
            return Cluster(client.ApiClient())
        return Cluster(config.new_client_from_config(config_file=kubeconfig, context=context))  # type: ignore[no-untyped-call]
    except (config.ConfigException, OSError) as e:
        where = "--in-cluster" if in_cluster else f"kubeconfig {kubeconfig or '(default)'}"
        raise ConfigError(f"{where}: no usable Kubernetes credentials ({e})",
                          hint="give --kubeconfig FILE and --context NAME, or run in a pod with --in-cluster") from None


class Cluster:
    """Lists and writes through one `kubernetes.client.ApiClient`."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.restarts = 0  # lists restarted after an expired continue token

    def _call(self, method: str, path: str, query: list[tuple[str, Any]] | None = None, body: Any = None) -> tuple[int, Any]:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        try:
            if hasattr(self.api, "param_serialize"):  # kubernetes >= 35: serialize, then send
                method_, url, headers_, body_, _ = self.api.param_serialize(
                    method, path, query_params=query or [], header_params=headers, body=body, auth_settings=["BearerToken"])
                resp = self.api.call_api(method_, url, header_params=headers_, body=body_)
                resp.read()
                return int(resp.status), _json(resp.data)
            data, code, _ = self.api.call_api(
                path, method, query_params=query or [], body=body, header_params=headers,
                auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=False)
        except ApiException as e:
            return int(e.status), _json(e.body)
        except HTTPError as e:
            raise ClusterError(f"{method} {path}: the API server did not answer ({e})") from None
        return int(code), _json(data.data)

    def list(self, kind: Kind, limit: int = 500) -> Iterator[list[dict[str, Any]]]:
        """The kind's objects, one page at a time, each with apiVersion and kind set."""
        token = ""
        restarts = 0
        while True:
            query: list[tuple[str, Any]] = [("limit", limit)] + ([("continue", token)] if token else [])
            code, body = self._call("GET", kind.path, query)
            if code == 410 and token:
                # The token expired (etcd compacted): the documented answer is to list again.
                restarts += 1
                self.restarts += 1
                if restarts > RESTARTS:
                    raise ClusterError(f"{kind.kind}: the list's continue token expired {restarts} times in a row ({_message(body)})")
                token = ""
                yield []  # callers drop what they kept of this list: it starts again
                continue
            if code != 200:
                raise ClusterError(f"cannot list {kind.plural}" + (f".{kind.group}" if kind.group else "") + f": {code} {_message(body)}")
            items = body.get("items") or []
            yield [{"apiVersion": kind.api_version, "kind": kind.kind, **item} for item in items]
            token = (body.get("metadata") or {}).get("continue") or ""
            if not token:
                return

    def apply(self, doc: Mapping[str, Any]) -> str:
        """Create the report, or replace the one there at the resourceVersion read (a conflict reads
        again, a few times): 'created' or 'updated'."""
        meta = doc["metadata"]
        plural = "policyreports" if doc["kind"] == "PolicyReport" else "clusterpolicyreports"
        base = f"/apis/{REPORTS_GROUP}/{REPORTS_VERSION}"
        collection = f"{base}/namespaces/{meta['namespace']}/{plural}" if "namespace" in meta else f"{base}/{plural}"
        for _ in range(RESTARTS):
            code, current = self._call("GET", f"{collection}/{meta['name']}")
            if code == 404:
                code, body = self._call("POST", collection, body=dict(doc))
                if code in (200, 201):
                    return "created"
            elif code == 200:
                version = (current.get("metadata") or {}).get("resourceVersion")
                update = {**doc, "metadata": {**meta, **({"resourceVersion": version} if version else {})}}
                code, body = self._call("PUT", f"{collection}/{meta['name']}", body=update)
                if code == 200:
                    return "updated"
            else:
                body = current
            if code != 409:  # a conflict (written since our read, or created meanwhile): read again
                break
        raise ClusterError(f"cannot write {doc['kind']} {meta.get('namespace', '') and meta['namespace'] + '/'}{meta['name']}: {code} {_message(body)}")


def _json(data: Any) -> Any:
    try:
        return json.loads(data) if data else {}
    except (ValueError, TypeError):
        return {"message": str(data)[:200]}


def _message(body: Any) -> str:
    if isinstance(body, Mapping):
        return str(body.get("reason") or "") + (f": {body.get('message')}" if body.get("message") else "")
    return str(body)[:200]
