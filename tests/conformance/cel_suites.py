"""Shared runner for the Kyverno-CLI-format conformance folders (kyverno-cel/, vap/): every
suite through `guardrails test`'s Kyverno runner in strict mode, every expected check made."""

from __future__ import annotations

import collections
import pathlib
from typing import Any

import yaml

from guardrails.ruletest import kyverno


def run_suite(root: pathlib.Path, suite: dict[str, Any]) -> None:
    path = root / suite["test"]
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    made: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    rows: list[dict[str, Any]] = []
    for doc in docs:
        result = kyverno.run_file(str(path), doc, strict=True)
        assert not result.errors, [e.render() for e in result.errors]
        wrong += [f"{c.name}: want {c.expected}, got {c.actual} ({c.detail})" for c in result.cases if not c.ok]
        made.update(c.expected for c in result.cases)
        rows += doc.get("results") or []
    assert not wrong, "\n".join(wrong)
    for status, count in suite["results"].items():
        picked = [r for r in rows if r["result"] == status]
        assert count == len(picked)
        assert made[status] >= sum(len(r.get("resources") or [None]) for r in picked)
