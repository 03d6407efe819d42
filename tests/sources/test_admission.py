"""AdmissionReview -> request and Resource: every recorded sample decodes; junk is a SourceError."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from guardrails import SourceError
from guardrails.kube.objects import unset_nulls
from guardrails.sources.admission import parse_review
from tests import shared
from tests.admission_samples import NAMES, review

# sample -> (operation, kind, namespace, dry_run, kind of the judged object or None)
EXPECTED = {
    "capabilities-psp-policy__panic.json": ("CREATE", "Pod", "kubewarden", False, "Pod"),
    "disallow-service-loadbalancer-policy__service_loadbalancer.json": ("CREATE", "Service", "default", False, "Service"),
    "echo__create_accept.json": ("CREATE", "Deployment", "default", False, "Deployment"),
    "echo__delete_accept.json": ("DELETE", "Deployment", "default", False, "Deployment"),
    "echo__update_accept.json": ("UPDATE", "Deployment", "default", False, "Deployment"),
    # The object says CustomType; the request's kind is the truth.
    "kubernetes__admission.k8s.io.v1.AdmissionReview.json": ("operationValue", "kindValue", "namespaceValue", True, "kindValue"),
    "kubernetes__admission.k8s.io.v1beta1.AdmissionReview.json": ("operationValue", "kindValue", "namespaceValue", True, "kindValue"),
    "kwctl__privileged-pod-admission-review.json": ("CREATE", "Pod", "default", False, "Pod"),
    "kwctl__unprivileged-pod-admission-review.json": ("CREATE", "Pod", "default", False, "Pod"),
    "persistentvolumeclaim-storageclass-policy__pvc-fast-storage-class-request.json": ("CREATE", "PersistentVolumeClaim", "default", False, "PersistentVolumeClaim"),
    "pod-privileged-policy__privileged_init_container.json": ("CREATE", "Pod", "default", False, "Pod"),
    "pod-runtime-class-policy__PodDeleteRequest.json": ("DELETE", "Pod", "default", False, "Pod"),
    "policy-server__deployment_admission_review.json": ("CREATE", "Deployment", "customer-1", False, "Deployment"),
    "user-group-psp-policy__cronjob_root_user.json": ("CREATE", "CronJob", "default", False, "CronJob"),
    "user-group-psp-policy__statefulset_root_user.json": ("CREATE", "StatefulSet", "default", False, "StatefulSet"),
}


def test_every_sample_has_an_expectation() -> None:
    shared.require("admission")
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_recorded_samples_decode(name: str) -> None:
    doc = review(name)
    req = parse_review(doc)
    op, kind, ns, dry, judged = EXPECTED[name]
    assert (req.operation, req.kind, req.namespace, req.dry_run) == (op, kind, ns, dry)
    assert req.uid == doc["request"]["uid"]
    assert req.api_version == doc["apiVersion"]
    res = req.resource()
    key = "oldObject" if op == "DELETE" else "object"
    assert res is not None and res.kind == judged
    # The request as sent, its objects read as the API server stores them (nulls unset).
    assert res.request is not None
    for field in doc["request"]:
        want = unset_nulls(doc["request"][field]) if field in ("object", "oldObject") else doc["request"][field]
        assert res.request[field] == want
    # The request's namespace, name and kind are written over the object's own copy of them.
    assert res.namespace == ns
    assert not doc["request"].get("name") or res.name == doc["request"]["name"]
    gvk = doc["request"]["kind"]
    assert res.api_version == (f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"])
    assert key in doc["request"]


def test_delete_judges_the_old_object() -> None:
    req = parse_review(review("echo__delete_accept.json"))
    res = req.resource()
    assert res is not None
    assert res.obj is not None and res.obj["metadata"]["name"] == "nginx"
    assert res.old_obj == unset_nulls(req.old_object)
    assert res.operation == "DELETE"


def test_generate_name_pod_gets_the_request_namespace() -> None:
    doc = review("capabilities-psp-policy__panic.json")
    assert "namespace" not in doc["request"]["object"]["metadata"]
    res = parse_review(doc).resource()
    assert res is not None and res.namespace == "kubewarden"
    assert "namespace" not in doc["request"]["object"]["metadata"]  # the review is not modified


def test_v1beta1_is_accepted_and_remembered() -> None:
    req = parse_review(review("echo__create_accept.json", api_version="admission.k8s.io/v1beta1"))
    assert req.api_version == "admission.k8s.io/v1beta1"


# A whole, valid review written here (not a ../shared sample), so these cases run on any clone.
_VALID = {
    "apiVersion": "admission.k8s.io/v1",
    "kind": "AdmissionReview",
    "request": {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE",
        "namespace": "default",
        "name": "nginx",
        "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx"}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}},
        "oldObject": None,
        "dryRun": False,
    },
}


def _base() -> dict[str, Any]:
    return copy.deepcopy(_VALID)


def _set(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    doc = _base()
    cur: Any = doc
    for step in path[:-1]:
        cur = cur[step]
    if value is _DELETE:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return doc


_DELETE = object()

JUNK = [
    ("a list", [1, 2], "body must be a JSON object (an AdmissionReview), got a list"),
    ("a string", "hello", "body must be a JSON object (an AdmissionReview), got a string"),
    ("wrong kind", _set(("kind",), "Pod"), "kind must be 'AdmissionReview', got 'Pod'"),
    ("no apiVersion", _set(("apiVersion",), _DELETE), "apiVersion must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1, got None"),
    ("v2", _set(("apiVersion",), "admission.k8s.io/v2"), "got 'admission.k8s.io/v2'"),
    ("no request", _set(("request",), _DELETE), "request must be an object, got nothing"),
    ("request list", _set(("request",), []), "request must be an object, got a list"),
    ("no uid", _set(("request", "uid"), _DELETE), "request.uid must be a non-empty string, got nothing"),
    ("empty uid", _set(("request", "uid"), ""), "request.uid must be a non-empty string, got an empty string"),
    ("numeric uid", _set(("request", "uid"), 7), "request.uid must be a non-empty string, got a number"),
    ("no operation", _set(("request", "operation"), _DELETE), "request.operation must be a non-empty string"),
    ("kind string", _set(("request", "kind"), "Pod"), "request.kind must be an object with a string 'kind'"),
    ("object list", _set(("request", "object"), [1]), "request.object must be an object or null, got a list"),
    ("create without object", _set(("request", "object"), None), "request.object is required for CREATE"),
    ("oldObject string", _set(("request", "oldObject"), "x"), "request.oldObject must be an object or null, got a string"),
    ("dryRun string", _set(("request", "dryRun"), "yes"), "request.dryRun must be a boolean, got a string"),
]


@pytest.mark.parametrize(("doc", "message"), [(d, m) for _, d, m in JUNK], ids=[i for i, _, _ in JUNK])
def test_junk_is_a_source_error(doc: Any, message: str) -> None:
    with pytest.raises(SourceError) as err:
        parse_review(doc)
    assert message in err.value.message
    assert "\n" not in err.value.render()


def test_nulls_in_the_object_are_unset_as_a_scan_reads_them() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a", "labels": None},
           "spec": {"securityContext": None, "containers": [{"name": "c", "image": "x", "securityContext": None}]}}
    req = parse_review({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "UPDATE", "namespace": "a",
        "name": "p", "object": obj, "oldObject": copy.deepcopy(obj)}})
    res = req.resource()
    assert res is not None and res.request is not None
    want = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
            "spec": {"containers": [{"name": "c", "image": "x"}]}}
    assert res.obj == want and res.old_obj == want
    assert res.request["object"] == want and res.request["oldObject"] == want
    assert obj["spec"]["securityContext"] is None  # the review itself is left as it came
