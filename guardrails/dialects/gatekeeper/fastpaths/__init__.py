"""Native fast paths: library templates re-implemented in Python, proven equal to their Rego.

A template qualifies only when its Rego (and libs) hash to a version whose fast path was
checked against the library's suites (tests/dialects/gatekeeper/test_fastpaths.py), so an edited template
always runs its own code. Each path reproduces the Rego's verdicts and messages, OPA's
undefined values and set semantics included (identical messages count once).

One module per family of templates; this table names the proven Rego versions of each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from guardrails.dialects.gatekeeper.fastpaths import images, metadata, psp, resources
from guardrails.dialects.gatekeeper.fastpaths.common import NativeFn
from guardrails.dialects.gatekeeper.template import Template

__all__ = ["FAST_PATHS", "NativeFn", "compile", "fingerprint", "known", "supports"]

FAST_PATHS: dict[str, tuple[frozenset[str], Callable[[Any], NativeFn]]] = {
    "k8srequiredlabels": (frozenset({"6b7bbc4c71098544"}), metadata._required("label", "labels", True)),
    "k8srequiredannotations": (frozenset({"0f31f989be3238f3"}), metadata._required("annotation", "annotations", False)),
    "k8sallowedrepos": (frozenset({"d57e3db8ea6725ab"}), images._allowed_repos),
    "k8sdisallowedtags": (frozenset({"4882f0462f5816c4"}), images._disallowed_tags),
    "k8simagedigests": (frozenset({"f2ff68d922fda610"}), images._image_digests),
    "k8scontainerlimits": (frozenset({"8baafe1320672e9c"}), resources._bounds("limits", "limit")),
    "k8scontainerrequests": (frozenset({"c2fa25b0e03a0870"}), resources._bounds("requests", "request")),
    "k8scontainerratios": (frozenset({"3972bf1407d4f919"}), resources._ratios),
    "k8spsphostnamespace": (frozenset({"ef0c6c35106595d6"}), psp._host_namespace),
    "k8spspprivilegedcontainer": (frozenset({"9abe7adfd5683e0b"}), psp._container_rule(psp._privileged)),
    "k8spspreadonlyrootfilesystem": (frozenset({"3589cde62547810d"}), psp._container_rule(psp._read_only_root)),
    "k8spsphostprocess": (frozenset({"aea6e8e4aff8f9e0"}), psp._host_process),
    "k8spspvolumetypes": (frozenset({"9f9be35f8d48abfa"}), psp._volume_types),
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
