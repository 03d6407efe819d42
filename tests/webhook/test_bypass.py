"""Attacks with only a workload author's rights, against the real server: each must get a deny.

- ephemeral containers added through `pods/ephemeralcontainers` (what `kubectl debug` sends);
- a namespace selector in an exclusion over labels the webhook does not know;
- an object whose own kind / namespace / name disagree with the request's;
- an object that makes a rule raise, under --fail-mode open.
"""

from __future__ import annotations

import copy
import pathlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from guardrails.dialects.native import compile_native
from guardrails.policy.load import load_rules
from guardrails.webhook.namespaces import NamespaceLabels
from guardrails.webhook.rules import POD_SPEC_SUBRESOURCES
from tests.admission_samples import review
from tests.webhook.conftest import APIServer, ServerFactory, TLSFiles, static_store
from tests.webhook.fake_apiserver import FakeAPI

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "deploy"

NO_PRIVILEGED = {"spec": {
    "=(initContainers)": [{"=(securityContext)": {"=(privileged)": "false"}}],
    "=(ephemeralContainers)": [{"=(securityContext)": {"=(privileged)": "false"}}],
    "containers": [{"=(securityContext)": {"=(privileged)": "false"}}],
}}

KYVERNO = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-privileged}
spec:
  validationFailureAction: Enforce
  rules:
    - name: privileged-containers
      match: {any: [{resources: {kinds: [Pod]}}]}
      exclude: {any: [{resources: {namespaceSelector: {matchLabels: {tier: sandbox}}}}]}
      validate:
        message: privileged containers are not allowed
        pattern:
          spec:
            =(ephemeralContainers): [{=(securityContext): {=(privileged): "false"}}]
            =(initContainers): [{=(securityContext): {=(privileged): "false"}}]
            containers: [{=(securityContext): {=(privileged): "false"}}]
"""


def _native(**exclude: Any) -> Any:
    spec = {"action": "deny", "severity": "high", "match": {"kinds": ["Pod"]}, "pattern": NO_PRIVILEGED}
    if exclude:
        spec["exclude"] = exclude
    return compile_native("no-privileged", spec, source=None)


def _kyverno(tmp_path: pathlib.Path) -> Any:
    path = tmp_path / "policy.yaml"
    path.write_text(KYVERNO, encoding="utf-8")
    return load_rules([str(path)], builtin=False).rules


def _debug_request() -> dict[str, Any]:
    """What `kubectl debug` sends: an UPDATE of pods/ephemeralcontainers, the Pod as object.

    Built on the recorded UPDATE (uid, userInfo, UpdateOptions) and the recorded unprivileged
    Pod, with a privileged debug container added.
    """
    update = review("echo__update_accept.json")
    pod = review("kwctl__unprivileged-pod-admission-review.json")["request"]["object"]
    doc = copy.deepcopy(update)
    req = doc["request"]
    req["kind"] = {"group": "", "version": "v1", "kind": "Pod"}
    req["resource"] = {"group": "", "version": "v1", "resource": "pods"}
    req["requestKind"], req["requestResource"] = req["kind"], req["resource"]
    req["subResource"] = req["requestSubResource"] = "ephemeralcontainers"
    req["name"], req["namespace"] = pod["metadata"]["name"], "default"
    req["oldObject"] = copy.deepcopy(pod)
    new = copy.deepcopy(pod)
    new["spec"]["ephemeralContainers"] = [{
        "name": "debugger", "image": "evil.example/shell:1", "targetContainerName": "nginx",
        "securityContext": {"privileged": True},
    }]
    req["object"] = new
    return doc


def test_deploy_registers_every_pod_spec_subresource() -> None:
    config = yaml.safe_load((DEPLOY / "validatingwebhookconfiguration.yaml").read_text(encoding="utf-8"))
    resources = {r for hook in config["webhooks"] for rule in hook["rules"] for r in rule["resources"]
                 if "UPDATE" in rule["operations"]}
    assert {f"pods/{s}" for s in POD_SPEC_SUBRESOURCES} <= resources


@pytest.mark.parametrize("dialect", ["native", "kyverno"])
def test_ephemeral_container_update_is_denied(start: ServerFactory, tmp_path: pathlib.Path, dialect: str) -> None:
    rules = [_native()] if dialect == "native" else _kyverno(tmp_path)
    webhook = start(store=static_store(rules))
    doc = _debug_request()
    resp = webhook.review(doc).json()["response"]
    assert resp["uid"] == doc["request"]["uid"]
    assert resp["allowed"] is False and resp["status"]["code"] == 403
    assert "privileged" in resp["status"]["message"]
    # The same Pod without the debug container is allowed through the same sub-resource.
    doc["request"]["object"] = doc["request"]["oldObject"]
    assert webhook.review(doc).json()["response"]["allowed"] is True


def test_builtin_rules_deny_a_privileged_debug_container(start: ServerFactory) -> None:
    webhook = start(store=static_store(load_rules([], builtin=True).rules))
    resp = webhook.review(_debug_request()).json()["response"]
    assert resp["allowed"] is False
    assert "disallow-privileged-containers" in resp["status"]["message"]


# --- namespace selectors -------------------------------------------------------------------


@pytest.fixture
def api(tls_files: TLSFiles) -> Iterator[APIServer]:
    fake = FakeAPI()
    fake.set_namespace("sandbox", {"tier": "sandbox"})
    fake.set_namespace("default", {})
    server = APIServer(fake, tls_files)
    yield server
    server.stop()


@pytest.fixture
def watched(api: APIServer) -> Iterator[NamespaceLabels]:
    core = api.clients()[0]
    ns = NamespaceLabels(core, watch_seconds=1, retry_seconds=0.05).start()
    assert ns.synced.wait(10)
    yield ns
    ns.stop(wait=5)
    core.api_client.close()


def _pod_in(namespace: str) -> dict[str, Any]:
    doc = review("kwctl__privileged-pod-admission-review.json")
    doc["request"]["namespace"] = namespace
    doc["request"]["object"]["metadata"]["namespace"] = namespace
    return doc


RuleMaker = Callable[[pathlib.Path], list[Any]]
DIALECTS: dict[str, RuleMaker] = {
    "native": lambda _: [_native(namespaceSelector={"matchLabels": {"tier": "sandbox"}})],
    "kyverno": lambda tmp: list(_kyverno(tmp)),
}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_unknown_labels_never_exclude(start: ServerFactory, tmp_path: pathlib.Path, dialect: str) -> None:
    # No cluster to ask: the sandbox exclusion cannot apply, and the message says why.
    webhook = start(store=static_store(DIALECTS[dialect](tmp_path)))
    resp = webhook.review(_pod_in("sandbox")).json()["response"]
    assert resp["allowed"] is False
    assert "labels of namespace 'sandbox' unknown" in resp["status"]["message"]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_watched_labels_exclude_only_the_labelled_namespace(
    start: ServerFactory, watched: NamespaceLabels, tmp_path: pathlib.Path, dialect: str
) -> None:
    webhook = start(store=static_store(DIALECTS[dialect](tmp_path)), namespaces=watched)
    assert webhook.review(_pod_in("sandbox")).json()["response"]["allowed"] is True
    resp = webhook.review(_pod_in("default")).json()["response"]
    assert resp["allowed"] is False and "unknown" not in resp["status"]["message"]


def test_the_watch_follows_label_changes(api: APIServer, watched: NamespaceLabels) -> None:
    api.api.set_namespace("default", {"tier": "sandbox"})
    api.api.set_namespace("fresh", {"team": "a"})
    deadline = time.monotonic() + 10
    while watched._labels.get("default", {}).get("tier") != "sandbox" or "fresh" not in watched._labels:
        assert time.monotonic() < deadline, watched._labels
        time.sleep(0.02)
    api.api.delete_namespace("fresh")
    while "fresh" in watched._labels:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_410_gone_watch_lists_again(api: APIServer) -> None:
    api.api.compact()  # every watch from the list's resourceVersion is now too old
    core = api.clients()[0]
    ns = NamespaceLabels(core, watch_seconds=1, retry_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while ns.lists < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert ns.get("sandbox") == {"kubernetes.io/metadata.name": "sandbox", "tier": "sandbox"}
    finally:
        ns.stop(wait=5)
        core.api_client.close()


def test_a_namespace_the_watch_has_not_seen_is_looked_up(api: APIServer, watched: NamespaceLabels) -> None:
    watched._labels.pop("sandbox")  # as if the watch lagged behind its creation
    assert watched.get("sandbox") == {"kubernetes.io/metadata.name": "sandbox", "tier": "sandbox"}


@pytest.mark.parametrize(("fail_open", "allowed"), [(False, False), (True, True)])
def test_an_unresolvable_namespace_follows_the_fail_mode(
    start: ServerFactory, watched: NamespaceLabels, fail_open: bool, allowed: bool
) -> None:
    webhook = start(store=static_store(DIALECTS["native"](pathlib.Path())), namespaces=watched, fail_open=fail_open)
    doc = _pod_in("nowhere")  # 404 from the API server
    doc["request"]["object"]["spec"]["containers"][1]["securityContext"] = {"privileged": False}
    resp = webhook.review(doc).json()["response"]
    assert resp["allowed"] is allowed
    text = resp["status"]["message"] if not allowed else resp["warnings"][0]
    assert "the labels of namespace 'nowhere' could not be resolved" in text


def test_an_unresolvable_namespace_never_hides_a_deny(start: ServerFactory, watched: NamespaceLabels) -> None:
    webhook = start(store=static_store(DIALECTS["native"](pathlib.Path())), namespaces=watched, fail_open=True)
    resp = webhook.review(_pod_in("nowhere")).json()["response"]
    assert resp["allowed"] is False and resp["status"]["code"] == 403


# --- the request is the truth ----------------------------------------------------------------


def test_the_object_cannot_claim_an_excluded_namespace(start: ServerFactory) -> None:
    rule = compile_native("no-privileged", {
        "action": "deny", "match": {"kinds": ["Pod"], "excludeNamespaces": ["sandbox"]}, "pattern": NO_PRIVILEGED,
    }, source=None)
    webhook = start(store=static_store([rule]))
    doc = _pod_in("default")
    doc["request"]["object"]["metadata"]["namespace"] = "sandbox"  # the object lies
    assert webhook.review(doc).json()["response"]["allowed"] is False


def test_the_object_cannot_claim_another_kind(start: ServerFactory) -> None:
    webhook = start(store=static_store([_native()]))
    doc = _pod_in("default")
    doc["request"]["object"]["kind"] = "ConfigMap"  # no Pod rule would look at a ConfigMap
    doc["request"]["object"]["apiVersion"] = "v1"
    assert webhook.review(doc).json()["response"]["allowed"] is False


def test_the_object_cannot_claim_another_name(start: ServerFactory) -> None:
    rule = compile_native("no-privileged", {
        "action": "deny", "match": {"kinds": ["Pod"]}, "exclude": {"names": ["trusted-*"]}, "pattern": NO_PRIVILEGED,
    }, source=None)
    webhook = start(store=static_store([rule]))
    doc = _pod_in("default")
    doc["request"]["name"] = "nginx"
    doc["request"]["object"]["metadata"]["name"] = "trusted-debug"
    assert webhook.review(doc).json()["response"]["allowed"] is False
