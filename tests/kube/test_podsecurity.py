"""The Pod Security Standards as pod-security-admission judges them: messages in PSA's words,
every control's versions, restricted overriding baseline, Kyverno's selection beside PSA's."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.kube import podsecurity as pss

C = {"name": "web", "image": "nginx:1"}


def spec(**fields: Any) -> dict[str, Any]:
    return {"containers": [dict(C)], **fields}


def sc(**fields: Any) -> dict[str, Any]:
    return {"containers": [{**C, "securityContext": fields}]}


HARDENED = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{**C, "securityContext": {"allowPrivilegeEscalation": False,
                                                     "capabilities": {"drop": ["ALL"]}}}]}

# (level, version, metadata, spec) -> PSA's aggregated messages, in PSA's order.
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("baseline", "latest", {}, spec(), []),
    ("baseline", "latest", {}, sc(privileged=True),
     ['privileged (container "web" must not set securityContext.privileged=true)']),
    ("baseline", "latest", {}, spec(hostNetwork=True, hostPID=True, hostIPC=True),
     ["host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"]),
    ("baseline", "latest", {}, {"containers": [{**C, "ports": [{"hostPort": 80}, {"hostPort": 443}]},
                                               {"name": "b", "ports": [{"hostPort": 80}]}]},
     ['hostPort (containers "web", "b" use hostPorts 443, 80)']),
    ("baseline", "latest", {}, sc(capabilities={"add": ["SYS_ADMIN", "NET_RAW", "CHOWN"]}),
     ['non-default capabilities (container "web" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)']),
    ("baseline", "latest", {}, spec(volumes=[{"name": "etc", "hostPath": {"path": "/etc"}}]),
     ['hostPath volumes (volume "etc")']),
    ("baseline", "latest", {}, sc(procMount="Unmasked"),
     ['procMount (container "web" must not set securityContext.procMount to "Unmasked")']),
    ("baseline", "latest", {}, {**sc(procMount="Unmasked"), "hostUsers": False}, []),  # 1.35: user namespaces
    ("baseline", "v1.34", {}, {**sc(procMount="Unmasked"), "hostUsers": False},
     ['procMount (container "web" must not set securityContext.procMount to "Unmasked")']),
    ("baseline", "latest", {"annotations": {"container.apparmor.security.beta.kubernetes.io/web": "unconfined",
                                            "container.apparmor.security.beta.kubernetes.io/b": "localhost/x"}},
     spec(), ['forbidden AppArmor profile (annotation must not set AppArmor profile type to '
              '"container.apparmor.security.beta.kubernetes.io/web="unconfined"")']),
    ("baseline", "latest", {}, {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, **sc(appArmorProfile={"type": "Unconfined"})},
     ['forbidden AppArmor profile (pod and container "web" must not set AppArmor profile type to "Unconfined")']),
    ("baseline", "latest", {}, {"securityContext": {"seLinuxOptions": {"type": "spc_t", "user": "u"}}, "containers": [C]},
     ['seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)']),
    ("baseline", "latest", {}, sc(seLinuxOptions={"type": "container_engine_t"}), []),
    ("baseline", "v1.30", {}, sc(seLinuxOptions={"type": "container_engine_t"}),
     ['seLinuxOptions (container "web" set forbidden securityContext.seLinuxOptions: type "container_engine_t")']),
    ("baseline", "latest", {}, {"securityContext": {"sysctls": [{"name": "kernel.msgmax"}, {"name": "net.ipv4.tcp_rmem"}]},
                                "containers": [C]}, ["forbidden sysctls (kernel.msgmax)"]),
    ("baseline", "v1.31", {}, {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem"}]}, "containers": [C]},
     ["forbidden sysctls (net.ipv4.tcp_rmem)"]),
    ("baseline", "latest", {}, sc(seccompProfile={"type": "Unconfined"}),
     ['seccompProfile (container "web" must not set securityContext.seccompProfile.type to "Unconfined")']),
    ("baseline", "v1.18", {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}, spec(),
     ['seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")']),
    ("baseline", "latest", {}, {"containers": [{**C, "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}]},
     ['probe or lifecycle host (container "web" uses probe or lifecycle host "10.0.0.1")']),
    ("baseline", "v1.33", {}, {"containers": [{**C, "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}]}, []),
    ("baseline", "latest", {}, {"securityContext": {"windowsOptions": {"hostProcess": True}}, "containers": [C]},
     ["hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"]),
    ("restricted", "latest", {}, HARDENED, []),
    ("restricted", "latest", {}, spec(),
     ['allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"])',
      'runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true)',
      'seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")']),
    # restricted overrides the baseline capabilities, hostPath and seccomp controls
    ("restricted", "latest", {}, {**HARDENED, "volumes": [{"name": "etc", "hostPath": {"path": "/etc"}}]},
     ['restricted volume types (volume "etc" uses restricted volume type "hostPath")']),
    ("restricted", "latest", {}, {**HARDENED, "securityContext": {"runAsNonRoot": False, "seccompProfile": {"type": "RuntimeDefault"}}},
     ["runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)"]),
    ("restricted", "latest", {}, {**HARDENED, "hostUsers": False, "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}},
     []),
    ("restricted", "v1.34", {}, {**HARDENED, "securityContext": {"runAsNonRoot": True, "runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}},
     ["runAsUser=0 (pod must not set runAsUser=0)"]),
    ("restricted", "latest", {}, {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True}, "containers": [C]}, []),
    ("restricted", "v1.24", {}, {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}, "containers": [C]},
     ['allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"])']),
    # values of the wrong type are unset, as Go's decoder leaves them (the API server rejects them)
    ("baseline", "latest", {}, sc(privileged="true"), []),
]


@pytest.mark.parametrize(("level", "version", "meta", "pod", "want"), CASES)
def test_psa_messages(level: str, version: str, meta: dict[str, Any], pod: dict[str, Any], want: list[str]) -> None:
    got = [r.message for r in pss.evaluate(level, pss.parse_version(version), meta, pod)]
    assert got == want


def test_every_item_reads_alone_for_its_container() -> None:
    pod = {"containers": [{**C, "securityContext": {"privileged": True}}, {"name": "b", "securityContext": {"privileged": True}}]}
    (result,) = pss.evaluate("baseline", pss.LATEST, {}, pod)
    assert [pss.describe(result.check, [i]).message for i in result.items] == [
        'privileged (container "web" must not set securityContext.privileged=true)',
        'privileged (container "b" must not set securityContext.privileged=true)',
    ]
    assert [i.path for i in result.items] == [("spec", "containers", 0, "securityContext", "privileged"),
                                              ("spec", "containers", 1, "securityContext", "privileged")]


def test_versions_and_overrides() -> None:
    ids = [c.id for c, _ in pss.controls_for("restricted", pss.LATEST)]
    assert "capabilities_baseline" not in ids and "hostPathVolumes" not in ids and "procMount" not in ids
    assert "seccompProfile_baseline" not in ids and "procMount_restricted" in ids
    old = [c.id for c, _ in pss.controls_for("restricted", (1, 21))]
    assert "capabilities_baseline" in old and "capabilities_restricted" not in old and "runAsUser" not in old
    assert pss.parse_version("v1.99") == (1, 99)
    for bad in ("1.25", "v2.0", "v1.025", "newest"):
        with pytest.raises(ValueError):
            pss.parse_version(bad)


def test_kyverno_runs_every_control_without_overrides() -> None:
    pod = sc(capabilities={"add": ["SYS_ADMIN"]})
    psa = [r.check for r in pss.evaluate("restricted", pss.LATEST, {}, pod)]
    kyverno = [r.check for r in pss.evaluate_kyverno("restricted", pss.LATEST, {}, pod)]
    assert "capabilities_baseline" not in psa and "capabilities_baseline" in kyverno
    # Kyverno's copy of PSA stops at v1.34: no 1.35 restricted procMount control
    assert all(r.check != "procMount_restricted" for r in pss.evaluate_kyverno("restricted", pss.LATEST, {}, sc(procMount="Unmasked")))


def _all_keys(value: Any) -> set[Any]:
    if isinstance(value, dict):
        return set(value).union(*(_all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_all_keys(v) for v in value))
    return set()


def test_a_variant_finds_nothing_without_its_keys() -> None:
    """The engine skips a Pod Security check on a pod holding none of its variants' keys
    (Variant.keys): every variant that declares keys, on every case pod here that it faults,
    finds its fault only where one of those keys is written."""
    pods = [(meta, pod) for _, _, meta, pod, _ in CASES]
    faulted = 0
    for control in pss.CONTROLS:
        for variant in control.variants:
            if variant.keys is None:
                continue
            for meta, pod in pods:
                if variant.find(meta, pod):
                    faulted += 1
                    assert variant.keys & (_all_keys(meta) | _all_keys(pod)), (control.id, variant.minimum, pod)
    assert faulted >= 15, "the cases fault too few controls to check their keys"
