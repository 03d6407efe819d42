"""Rules hot reload: the folder is watched, a good change is picked up, a bad one keeps the last
good rule set and is reported with file and line (RuleStore alone, then the real server)."""

from __future__ import annotations

import os
import pathlib
import time

import pytest

from guardrails.webhook.rules import RuleStore
from tests.admission_samples import review
from tests.webhook.conftest import ServerFactory

TEAM = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata:
  name: require-team
spec:
  title: Workloads carry a team label
  severity: high
  action: {action}
  match:
    kinds: [Deployment]
  requiredLabels:
    - team
"""
BROKEN = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata:
  name: broken
spec:
  severity: urgent
  requiredLabels: [team]
"""


def _write(path: pathlib.Path, text: str) -> None:
    # A new inode and a distinct mtime, as a ConfigMap update or an editor's save gives.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def folder(tmp_path: pathlib.Path) -> pathlib.Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    _write(rules / "team.yaml", TEAM.format(action="deny"))
    return rules


def test_load_and_refresh(folder: pathlib.Path) -> None:
    store = RuleStore([str(folder)], builtin=False)
    store.load()
    assert store.book is not None and [r.name for r in store.book.rules] == ["require-team"]
    assert store.refresh() is None
    _write(folder / "team.yaml", TEAM.format(action="warn"))
    assert store.refresh() is True
    assert store.book.rules[0].action.value == "warn"


def test_bad_reload_keeps_the_last_good_set(folder: pathlib.Path) -> None:
    store = RuleStore([str(folder)], builtin=False)
    store.load()
    good = store.book
    _write(folder / "broken.yaml", BROKEN)
    assert store.refresh() is False
    assert store.book is good
    assert store.error is not None and f"{folder / 'broken.yaml'}:6:" in store.error
    assert store.reload_errors == 1
    assert store.refresh() is None  # the same broken files are not retried on every look
    (folder / "broken.yaml").unlink()
    assert store.refresh() is True and store.error is None


def test_configmap_symlink_swap_is_seen(tmp_path: pathlib.Path) -> None:
    # A ConfigMap volume: files are links through `..data`, which is swapped atomically.
    mount = tmp_path / "mount"
    mount.mkdir()
    v1, v2 = mount / "..v1", mount / "..v2"
    v1.mkdir()
    v2.mkdir()
    (v1 / "team.yaml").write_text(TEAM.format(action="deny"))
    (v2 / "team.yaml").write_text(TEAM.format(action="audit"))
    (mount / "..data").symlink_to("..v1")
    (mount / "team.yaml").symlink_to("..data/team.yaml")
    store = RuleStore([str(mount)], builtin=False)
    store.load()
    assert store.book is not None and store.book.rules[0].action.value == "deny"
    tmp_link = mount / "..data_tmp"
    tmp_link.symlink_to("..v2")
    tmp_link.replace(mount / "..data")
    assert store.refresh() is True
    assert store.book.rules[0].action.value == "audit"
    assert len(store.book.rules) == 1  # the hidden `..v1`/`..v2` folders are not read twice


def _wait(pred: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_server_hot_reload_good_and_bad(start: ServerFactory, folder: pathlib.Path) -> None:
    running = start(store=RuleStore([str(folder)], builtin=False))
    doc = review("policy-server__deployment_admission_review.json")

    def decision() -> dict[str, object]:
        return running.review(doc).json()["response"]  # type: ignore[no-any-return]

    assert decision()["allowed"] is False
    _write(folder / "team.yaml", TEAM.format(action="warn"))
    _wait(lambda: decision()["allowed"] is True)
    assert str(decision()["warnings"]).startswith("['require-team: ")

    _write(folder / "team.yaml", TEAM.format(action="deny"))
    _write(folder / "broken.yaml", BROKEN)
    _wait(lambda: running.client.get("/readyz").json()["rules_error"] is not None)
    ready = running.client.get("/readyz")
    assert ready.status_code == 200  # the last good set still serves
    assert f"{folder / 'broken.yaml'}:6:" in ready.json()["rules_error"]
    assert decision()["allowed"] is True  # still the last good (warn) set
    assert running.metric("guardrails_rule_reload_errors_total") == 1
    assert running.metric("guardrails_rule_reload_failing") == 1

    (folder / "broken.yaml").unlink()
    _wait(lambda: running.client.get("/readyz").json()["rules_error"] is None)
    assert decision()["allowed"] is False
    assert running.metric("guardrails_rule_reload_failing") == 0
    assert running.metric("guardrails_rules_loaded") == 1
