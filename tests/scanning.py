"""Hand-built rules and a small repository on disk, for tests of whole scans (baselines, shards,
inline waivers) that must not depend on the check library."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable

from guardrails.model import Action, Resource, Severity, Violation
from guardrails.policy.load import RuleSet
from guardrails.rule import CompiledRule


def _team(r: Resource) -> Iterable[Violation]:
    if "team" not in r.labels:
        yield Violation(f"{r.kind} {r.name!r} has no label 'team'", ("metadata", "labels"))


def _latest(r: Resource) -> Iterable[Violation]:
    containers = r.obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
    for i, c in enumerate(containers):
        if str(c.get("image", "")).endswith(":latest"):
            yield Violation(f"container {c.get('name')!r} uses the tag 'latest'",
                            ("spec", "template", "spec", "containers", i, "image"))


RULES = RuleSet(rules=(
    CompiledRule(name="require-team", check=_team, match=lambda r: r.kind in ("Deployment", "Pod"),
                 severity=Severity.HIGH, action=Action.DENY, title="Workloads name their team",
                 remediation="Add metadata.labels.team."),
    CompiledRule(name="no-latest", check=_latest, match=lambda r: r.kind == "Deployment",
                 severity=Severity.MEDIUM, action=Action.WARN, title="Images are pinned"),
))


def deployment(name: str, *, team: str | None = None, image: str = "nginx:1.25") -> str:
    labels = f"\n  labels:\n    team: {team}" if team else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}{labels}\n"
        f"spec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: {image}\n"
    )


def make_repo(root: pathlib.Path, files: int = 24) -> pathlib.Path:
    """`files` manifests in nested folders; about half of them break a rule."""
    for i in range(files):
        d = root / f"team{i % 3}" / ("apps" if i % 2 else "jobs")
        d.mkdir(parents=True, exist_ok=True)
        team = "a" if i % 4 == 0 else None
        image = "nginx:latest" if i % 5 == 0 else "nginx:1.25"
        (d / f"svc{i}.yaml").write_text(deployment(f"svc{i}", team=team, image=image))
    return root
