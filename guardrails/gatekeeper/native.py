"""Native fast paths: library templates re-implemented in Python, proven equal to their Rego.

A template qualifies only when its Rego (and libs) hash to a version whose fast path was
checked against the library's suites (tests/gatekeeper/test_native.py), so an edited template
always runs its own code. Each path reproduces the Rego's verdicts and messages, OPA's
undefined values and set semantics included (identical messages count once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.gatekeeper.template import Template
from guardrails.lang import opa
from guardrails.lang.opa import UNDEFINED, fmt, get, items, truthy

__all__ = ["FAST_PATHS", "compile", "fingerprint", "supports"]

NativeFn = Callable[[Mapping[str, Any]], Iterable[str]]  # review -> messages
_CONTAINER_KINDS = (("containers", "container"), ("initContainers", "initContainer"), ("ephemeralContainers", "ephemeralContainer"))


def _params(parameters: Any) -> Mapping[str, Any]:
    return parameters if isinstance(parameters, Mapping) else {}


def _required(what: str, field: str, custom_message: bool) -> Callable[[Any], NativeFn]:
    """requiredlabels / requiredannotations."""

    def build(parameters: Any) -> NativeFn:
        p = _params(parameters)
        entries = [e for e in items(p.get(field, UNDEFINED))]
        required = {e["key"] for e in entries if isinstance(e, Mapping) and "key" in e}
        message = p.get("message", UNDEFINED) if custom_message else UNDEFINED
        message = message if truthy(message) else UNDEFINED

        def check(review: Mapping[str, Any]) -> list[str]:
            out: list[tuple[str, Any]] = []
            present = get(review, "object", "metadata", what + "s")
            provided = set(present) if isinstance(present, Mapping) else set()
            missing = required - provided
            if missing:
                default = f"you must provide {'labels' if what == 'label' else 'annotation(s)'}: {fmt(missing)}"
                out.append((default if message is UNDEFINED else fmt(message), frozenset(missing)))
            if isinstance(present, Mapping):
                for key, value in present.items():
                    for e in entries:
                        if get(e, "key") != key:
                            continue
                        rx = get(e, "allowedRegex")
                        if rx is UNDEFINED or rx == "":
                            continue
                        if opa.regex_match(rx, value) is True:
                            continue
                        default = f"{what.capitalize()} <{fmt(key)}: {fmt(value)}> does not satisfy allowed regex: {fmt(rx)}"
                        out.append((default if message is UNDEFINED else fmt(message), None))
            return _unique(out)

        return check

    return build


def _unique(violations: Iterable[tuple[str, Any]]) -> list[str]:
    seen: set[tuple[str, Any]] = set()
    out = []
    for v in violations:
        if v not in seen:
            seen.add(v)
            out.append(v[0])
    return out


def _allowed_repos(parameters: Any) -> NativeFn:
    repos = _params(parameters).get("repos", UNDEFINED)
    prefixes = [repos] if isinstance(repos, str) else list(items(repos))

    def check(review: Mapping[str, Any]) -> list[str]:
        if repos is UNDEFINED:
            return []
        out = []
        for field, label in _CONTAINER_KINDS:
            for c in items(get(review, "object", "spec", field)):
                image, name = get(c, "image"), get(c, "name")
                if not isinstance(image, str) or name is UNDEFINED:
                    continue
                if any(isinstance(r, str) and image.startswith(r) for r in prefixes):
                    continue
                out.append((f"{label} <{fmt(name)}> has an invalid image repo <{image}>, allowed repos are {fmt(repos)}", None))
        return _unique(out)

    return check


def _disallowed_tags(parameters: Any) -> NativeFn:
    p = _params(parameters)
    tags = p.get("tags", UNDEFINED)
    suffixes = [":" + t for t in items(tags) if isinstance(t, str)]

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        for field, _ in _CONTAINER_KINDS:
            for c in items(get(review, "object", "spec", field)):
                if opa.is_exempt(c, p):
                    continue
                image, name = get(c, "image"), get(c, "name")
                if not isinstance(image, str) or name is UNDEFINED:
                    continue
                if tags is not UNDEFINED and any(image.endswith(s) for s in suffixes):
                    out.append((f"container <{fmt(name)}> uses a disallowed tag <{image}>; disallowed tags are {fmt(tags)}", None))
                if ":" not in image.split("/")[-1]:
                    out.append((f"container <{fmt(name)}> didn't specify an image tag <{image}>", None))
        return _unique(out)

    return check


def _image_digests(parameters: Any) -> NativeFn:
    p = _params(parameters)
    digest = "@[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        for field, label in _CONTAINER_KINDS:
            for c in items(get(review, "object", "spec", field)):
                if opa.is_exempt(c, p):
                    continue
                image, name = get(c, "image"), get(c, "name")
                if opa.regex_match(digest, image) is True or image is UNDEFINED or name is UNDEFINED:
                    continue
                out.append((f"{label} <{fmt(name)}> uses an image without a digest <{fmt(image)}>", None))
        return _unique(out)

    return check


def _missing(obj: Any, field: str) -> bool:
    v = get(obj, field)
    return not truthy(v) or v == ""


def _containers_ok(review: Mapping[str, Any], p: Mapping[str, Any]) -> Iterable[tuple[Any, Any]]:
    """(container, its name) of containers and initContainers not exempt (ephemeral ones cannot
    set resources)."""
    for field in ("containers", "initContainers"):
        for c in items(get(review, "object", "spec", field)):
            if not opa.is_exempt(c, p):
                yield c, get(c, "name")


def _bounds(section: str, noun: str) -> Callable[[Any], NativeFn]:
    """containerlimits (section limits) / containerrequests (section requests)."""

    def build(parameters: Any) -> NativeFn:
        p = _params(parameters)
        max_cpu, max_mem = p.get("cpu", UNDEFINED), p.get("memory", UNDEFINED)
        # containerlimits skips cpu when the maximum is "-1"; containerrequests has no such switch.
        cpu_on = max_cpu is not UNDEFINED and max_cpu != "-1" if section == "limits" else True
        canon_max_cpu = opa.canonify_cpu(max_cpu) if max_cpu is not UNDEFINED else UNDEFINED
        canon_max_mem = opa.canonify_mem(max_mem) if max_mem is not UNDEFINED else UNDEFINED

        def check(review: Mapping[str, Any]) -> list[str]:
            out = []
            for c, name in _containers_ok(review, p):
                if name is UNDEFINED:
                    continue
                n = fmt(name)
                res = get(c, "resources")
                sec = get(res, section)
                cpu, mem = get(sec, "cpu"), get(sec, "memory")
                if cpu_on and cpu is not UNDEFINED and opa.canonify_cpu(cpu) is UNDEFINED:
                    out.append(f"container <{n}> cpu {noun} <{fmt(cpu)}> could not be parsed")
                if mem is not UNDEFINED and opa.canonify_mem(mem) is UNDEFINED:
                    out.append(f"container <{n}> memory {noun} <{fmt(mem)}> could not be parsed")
                if not truthy(res) or not truthy(sec):
                    out.append(f"container <{n}> has no resource {section}")
                if sec is not UNDEFINED:
                    if cpu_on and _missing(sec, "cpu"):
                        out.append(f"container <{n}> has no cpu {noun}")
                    if _missing(sec, "memory"):
                        out.append(f"container <{n}> has no memory {noun}")
                ccpu = opa.canonify_cpu(cpu) if cpu is not UNDEFINED else UNDEFINED
                if ccpu is not UNDEFINED and max_cpu != "-1" and canon_max_cpu is not UNDEFINED and ccpu > canon_max_cpu:
                    out.append(f"container <{n}> cpu {noun} <{fmt(cpu)}> is higher than the maximum allowed of <{fmt(max_cpu)}>")
                cmem = opa.canonify_mem(mem) if mem is not UNDEFINED else UNDEFINED
                if cmem is not UNDEFINED and canon_max_mem is not UNDEFINED and cmem > canon_max_mem:
                    out.append(f"container <{n}> memory {noun} <{fmt(mem)}> is higher than the maximum allowed of <{fmt(max_mem)}>")
            return list(dict.fromkeys(out))

        return check

    return build


def _ratios(parameters: Any) -> NativeFn:
    p = _params(parameters)
    ratio = p.get("ratio", UNDEFINED)
    cpu_ratio = UNDEFINED if ratio is UNDEFINED else p.get("cpuRatio", ratio)

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        for c, name in _containers_ok(review, p):
            if name is UNDEFINED:
                continue
            n = fmt(name)
            res = get(c, "resources")
            lim, req = get(res, "limits"), get(res, "requests")
            for sec, noun in ((lim, "limit"), (req, "request")):
                cpu, mem = get(sec, "cpu"), get(sec, "memory")
                if cpu is not UNDEFINED and opa.canonify_cpu(cpu) is UNDEFINED:
                    out.append(f"container <{n}> cpu {noun} <{fmt(cpu)}> could not be parsed")
                if mem is not UNDEFINED and opa.canonify_mem(mem) is UNDEFINED:
                    out.append(f"container <{n}> memory {noun} <{fmt(mem)}> could not be parsed")
            if not truthy(res) or not truthy(lim):
                out.append(f"container <{n}> has no resource limits")
            if lim is not UNDEFINED:
                if _missing(lim, "cpu"):
                    out.append(f"container <{n}> has no cpu limit")
                if _missing(lim, "memory"):
                    out.append(f"container <{n}> has no memory limit")
            if not truthy(req):
                out.append(f"container <{n}> has no resource requests")
            if req is not UNDEFINED:
                if _missing(req, "cpu"):
                    out.append(f"container <{n}> has no cpu request")
                if _missing(req, "memory"):
                    out.append(f"container <{n}> has no memory request")
            for key, canon, r in (("cpu", opa.canonify_cpu, cpu_ratio), ("memory", opa.canonify_mem, ratio)):
                lo, ro = get(lim, key), get(req, key)
                if lo is UNDEFINED or ro is UNDEFINED or r is UNDEFINED:
                    continue
                lv, rv, k = canon(lo), canon(ro), opa.to_number(r)
                if UNDEFINED in (lv, rv, k):
                    continue
                if lv > k * rv:
                    out.append(f"container <{n}> {key} limit <{fmt(lo)}> is higher than the maximum allowed ratio of <{fmt(r)}>")
        return list(dict.fromkeys(out))

    return check


def _is_update(review: Mapping[str, Any]) -> bool:
    return bool(get(review, "operation") == "UPDATE")


def _pod_containers(review: Mapping[str, Any]) -> list[Any]:
    """`input_containers`, a set: identical containers count once."""
    out: list[Any] = []
    for field, _ in _CONTAINER_KINDS:
        for c in items(get(review, "object", "spec", field)):
            if c not in out:
                out.append(c)
    return out


def _host_namespace(parameters: Any) -> NativeFn:
    def check(review: Mapping[str, Any]) -> list[str]:
        obj = get(review, "object")
        name = get(obj, "metadata", "name")
        if _is_update(review) or name is UNDEFINED:
            return []
        if truthy(get(obj, "spec", "hostPID")) or truthy(get(obj, "spec", "hostIPC")):
            return [f"Sharing the host namespace is not allowed: {fmt(name)}"]
        return []

    return check


def _container_rule(message: Callable[[Any], str | None]) -> Callable[[Any], NativeFn]:
    """PSP templates judging each container (not exempt) on its own, skipping UPDATE."""

    def build(parameters: Any) -> NativeFn:
        p = _params(parameters)

        def check(review: Mapping[str, Any]) -> list[str]:
            if _is_update(review):
                return []
            out = []
            for c in _pod_containers(review):
                if opa.is_exempt(c, p):
                    continue
                m = message(c)
                if m is not None:
                    out.append(m)
            return list(dict.fromkeys(out))

        return check

    return build


def _privileged(c: Any) -> str | None:
    name, sc = get(c, "name"), get(c, "securityContext")
    if name is UNDEFINED or not truthy(get(sc, "privileged")):
        return None
    return f"Privileged container is not allowed: {fmt(name)}, securityContext: {fmt(sc)}"


def _read_only_root(c: Any) -> str | None:
    name = get(c, "name")
    if name is UNDEFINED or get(c, "securityContext", "readOnlyRootFilesystem") is True:
        return None
    return f"only read-only root filesystem container is allowed: {fmt(name)}"


def _host_process_container(c: Any) -> str | None:
    name = get(c, "name")
    if name is UNDEFINED or get(c, "securityContext", "windowsOptions", "hostProcess") is not True:
        return None
    return f"HostProcess container is not allowed: {fmt(name)}, securityContext.windowsOptions.hostProcess: true"


def _host_process(parameters: Any) -> NativeFn:
    containers = _container_rule(_host_process_container)(parameters)

    def check(review: Mapping[str, Any]) -> list[str]:
        out = []
        name = get(review, "object", "metadata", "name")
        pod_level = get(review, "object", "spec", "securityContext", "windowsOptions", "hostProcess")
        if not _is_update(review) and pod_level is True and name is not UNDEFINED:
            out.append(f"HostProcess is not allowed at pod level: {fmt(name)}")
        return out + list(containers(review))

    return check


def _volume_types(parameters: Any) -> NativeFn:
    allowed = _params(parameters).get("volumes", UNDEFINED)
    allowed_set = list(items(allowed))

    def check(review: Mapping[str, Any]) -> list[str]:
        name = get(review, "object", "metadata", "name")
        if _is_update(review) or name is UNDEFINED or allowed is UNDEFINED or "*" in allowed_set:
            return []
        fields: set[str] = set()
        for vol in items(get(review, "object", "spec", "volumes")):
            if isinstance(vol, Mapping):
                fields.update(k for k, v in vol.items() if k != "name" and truthy(v))
        return [
            f"The volume type {fmt(f)} is not allowed, pod: {fmt(name)}. Allowed volume types: {fmt(allowed)}"
            for f in sorted(fields)
            if f not in allowed_set
        ]

    return check


# template name -> (fingerprints of the proven Rego versions, compile(parameters) -> NativeFn)
FAST_PATHS: dict[str, tuple[frozenset[str], Callable[[Any], NativeFn]]] = {
    "k8srequiredlabels": (frozenset({"6b7bbc4c71098544"}), _required("label", "labels", True)),
    "k8srequiredannotations": (frozenset({"0f31f989be3238f3"}), _required("annotation", "annotations", False)),
    "k8sallowedrepos": (frozenset({"d57e3db8ea6725ab"}), _allowed_repos),
    "k8sdisallowedtags": (frozenset({"4882f0462f5816c4"}), _disallowed_tags),
    "k8simagedigests": (frozenset({"f2ff68d922fda610"}), _image_digests),
    "k8scontainerlimits": (frozenset({"8baafe1320672e9c"}), _bounds("limits", "limit")),
    "k8scontainerrequests": (frozenset({"c2fa25b0e03a0870"}), _bounds("requests", "request")),
    "k8scontainerratios": (frozenset({"3972bf1407d4f919"}), _ratios),
    "k8spsphostnamespace": (frozenset({"ef0c6c35106595d6"}), _host_namespace),
    "k8spspprivilegedcontainer": (frozenset({"9abe7adfd5683e0b"}), _container_rule(_privileged)),
    "k8spspreadonlyrootfilesystem": (frozenset({"3589cde62547810d"}), _container_rule(_read_only_root)),
    "k8spsphostprocess": (frozenset({"aea6e8e4aff8f9e0"}), _host_process),
    "k8spspvolumetypes": (frozenset({"9f9be35f8d48abfa"}), _volume_types),
}


def fingerprint(template: Template) -> str:
    h = hashlib.sha256()
    for part in (template.rego or "", *template.libs):
        h.update(part.strip().encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def known(template: Template) -> bool:
    """A fast path exists for the template's name (whatever its version)."""
    return template.name in FAST_PATHS


def supports(template: Template, parameters: Any) -> bool:
    entry = FAST_PATHS.get(template.name)
    return entry is not None and fingerprint(template) in entry[0]


def compile(template: Template, parameters: Any) -> NativeFn:
    return FAST_PATHS[template.name][1](parameters)
