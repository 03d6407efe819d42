"""The Pod Security Standards, control by control, as Kubernetes' pod-security-admission judges them.

Each control finds `Item`s (one offending field each: its path inside the pod, who set it, the
value found) and describes a list of items in PSA's own words, so a whole-pod verdict reads as
PSA's (`privileged (containers "a", "b" must not set securityContext.privileged=true)`) and a
single item reads the same way for its one container (`privileged (container "a" must not ...)`).

Levels and versions follow PSA's registry: a control has versioned variants, each from a minimum
policy version on; `latest` is the newest variant of every control; the restricted level runs
the baseline controls too, minus those a restricted control overrides at that version. Pure:
the input is the pod's metadata and spec as decoded JSON; a value of the wrong type is treated
as Go's decoder would leave it (unset), since the API server would reject such an object.

`evaluate_kyverno` is the named variant Kyverno's `validate.podSecurity` runs: every control of
the level at the variant the version selects (the first variant when the version is older than
all of them), with no overrides, on Kyverno's vendored copy of PSA (controls up to v1.34).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from guardrails.model import FieldPath

__all__ = [
    "CONTROLS",
    "CONTROL_NAMES",
    "KYVERNO_CEILING",
    "LATEST",
    "LEVELS",
    "Control",
    "Item",
    "Result",
    "Version",
    "controls_for",
    "describe",
    "evaluate",
    "evaluate_kyverno",
    "parse_version",
]

Version = tuple[int, int]
LATEST: Version = (1, 1 << 30)  # newer than any named version, as PSA's `latest`
LEVELS = ("baseline", "restricted")
# The newest policy version of the PSA copy Kyverno vendors (its fork at release-1.34).
KYVERNO_CEILING: Version = (1, 34)

_VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)\Z")


def parse_version(text: str) -> Version:
    """`latest` or `v1.N`, as PSA's ParseVersion; ValueError otherwise."""
    if text in ("", "latest"):
        return LATEST
    m = _VERSION.match(text)
    if m is None:
        raise ValueError(f'version must be "latest" or "v1.x", not {text!r}')
    return (1, int(m.group(1)))


@dataclasses.dataclass(frozen=True, slots=True)
class Item:
    """One offending field. `path` is relative to the pod (`("spec", "containers", 0, ...)`);
    `setter` is who set it (a container's name, "pod", a volume's name, an annotation...);
    `group` tells the control's sentences apart; `values` are the bad values as Kyverno's
    exclusions compare them (strings); `required` marks a field that must be set and is not."""

    path: FieldPath
    setter: str
    value: Any = None
    group: str = ""
    values: tuple[str, ...] = ()
    required: bool = False
    container: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """A control that forbids the pod: PSA's reason and detail, and the items behind them."""

    check: str
    reason: str
    detail: str
    items: tuple[Item, ...]

    @property
    def message(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


Finder = Callable[[Mapping[str, Any], Mapping[str, Any]], list[Item]]
Describer = Callable[[Sequence[Item]], tuple[str, str]]


@dataclasses.dataclass(frozen=True, slots=True)
class Variant:
    minimum: Version
    find: Finder
    overrides: tuple[str, ...] = ()
    # `find` returns items only for a pod holding at least one of these map keys (at any depth):
    # what the control forbids must be written to be found. None: a control that finds fields
    # left unset, so any pod may fail it.
    keys: frozenset[str] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Control:
    id: str
    level: str
    name: str  # the control's name in the Pod Security Standards (Kyverno's controlName)
    variants: tuple[Variant, ...]
    describe: Describer

    def variant(self, version: Version, *, first_always: bool = False) -> Variant | None:
        chosen = self.variants[0] if first_always else None
        for v in self.variants:
            if v.minimum <= version:
                chosen = v
        return chosen


# --- shared helpers, as PSA's -----------------------------------------------------------------


def join_quote(items: Sequence[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def pluralize(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def go_quote(text: str) -> str:
    """Go's %q for the strings manifests hold."""
    return json.dumps(text, ensure_ascii=False)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], FieldPath, str]]:
    """(container, path, name) in PSA's order: init containers, containers, ephemeral containers."""
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(_list(spec.get(field))):
            c = _map(c)
            yield c, ("spec", field, i), _str(c.get("name"))


def _security(c: Mapping[str, Any]) -> Mapping[str, Any] | None:
    sc = c.get("securityContext")
    return sc if isinstance(sc, Mapping) else None


def _windows(spec: Mapping[str, Any]) -> bool:
    return _str(_map(spec.get("os")).get("name")) == "windows"


def _user_namespace(spec: Mapping[str, Any]) -> bool:
    return _bool(spec.get("hostUsers")) is False


def _unique(items: Sequence[Item], *, group: str | None = None) -> list[str]:
    """Setters in order of appearance, once each."""
    out: list[str] = []
    for i in items:
        if (group is None or i.group == group) and i.setter not in out:
            out.append(i.setter)
    return out


def _containers_phrase(names: Sequence[str]) -> str:
    return f"{pluralize('container', 'containers', len(names))} {join_quote(names)}"


def _setters(items: Sequence[Item], *, group: str | None = None) -> list[str]:
    """PSA's "pod and containers "a", "b"" list: the pod first, then the containers."""
    chosen = [i for i in items if group is None or i.group == group]
    out = ["pod"] if any(not i.container and i.setter == "pod" for i in chosen) else []
    names = _unique([i for i in chosen if i.container])
    if names:
        out.append(_containers_phrase(names))
    return out


def _sorted_values(items: Sequence[Item]) -> list[str]:
    return sorted({v for i in items for v in ([i.value] if isinstance(i.value, str) else list(i.value or ()))})


# --- the controls, in PSA's words ---------------------------------------------------------------


def _privilege_escalation(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for c, base, name in _containers(spec):
        sc = _security(c)
        path = (*base, "securityContext", "allowPrivilegeEscalation")
        if sc is None:
            out.append(Item(path, name, None, required=True, container=True))
        elif _bool(sc.get("allowPrivilegeEscalation")) is None:
            out.append(Item(path, name, None, values=("nil",), required=True, container=True))
        elif sc["allowPrivilegeEscalation"]:
            out.append(Item(path, name, True, values=("true",), container=True))
    return out


def _privilege_escalation_1_25(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [] if _windows(spec) else _privilege_escalation(meta, spec)


def _describe_privilege_escalation(items: Sequence[Item]) -> tuple[str, str]:
    names = _unique(items)
    return ("allowPrivilegeEscalation != false",
            f"{_containers_phrase(names)} must set securityContext.allowPrivilegeEscalation=false")


_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _apparmor(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    pod = _map(spec.get("securityContext"))
    if isinstance(pod.get("appArmorProfile"), Mapping):
        t = _str(pod["appArmorProfile"].get("type"))
        if t not in ("RuntimeDefault", "Localhost"):
            out.append(Item(("spec", "securityContext", "appArmorProfile", "type"), "pod", t, values=(t,) if t else ()))
    for c, base, name in _containers(spec):
        profile = (_security(c) or {}).get("appArmorProfile")
        if isinstance(profile, Mapping):
            t = _str(profile.get("type"))
            if t not in ("RuntimeDefault", "Localhost"):
                out.append(Item((*base, "securityContext", "appArmorProfile", "type"), name, t,
                                values=(t,) if t else (), container=True))
    for k, v in _map(meta.get("annotations")).items():
        k, v = str(k), _str(v)
        if k.startswith(_APPARMOR_PREFIX) and not (v == "" or v == "runtime/default" or v.startswith("localhost/")):
            out.append(Item(("metadata", "annotations", k), k, v, group="annotation", values=(v,) if v else ()))
    return out


def _describe_apparmor(items: Sequence[Item]) -> tuple[str, str]:
    fields = [i for i in items if i.group != "annotation"]
    notes = [i for i in items if i.group == "annotation"]
    setters = _setters(fields)
    bad = sorted({str(i.value) for i in fields})
    if notes:
        shown = sorted(f"{i.setter}={go_quote(str(i.value))}" for i in notes)
        bad += shown
        setters.append(pluralize("annotation", "annotations", len(shown)))
    reason = pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(bad))
    return reason, f"{' and '.join(setters)} must not set AppArmor profile type to {join_quote(bad)}"


_DEFAULT_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})


def _capability_list(caps: Mapping[str, Any], key: str) -> list[str]:
    return [str(c) for c in _list(caps.get(key)) if isinstance(c, str)]


def _capabilities_baseline(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for c, base, name in _containers(spec):
        caps = (_security(c) or {}).get("capabilities")
        if not isinstance(caps, Mapping):
            continue
        bad = sorted({x for x in _capability_list(caps, "add") if x not in _DEFAULT_CAPABILITIES})
        if bad:
            out.append(Item((*base, "securityContext", "capabilities", "add"), name, bad,
                            values=tuple(bad), container=True))
    return out


def _describe_capabilities_baseline(items: Sequence[Item]) -> tuple[str, str]:
    return ("non-default capabilities",
            f"{_containers_phrase(_unique(items))} must not include {join_quote(_sorted_values(items))} "
            "in securityContext.capabilities.add")


def _capabilities_restricted(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    drops, adds = [], []
    for c, base, name in _containers(spec):
        here = (*base, "securityContext", "capabilities")
        caps = (_security(c) or {}).get("capabilities")
        if not isinstance(caps, Mapping):
            drops.append(Item((*here, "drop"), name, None, group="drop", required=True, container=True))
            continue
        dropped = _capability_list(caps, "drop")
        if "ALL" not in dropped:
            if dropped:
                found = sorted(set(dropped))
                drops.append(Item((*here, "drop"), name, found, group="drop", values=tuple(found), container=True))
            else:
                drops.append(Item((*here, "drop"), name, None, group="drop", required=True, container=True))
        bad = sorted({x for x in _capability_list(caps, "add") if x != "NET_BIND_SERVICE"})
        if bad:
            adds.append(Item((*here, "add"), name, bad, group="add", values=tuple(bad), container=True))
    return drops + adds


def _capabilities_restricted_1_25(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [] if _windows(spec) else _capabilities_restricted(meta, spec)


def _describe_capabilities_restricted(items: Sequence[Item]) -> tuple[str, str]:
    details = []
    drops = _unique(items, group="drop")
    if drops:
        details.append(f'{_containers_phrase(drops)} must set securityContext.capabilities.drop=["ALL"]')
    adding = [i for i in items if i.group == "add"]
    if adding:
        details.append(f"{_containers_phrase(_unique(adding))} must not include "
                       f"{join_quote(_sorted_values(adding))} in securityContext.capabilities.add")
    return "unrestricted capabilities", "; ".join(details)


def _host_namespaces(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [Item(("spec", key), f"{key}=true", True, values=("true",))
            for key in ("hostNetwork", "hostPID", "hostIPC") if _bool(spec.get(key)) is True]


def _describe_host_namespaces(items: Sequence[Item]) -> tuple[str, str]:
    return "host namespaces", ", ".join(i.setter for i in items)


def _host_path(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for i, v in enumerate(_list(spec.get("volumes"))):
        v = _map(v)
        if v.get("hostPath") is not None:
            path = _str(_map(v.get("hostPath")).get("path"))
            out.append(Item(("spec", "volumes", i, "hostPath"), _str(v.get("name")), path, values=(path,) if path else ()))
    return out


def _describe_host_path(items: Sequence[Item]) -> tuple[str, str]:
    names = [i.setter for i in items]
    return "hostPath volumes", f"{pluralize('volume', 'volumes', len(names))} {join_quote(names)}"


def _host_ports(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for c, base, name in _containers(spec):
        for j, p in enumerate(_list(c.get("ports"))):
            port = _int(_map(p).get("hostPort"))
            if port:
                out.append(Item((*base, "ports", j, "hostPort"), name, port, values=(str(port),), container=True))
    return out


def _describe_host_ports(items: Sequence[Item]) -> tuple[str, str]:
    names = _unique(items)
    ports = sorted({str(i.value) for i in items})
    return "hostPort", (f"{_containers_phrase(names)} {pluralize('uses', 'use', len(names))} "
                        f"{pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(ports)}")


def _host_probes(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for c, base, name in _containers(spec):
        handlers: list[tuple[FieldPath, Any]] = [((*base, k), c.get(k)) for k in ("livenessProbe", "readinessProbe", "startupProbe")]
        life = _map(c.get("lifecycle"))
        handlers += [((*base, "lifecycle", k), life.get(k)) for k in ("postStart", "preStop")]
        for here, handler in handlers:
            handler = _map(handler)
            for kind in ("httpGet", "tcpSocket"):
                host = _str(_map(handler.get(kind)).get("host"))
                if handler.get(kind) is not None and host:
                    out.append(Item((*here, kind, "host"), name, host, values=(host,), container=True))
    return out


def _describe_host_probes(items: Sequence[Item]) -> tuple[str, str]:
    names = sorted(set(_unique(items)))
    hosts = sorted({str(i.value) for i in items})
    return "probe or lifecycle host", (
        f"{_containers_phrase(names)} {pluralize('uses', 'use', len(names))} "
        f"{pluralize('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} {join_quote(hosts)}")


def _privileged(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [Item((*base, "securityContext", "privileged"), name, True, values=("true",), container=True)
            for c, base, name in _containers(spec) if _bool((_security(c) or {}).get("privileged")) is True]


def _describe_privileged(items: Sequence[Item]) -> tuple[str, str]:
    return "privileged", f"{_containers_phrase(_unique(items))} must not set securityContext.privileged=true"


def _proc_mount(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for c, base, name in _containers(spec):
        sc = _security(c)
        if sc is None or sc.get("procMount") is None:
            continue
        value = _str(sc.get("procMount"))
        if value != "Default":
            out.append(Item((*base, "securityContext", "procMount"), name, value, values=(value,) if value else (),
                            container=True))
    return out


def _proc_mount_1_35(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [] if _user_namespace(spec) else _proc_mount(meta, spec)


def _describe_proc_mount(items: Sequence[Item]) -> tuple[str, str]:
    return "procMount", (f"{_containers_phrase(_unique(items))} must not set securityContext.procMount to "
                         f"{join_quote(_sorted_values(items))}")


_ALLOWED_VOLUMES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                    "persistentVolumeClaim", "projected", "secret")
_RESTRICTED_VOLUMES = ("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
                       "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
                       "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
                       "scaleIO", "storageos")


def _restricted_volumes(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for i, v in enumerate(_list(spec.get("volumes"))):
        v = _map(v)
        if any(v.get(k) is not None for k in _ALLOWED_VOLUMES):
            continue
        kind = next((k for k in _RESTRICTED_VOLUMES if v.get(k) is not None), "unknown")
        path: FieldPath = ("spec", "volumes", i, kind) if kind != "unknown" else ("spec", "volumes", i)
        out.append(Item(path, _str(v.get("name")), kind))
    return out


def _describe_restricted_volumes(items: Sequence[Item]) -> tuple[str, str]:
    names = [i.setter for i in items]
    kinds = sorted({str(i.value) for i in items})
    return "restricted volume types", (
        f"{pluralize('volume', 'volumes', len(names))} {join_quote(names)} {pluralize('uses', 'use', len(names))} "
        f"{pluralize('restricted volume type', 'restricted volume types', len(kinds))} {join_quote(kinds)}")


def _run_as_non_root(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    explicit, implicit = [], []
    pod_ok = False
    pod = _bool(_map(spec.get("securityContext")).get("runAsNonRoot"))
    if pod is False:
        explicit.append(Item(("spec", "securityContext", "runAsNonRoot"), "pod", False, group="explicit", values=("false",)))
    elif pod is True:
        pod_ok = True
    for c, base, name in _containers(spec):
        value = _bool((_security(c) or {}).get("runAsNonRoot"))
        path = (*base, "securityContext", "runAsNonRoot")
        if value is False:
            explicit.append(Item(path, name, False, group="explicit", values=("false",), container=True))
        elif value is None and not pod_ok:
            implicit.append(Item(path, name, None, group="implicit", required=True, container=True))
    # PSA names the explicit settings first and only them, when there are any.
    return explicit or implicit


def _run_as_non_root_1_35(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [] if _user_namespace(spec) else _run_as_non_root(meta, spec)


def _describe_run_as_non_root(items: Sequence[Item]) -> tuple[str, str]:
    if any(i.group == "explicit" for i in items):
        return "runAsNonRoot != true", f"{' and '.join(_setters(items, group='explicit'))} must not set securityContext.runAsNonRoot=false"
    return "runAsNonRoot != true", (f"pod or {_containers_phrase(_unique(items))} "
                                    "must set securityContext.runAsNonRoot=true")


def _run_as_user(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    if _int(_map(spec.get("securityContext")).get("runAsUser")) == 0:
        out.append(Item(("spec", "securityContext", "runAsUser"), "pod", 0, values=("0",)))
    for c, base, name in _containers(spec):
        if _int((_security(c) or {}).get("runAsUser")) == 0:
            out.append(Item((*base, "securityContext", "runAsUser"), name, 0, values=("0",), container=True))
    return out


def _run_as_user_1_35(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [] if _user_namespace(spec) else _run_as_user(meta, spec)


def _describe_run_as_user(items: Sequence[Item]) -> tuple[str, str]:
    return "runAsUser=0", f"{' and '.join(_setters(items))} must not set runAsUser=0"


_SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES_1_0 | {"container_engine_t"}


def _selinux(allowed: frozenset[str]) -> Finder:
    def find(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
        out = []

        def judge(opts: Any, base: FieldPath, setter: str, container: bool) -> None:
            if not isinstance(opts, Mapping):
                return
            t, user, role = _str(opts.get("type")), _str(opts.get("user")), _str(opts.get("role"))
            if t not in allowed:
                out.append(Item((*base, "type"), setter, t, group="type", values=(t,) if t else (), container=container))
            if user:
                out.append(Item((*base, "user"), setter, user, group="user", values=(user,), container=container))
            if role:
                out.append(Item((*base, "role"), setter, role, group="role", values=(role,), container=container))

        judge(_map(spec.get("securityContext")).get("seLinuxOptions"), ("spec", "securityContext", "seLinuxOptions"),
              "pod", False)
        for c, base, name in _containers(spec):
            judge((_security(c) or {}).get("seLinuxOptions"), (*base, "securityContext", "seLinuxOptions"), name, True)
        return out

    return find


def _describe_selinux(items: Sequence[Item]) -> tuple[str, str]:
    data = []
    types = sorted({str(i.value) for i in items if i.group == "type"})
    if types:
        data.append(f"{pluralize('type', 'types', len(types))} {join_quote(types)}")
    if any(i.group == "user" for i in items):
        data.append("user may not be set")
    if any(i.group == "role" for i in items):
        data.append("role may not be set")
    return "seLinuxOptions", f"{' and '.join(_setters(items))} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}"


_SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER = "container.seccomp.security.alpha.kubernetes.io/"


def _seccomp_annotation_ok(v: str) -> bool:
    return v in ("runtime/default", "docker/default") or v.startswith("localhost/")


def _seccomp_annotations(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    notes = _map(meta.get("annotations"))
    keys = [_SECCOMP_POD] + [_SECCOMP_CONTAINER + name for _, _, name in _containers(spec)]
    out: list[Item] = []
    for key in keys:
        if key in notes and not _seccomp_annotation_ok(_str(notes[key])) and all(i.setter != key for i in out):
            v = _str(notes[key])
            out.append(Item(("metadata", "annotations", key), key, v, group="annotation", values=(v,) if v else ()))
    return out


def _describe_seccomp_annotations(items: Sequence[Item]) -> tuple[str, str]:
    shown = sorted(f"{i.setter}={go_quote(str(i.value))}" for i in items)
    return "seccompProfile", f"forbidden {pluralize('annotation', 'annotations', len(shown))} {', '.join(shown)}"


def _seccomp_fields(restricted: bool) -> Finder:
    def find(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
        explicit, implicit = [], []
        pod_set = False
        profile = _map(spec.get("securityContext")).get("seccompProfile")
        if isinstance(profile, Mapping):
            t = _str(profile.get("type"))
            if t not in ("RuntimeDefault", "Localhost"):
                explicit.append(Item(("spec", "securityContext", "seccompProfile", "type"), "pod", t,
                                     group="explicit", values=(t,) if t else ()))
            else:
                pod_set = True
        for c, base, name in _containers(spec):
            path = (*base, "securityContext", "seccompProfile", "type")
            profile = (_security(c) or {}).get("seccompProfile")
            if isinstance(profile, Mapping):
                t = _str(profile.get("type"))
                if t not in ("RuntimeDefault", "Localhost"):
                    explicit.append(Item(path, name, t, group="explicit", values=(t,) if t else (), container=True))
            elif restricted and not pod_set:
                implicit.append(Item(path, name, None, group="implicit", required=True, container=True))
        return explicit or implicit

    return find


def _seccomp_restricted_1_25(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    return [] if _windows(spec) else _seccomp_fields(True)(meta, spec)


def _describe_seccomp(items: Sequence[Item]) -> tuple[str, str]:
    if items and all(i.group == "annotation" for i in items):
        return _describe_seccomp_annotations(items)
    if any(i.group == "explicit" for i in items):
        chosen = [i for i in items if i.group == "explicit"]
        return "seccompProfile", (f"{' and '.join(_setters(chosen))} must not set securityContext.seccompProfile.type "
                                  f"to {join_quote(sorted({str(i.value) for i in chosen}))}")
    return "seccompProfile", (f"pod or {_containers_phrase(_unique(items))} must set "
                              'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"')


_SYSCTLS_1_0 = frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                          "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"})
_SYSCTLS_1_27 = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29 = _SYSCTLS_1_27 | {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                                 "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
_SYSCTLS_1_32 = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
_SYSCTLS_1_37 = _SYSCTLS_1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def _sysctls(allowed: frozenset[str]) -> Finder:
    def find(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
        out = []
        for i, s in enumerate(_list(_map(spec.get("securityContext")).get("sysctls"))):
            name = _str(_map(s).get("name"))
            if name not in allowed:
                out.append(Item(("spec", "securityContext", "sysctls", i, "name"), name, name, values=(name,) if name else ()))
        return out

    return find


def _describe_sysctls(items: Sequence[Item]) -> tuple[str, str]:
    return "forbidden sysctls", ", ".join(i.setter for i in items)


def _host_process(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Item]:
    out = []
    for c, base, name in _containers(spec):
        if _bool(_map((_security(c) or {}).get("windowsOptions")).get("hostProcess")) is True:
            out.append(Item((*base, "securityContext", "windowsOptions", "hostProcess"), name, True,
                            values=("true",), container=True))
    if _bool(_map(_map(spec.get("securityContext")).get("windowsOptions")).get("hostProcess")) is True:
        out.insert(0, Item(("spec", "securityContext", "windowsOptions", "hostProcess"), "pod", True, values=("true",)))
    return out


def _describe_host_process(items: Sequence[Item]) -> tuple[str, str]:
    return "hostProcess", f"{' and '.join(_setters(items))} must not set securityContext.windowsOptions.hostProcess=true"


def _v(major: int, minor: int) -> Version:
    return (major, minor)


_PROC_MOUNT = frozenset({"procMount"})
_RUN_AS_USER = frozenset({"runAsUser"})
_SELINUX = frozenset({"seLinuxOptions"})
_SYSCTLS = frozenset({"sysctls"})

CONTROLS: tuple[Control, ...] = (
    Control("allowPrivilegeEscalation", "restricted", "Privilege Escalation",
            (Variant(_v(1, 8), _privilege_escalation), Variant(_v(1, 25), _privilege_escalation_1_25)),
            _describe_privilege_escalation),
    Control("appArmorProfile", "baseline", "AppArmor", (Variant(_v(1, 0), _apparmor, keys=frozenset({"appArmorProfile", "annotations"})),), _describe_apparmor),
    Control("capabilities_baseline", "baseline", "Capabilities",
            (Variant(_v(1, 0), _capabilities_baseline, keys=frozenset({"add"})),), _describe_capabilities_baseline),
    Control("capabilities_restricted", "restricted", "Capabilities",
            (Variant(_v(1, 22), _capabilities_restricted, ("capabilities_baseline",)),
             Variant(_v(1, 25), _capabilities_restricted_1_25, ("capabilities_baseline",))),
            _describe_capabilities_restricted),
    Control("hostNamespaces", "baseline", "Host Namespaces", (Variant(_v(1, 0), _host_namespaces, keys=frozenset({"hostNetwork", "hostPID", "hostIPC"})),),
            _describe_host_namespaces),
    Control("hostPathVolumes", "baseline", "HostPath Volumes", (Variant(_v(1, 0), _host_path, keys=frozenset({"hostPath"})),), _describe_host_path),
    Control("hostPorts", "baseline", "Host Ports", (Variant(_v(1, 0), _host_ports, keys=frozenset({"hostPort"})),), _describe_host_ports),
    Control("hostProbesAndHostLifecycle", "baseline", "Host Probes / Lifecycle Hooks",
            (Variant(_v(1, 34), _host_probes, keys=frozenset({"host"})),), _describe_host_probes),
    Control("privileged", "baseline", "Privileged Containers", (Variant(_v(1, 0), _privileged, keys=frozenset({"privileged"})),), _describe_privileged),
    Control("procMount", "baseline", "/proc Mount Type",
            (Variant(_v(1, 0), _proc_mount, keys=_PROC_MOUNT), Variant(_v(1, 35), _proc_mount_1_35, keys=_PROC_MOUNT)), _describe_proc_mount),
    Control("procMount_restricted", "restricted", "/proc Mount Type",
            (Variant(_v(1, 35), _proc_mount, ("procMount",), keys=_PROC_MOUNT),), _describe_proc_mount),
    Control("restrictedVolumes", "restricted", "Volume Types",
            (Variant(_v(1, 0), _restricted_volumes, ("hostPathVolumes",), keys=frozenset({"volumes"})),), _describe_restricted_volumes),
    Control("runAsNonRoot", "restricted", "Running as Non-root",
            (Variant(_v(1, 0), _run_as_non_root), Variant(_v(1, 35), _run_as_non_root_1_35)), _describe_run_as_non_root),
    Control("runAsUser", "restricted", "Running as Non-root user",
            (Variant(_v(1, 23), _run_as_user, keys=_RUN_AS_USER), Variant(_v(1, 35), _run_as_user_1_35, keys=_RUN_AS_USER)), _describe_run_as_user),
    Control("seLinuxOptions", "baseline", "SELinux",
            (Variant(_v(1, 0), _selinux(_SELINUX_TYPES_1_0), keys=_SELINUX),
             Variant(_v(1, 31), _selinux(_SELINUX_TYPES_1_31), keys=_SELINUX)),
            _describe_selinux),
    Control("seccompProfile_baseline", "baseline", "Seccomp",
            (Variant(_v(1, 0), _seccomp_annotations, keys=frozenset({"annotations"})),
             Variant(_v(1, 19), _seccomp_fields(False), keys=frozenset({"seccompProfile"}))), _describe_seccomp),
    Control("seccompProfile_restricted", "restricted", "Seccomp",
            (Variant(_v(1, 19), _seccomp_fields(True), ("seccompProfile_baseline",)),
             Variant(_v(1, 25), _seccomp_restricted_1_25, ("seccompProfile_baseline",))), _describe_seccomp),
    Control("sysctls", "baseline", "Sysctls",
            (Variant(_v(1, 0), _sysctls(_SYSCTLS_1_0), keys=_SYSCTLS),
             Variant(_v(1, 27), _sysctls(_SYSCTLS_1_27), keys=_SYSCTLS),
             Variant(_v(1, 29), _sysctls(_SYSCTLS_1_29), keys=_SYSCTLS),
             Variant(_v(1, 32), _sysctls(_SYSCTLS_1_32), keys=_SYSCTLS),
             Variant(_v(1, 37), _sysctls(_SYSCTLS_1_37), keys=_SYSCTLS)), _describe_sysctls),
    Control("windowsHostProcess", "baseline", "HostProcess", (Variant(_v(1, 0), _host_process, keys=frozenset({"hostProcess"})),),
            _describe_host_process),
)
_BY_ID = {c.id: c for c in CONTROLS}
# Control names as the Pod Security Standards (and Kyverno's `controlName`) write them -> check ids.
CONTROL_NAMES: dict[str, tuple[str, ...]] = {}
for _c in CONTROLS:
    CONTROL_NAMES[_c.name] = (*CONTROL_NAMES.get(_c.name, ()), _c.id)
# PSA runs the baseline checks first, then the restricted ones, each in id order.
_ORDER = sorted((c for c in CONTROLS if c.level == "baseline"), key=lambda c: c.id) + sorted(
    (c for c in CONTROLS if c.level == "restricted"), key=lambda c: c.id)


def describe(check: str, items: Sequence[Item]) -> Result:
    """The result PSA gives for `items` of one control (all of them, or a single one)."""
    reason, detail = _BY_ID[check].describe(items)
    return Result(check, reason, detail, tuple(items))


def controls_for(level: str, version: Version) -> list[tuple[Control, Variant]]:
    """The controls PSA runs for a level and version, with the variant each runs, in PSA's order."""
    if level not in LEVELS:
        raise ValueError(f"level must be baseline or restricted, not {level!r}")
    chosen = [(c, v) for c in _ORDER if (c.level == "baseline" or level == "restricted")
              for v in [c.variant(version)] if v is not None]
    overridden = {o for _, v in chosen for o in v.overrides} if level == "restricted" else set()
    return [(c, v) for c, v in chosen if c.id not in overridden]


def _run(pairs: Sequence[tuple[Control, Variant]], meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Result]:
    out = []
    for control, variant in pairs:
        items = variant.find(meta, spec)
        if items:
            reason, detail = control.describe(items)
            out.append(Result(control.id, reason, detail, tuple(items)))
    return out


def evaluate(level: str, version: Version, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Result]:
    """Every control that forbids the pod, as PSA's evaluator reports them."""
    return _run(controls_for(level, version), _map(meta), _map(spec))


def evaluate_kyverno(level: str, version: Version, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Result]:
    """Kyverno's selection (see the module docstring): no overrides, the first variant when the
    version predates a control, Kyverno's vendored PSA for `latest`."""
    if level not in LEVELS:
        raise ValueError(f"level must be baseline or restricted, not {level!r}")
    version = min(version, KYVERNO_CEILING)
    pairs = []
    for c in CONTROLS:  # Kyverno walks PSA's registration order (file order), not the sorted one
        if level == "baseline" and c.level != "baseline":
            continue
        if c.variants[0].minimum > KYVERNO_CEILING:
            continue  # not in Kyverno's copy of PSA
        v = c.variant(version, first_always=True)
        if v is not None:
            pairs.append((c, v))
    return _run(pairs, _map(meta), _map(spec))
