"""The native `podSecurity` check: one finding per offending field, in PSA's words, at the
field in every pod-bearing kind; controls, fields, exclusions and PSA's exemptions."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks.podsecurity import POD_SECURITY
from guardrails.errors import ParamError
from guardrails.model import Origin, Resource
from tests.checks.conftest import Workload, run_check, run_engine

BASELINE = {"level": "baseline"}
C = {"name": "web", "image": "nginx:1"}


def test_three_host_namespaces_are_three_findings(workload: Workload) -> None:
    obj = workload.build({"hostNetwork": True, "hostPID": True, "hostIPC": True, "containers": [C]})
    got = run_engine("podSecurity", BASELINE, obj, ["Pod"])
    assert got == [(f"host namespaces ({k}=true)", workload.at(("spec", k))) for k in ("hostNetwork", "hostPID", "hostIPC")]


def test_every_container_is_its_own_finding(workload: Workload) -> None:
    obj = workload.build({"initContainers": [{"name": "init", "securityContext": {"privileged": True}}],
                          "containers": [{**C, "securityContext": {"privileged": True}}]})
    got = run_engine("podSecurity", BASELINE, obj, ["Pod"])
    assert got == [
        ('privileged (container "init" must not set securityContext.privileged=true)',
         workload.at(("spec", "initContainers", 0, "securityContext", "privileged"))),
        ('privileged (container "web" must not set securityContext.privileged=true)',
         workload.at(("spec", "containers", 0, "securityContext", "privileged"))),
    ]


def test_every_apparmor_annotation_is_judged() -> None:
    notes = {f"container.apparmor.security.beta.kubernetes.io/{n}": v
             for n, v in (("a", "runtime/default"), ("b", "unconfined"), ("c", "localhost/p"), ("d", "bad"))}
    obj = {"kind": "Pod", "metadata": {"name": "p", "annotations": notes}, "spec": {"containers": [C]}}
    got = run_check(POD_SECURITY, {**BASELINE, "controls": ["AppArmor"], "fields": ["metadata.annotations*"]}, obj)
    assert [p[-1] for _, p in got] == ["container.apparmor.security.beta.kubernetes.io/b",
                                      "container.apparmor.security.beta.kubernetes.io/d"]


def test_restricted_reports_missing_fields_at_their_place() -> None:
    obj = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [C]}}
    got = run_check(POD_SECURITY, {"level": "restricted", "controls": ["runAsNonRoot"]}, obj)
    assert got == [('runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true)',
                    ("spec", "containers", 0, "securityContext", "runAsNonRoot"))]


@pytest.mark.parametrize(
    ("params", "count"),
    [({}, 2),
     ({"exclude": [{"controlName": "Capabilities"}]}, 1),
     ({"exclude": [{"controlName": "Capabilities", "images": ["nginx*"]}]}, 1),
     ({"exclude": [{"controlName": "Capabilities", "images": ["redis*"]}]}, 2),
     ({"exclude": [{"controlName": "Capabilities", "values": ["SYS_*"]}]}, 1),
     ({"exclude": [{"controlName": "Capabilities", "values": ["NET_*"]}]}, 2),
     ({"exclude": [{"controlName": "Capabilities", "restrictedField": "spec.containers[*].securityContext.capabilities.add"}]}, 1),
     ({"exclude": [{"controlName": "Host Namespaces"}]}, 1),
     ({"exemptions": {"namespaces": ["ops"]}}, 0),
     ({"exemptions": {"runtimeClasses": ["gvisor"]}}, 0),
     ({"exemptions": {"usernames": ["admin"]}}, 0),
     ({"controls": ["hostNamespaces"]}, 1)],
)
def test_exclusions_and_exemptions(params: dict[str, Any], count: int) -> None:
    obj = {"kind": "Pod", "metadata": {"name": "p", "namespace": "ops"},
           "spec": {"hostPID": True, "runtimeClassName": "gvisor",
                    "containers": [{**C, "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}}
    fn = POD_SECURITY.compile({**BASELINE, **params})
    got = list(fn(Resource(obj, Origin("t"), request={"userInfo": {"username": "admin"}})))
    assert len(got) == count, got


@pytest.mark.parametrize(
    ("params", "where"),
    [({"level": "privileged"}, ("level",)),
     ({"level": "baseline", "version": "1.25"}, ("version",)),
     ({"level": "baseline", "controls": ["Nope"]}, ("controls", 0)),
     ({"level": "baseline", "exclude": [{"controlName": "Nope"}]}, ("exclude", 0, "controlName"))],
)
def test_bad_params_name_their_field(params: dict[str, Any], where: tuple[Any, ...]) -> None:
    with pytest.raises(ParamError) as e:
        POD_SECURITY.compile(params)
    assert e.value.path == where
