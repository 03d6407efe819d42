"""Shared runner for the Kyverno-CLI-format conformance folders (kyverno-cel/, vap/): every
suite through `guardrails test`'s Kyverno runner in strict mode, every expected check made."""

from __future__ import annotations

import collections
import datetime
import pathlib
from collections.abc import Mapping
from typing import Any

import yaml

from guardrails.ruletest import kyverno

# The evaluation time of policies that read the clock: the commit time of the kyverno-cel
# snapshot, when Kyverno's own CI judged these expectations (given as `guardrails test --now`).
NOW = datetime.datetime(2026, 3, 6, 10, 10, 3, tzinfo=datetime.UTC)


def run_suite(root: pathlib.Path, suite: dict[str, Any], excluded: Mapping[str, str] | None = None) -> None:
    """`excluded`: case name -> why Kyverno gives no answer for it either (its runner counts such
    a row as passed); each must come out "excluded", so the entry cannot go stale or hide a
    verdict."""
    path = root / suite["test"]
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    made: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    rows: list[dict[str, Any]] = []
    seen_excluded: set[str] = set()
    for doc in docs:
        result = kyverno.run_file(str(path), doc, strict=True, now=NOW)
        assert not result.errors, [e.render() for e in result.errors]
        for c in result.cases:
            if excluded and c.name in excluded:
                seen_excluded.add(c.name)
                if c.actual != "excluded":
                    wrong.append(f"{c.name}: listed as given no answer by Kyverno, got {c.actual} ({c.detail})")
            elif not c.ok:
                wrong.append(f"{c.name}: want {c.expected}, got {c.actual} ({c.detail})")
        made.update(c.expected for c in result.cases)
        rows += doc.get("results") or []
    assert not wrong, "\n".join(wrong)
    assert seen_excluded == set(excluded or ()), f"no such cases: {sorted(set(excluded or ()) - seen_excluded)}"
    for status, count in suite["results"].items():
        picked = [r for r in rows if r["result"] == status]
        assert count == len(picked)
        assert made[status] >= sum(len(r.get("resources") or [None]) for r in picked)
