"""Fast paths for the container resource templates: limits, requests and their ratios."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrails.dialects.gatekeeper.fastpaths.common import NativeFn, params
from guardrails.lang import opa
from guardrails.lang.opa import UNDEFINED, fmt, get, items, truthy


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
        p = params(parameters)
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
    p = params(parameters)
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
