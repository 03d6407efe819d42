"""The built-in library's profiles: their names, what each is for, and which profiles each includes.

A built-in rule lists its profiles in `spec.profiles`; a profile named here also selects every
rule of the profiles it includes, so `restricted` is the Pod Security Standards' restricted
level on top of baseline without every baseline rule having to say so. `default` is the set a
scan always runs: profiles named by `--profile` or the settings add to it (`--profile restricted`
is the default set plus the restricted level, never the restricted rules alone, so a scan never
silently drops the seed or Terraform rules because a profile was named).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence

__all__ = ["ALL", "PROFILES", "Profile", "describe", "expand", "flag_help", "selected", "unknown"]


@dataclasses.dataclass(frozen=True, slots=True)
class Profile:
    name: str
    summary: str
    includes: tuple[str, ...] = ()


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "default",
            "What `guardrails scan` runs without --profile: the seed rules (ownership labels, approved "
            "registries, requests and limits, no latest tag), the Terraform rules that carry `default`, "
            "and the Pod Security Standards' baseline.",
            ("baseline",),
        ),
        Profile(
            "baseline",
            "Pod Security Standards, baseline level: blocks the known privilege escalations while "
            "admitting the default, minimally specified pod.",
        ),
        Profile(
            "restricted",
            "Pod Security Standards, restricted level: current pod hardening practice, on top of baseline.",
            ("baseline",),
        ),
        Profile(
            "terraform",
            "Cloud resources in Terraform plans: ownership tags, approved registries and sizes for "
            "ECS and Batch containers, S3 public access, encryption at rest and in transit, network "
            "exposure, IMDSv2, audit logging, key rotation, IAM wildcards, managed Kubernetes, "
            "registries, backups and deletion protection on AWS, Google Cloud and Azure.",
        ),
        Profile(
            "best-practices",
            "Operational hygiene: labels, registries, tags, requests and limits, probes, replicas, "
            "service exposure, namespaces and service account tokens.",
        ),
    )
}

# Every built-in rule, whatever its profiles (`--profile all`).
ALL = "all"


def expand(names: Iterable[str]) -> frozenset[str]:
    """The profiles selected by `names`, with everything they include."""
    out: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out.add(name)
        if name == ALL:
            todo.extend(PROFILES)
        elif name in PROFILES:
            todo.extend(PROFILES[name].includes)
    return frozenset(out)


def selected(names: Iterable[str] = ()) -> frozenset[str]:
    """The profiles a scan runs when `names` are asked for: the default set, plus `names`."""
    return expand(("default", *names))


def describe(chosen: frozenset[str]) -> str:
    """The profiles of `chosen` in the table's order, for a summary: "default, baseline, restricted"."""
    if ALL in chosen:
        return ALL
    return ", ".join(name for name in PROFILES if name in chosen)


def flag_help() -> str:
    """--profile's help, from the table: every profile is named, none left out."""
    return f"built-in profile added to the default set (repeatable): {', '.join([*PROFILES, ALL])}"


def unknown(names: Sequence[str]) -> tuple[str, str] | None:
    """(the first unknown profile name, a hint) or None when all are known."""
    known = [*PROFILES, ALL]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            return name, (f"did you mean {close[0]!r}?" if close else f"profiles: {', '.join(known)}")
    return None
