"""What a rule reload reports besides errors, against the real server: the rules that judge, the
ones skipped (with their reasons) and the loader's warnings, in /readyz, /metrics and the log;
a reload that errs or leaves no rule to evaluate keeps the old set, which still judges."""

from __future__ import annotations

import json
import logging
import pathlib
import time
from typing import Any

import pytest

from guardrails.webhook.logs import JSONFormatter
from guardrails.webhook.rules import SKIP_REASONS, LoadReport, RuleStore, Skip, skip_reason
from guardrails.webhook.state import MAX_LISTED
from tests.admission_samples import review
from tests.webhook.conftest import Running, ServerFactory
from tests.webhook.test_rulestore import TEAM, _write

DEPLOYMENT = "policy-server__deployment_admission_review.json"  # no team label: require-team denies

MUTATE = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: add-labels}
spec:
  rules:
    - name: add-team
      match: {any: [{resources: {kinds: [Pod]}}]}
      mutate:
        patchStrategicMerge:
          metadata: {labels: {team: platform}}
"""
MUTATING_POLICY = """\
apiVersion: policies.kyverno.io/v1alpha1
kind: MutatingPolicy
metadata: {name: add-owner}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  mutations:
    - patchType: ApplyConfiguration
      applyConfiguration:
        expression: "Object{metadata: Object.metadata{labels: {'owner': 'x'}}}"
"""
UNBOUND_VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas-limit}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
    - expression: "object.spec.replicas <= 50"
"""
TYPO_KIND = MUTATE.replace("kind: ClusterPolicy", "kind: ClusterPolicie")


# id -> (files written beside team.yaml, files removed, expected)
# expected: ("skip", rules skipped, reason label) | ("warning", text in it) | ("error", text in it)
ROWS: list[tuple[str, dict[str, str], list[str], tuple[Any, ...]]] = [
    ("kyverno mutate rule", {"mutate.yaml": MUTATE}, [],
     ("skip", ["add-labels/add-team", "add-labels/autogen-add-team", "add-labels/autogen-cronjob-add-team"], "mutate")),
    ("kyverno MutatingPolicy", {"mp.yaml": MUTATING_POLICY}, [], ("skip", ["MutatingPolicy/add-owner"], "mutate")),
    ("unbound ValidatingAdmissionPolicy", {"vap.yaml": UNBOUND_VAP}, [],
     ("warning", "ValidatingAdmissionPolicy 'replicas-limit' has no binding")),
    ("typo'd kind", {"typo.yaml": TYPO_KIND}, [], ("error", "did you mean 'ClusterPolicy'")),
    ("nothing left to evaluate", {"mp.yaml": MUTATING_POLICY}, ["team.yaml"],
     ("error", "no rule the webhook can evaluate")),
]


def _wait(pred: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _total(webhook: Running, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        s.value
        for family in text_string_to_metric_families(webhook.client.get("/metrics").text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.mark.parametrize(("added", "removed", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_reload_reports(
    start: ServerFactory, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture,
    added: dict[str, str], removed: list[str], expected: tuple[Any, ...],
) -> None:
    caplog.set_level(logging.INFO, logger="guardrails.webhook")
    folder = tmp_path / "rules"
    folder.mkdir()
    _write(folder / "team.yaml", TEAM.format(action="deny"))
    webhook = start(store=RuleStore([str(folder)], builtin=False))
    before = webhook.client.get("/readyz").json()
    assert (before["rules_loaded"], before["rules_skipped"], before["rules_warnings"]) == (1, 0, 0)

    for name, text in added.items():
        _write(folder / name, text)
    for name in removed:
        (folder / name).unlink()
    what = expected[0]
    if what == "error":
        _wait(lambda: webhook.client.get("/readyz").json()["rules_error"] is not None)
    else:
        _wait(lambda: webhook.state.rules.reloads >= 2)
    ready = webhook.client.get("/readyz")
    assert ready.status_code == 200
    details = ready.json()

    if what == "skip":
        _, rules, label = expected
        assert details["rules_error"] is None and details["rules_loaded"] == 1
        assert details["rules_skipped"] == len(rules) and details["skipped_more"] == 0
        assert [s["rule"] for s in details["skipped"]] == rules
        assert all(s["reason"] and s["source"].startswith(str(folder)) for s in details["skipped"])
        assert _total(webhook, "guardrails_rules_skipped", reason=label) == len(rules)
        assert _total(webhook, "guardrails_rules_skipped") == len(rules)  # one label, the rest 0
        assert _total(webhook, "guardrails_rules_loaded") == 1
        [line] = [_json(r) for r in caplog.records if r.getMessage() == "rules reloaded"]
        assert (line["loaded"], line["skipped"], line["warnings"]) == (1, len(rules), 0)
        assert [s.split(":")[0] for s in line["skipped_rules"]] == rules and line["level"] == "warning"
    elif what == "warning":
        assert details["rules_error"] is None and details["rules_warnings"] == 1
        assert expected[1] in details["warnings"][0] and details["warnings"][0].startswith(str(folder / "vap.yaml"))
        assert _total(webhook, "guardrails_rule_load_warnings") == 1
        assert _total(webhook, "guardrails_rules_loaded") == 2  # the policy is evaluated, as if bound
        [line] = [_json(r) for r in caplog.records if r.getMessage() == "rules reloaded"]
        assert line["warnings"] == 1 and expected[1] in line["load_warnings"][0]
    else:
        # The old set stays and still judges; the report is still the old set's.
        assert expected[1] in details["rules_error"]
        assert (details["rules_loaded"], details["rules_skipped"]) == (1, 0)
        assert _total(webhook, "guardrails_rule_reload_failing") == 1
        assert _total(webhook, "guardrails_rules_loaded") == 1
        resp = webhook.review(review(DEPLOYMENT)).json()["response"]
        assert resp["allowed"] is False and resp["status"]["message"].startswith("require-team: ")
        assert [r for r in caplog.records if r.getMessage() == "rule reload failed, keeping the last good rule set"]


def _json(record: logging.LogRecord) -> dict[str, Any]:
    return json.loads(JSONFormatter().format(record))  # type: ignore[no-any-return]


def test_readyz_lists_a_bounded_number_of_skips(start: ServerFactory, tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    _write(folder / "team.yaml", TEAM.format(action="deny"))
    many = "---\n".join(MUTATING_POLICY.replace("add-owner", f"add-owner-{i:02d}") for i in range(MAX_LISTED + 5))
    _write(folder / "many.yaml", many)
    webhook = start(store=RuleStore([str(folder)], builtin=False))
    details = webhook.client.get("/readyz").json()
    assert details["rules_skipped"] == MAX_LISTED + 5
    assert len(details["skipped"]) == MAX_LISTED and details["skipped_more"] == 5
    assert _total(webhook, "guardrails_rules_skipped", reason="mutate") == MAX_LISTED + 5


def test_a_first_load_with_nothing_to_evaluate_is_an_error(tmp_path: pathlib.Path) -> None:
    from guardrails import GuardrailsError

    (tmp_path / "mp.yaml").write_text(MUTATING_POLICY)
    store = RuleStore([str(tmp_path)], builtin=False)
    with pytest.raises(GuardrailsError, match=r"no rule the webhook can evaluate.*1 skipped, such as MutatingPolicy/add-owner"):
        store.load()
    assert store.book is None


# The metric label of every reason the loader gives, and the label set stays the fixed one.
REASONS = [
    ("Kyverno MutatingPolicy mutates objects: guardrails judges objects and never changes them", "mutate"),
    ("mutate rules change objects; guardrails only validates (rule 'x')", "mutate"),
    ("generate rules create objects in a cluster (rule 'x')", "generate"),
    ("Kyverno GeneratingPolicy generates objects in a cluster: there is nothing to judge here", "generate"),
    ("verifyImages needs registry access and signatures (rule 'x')", "verify-images"),
    ("Kyverno ImageValidatingPolicy is not evaluated yet: it verifies image signatures and attestations, which needs a registry",
     "verify-images"),
    ("Kyverno ClusterCleanupPolicy deletes objects on a schedule in a cluster: there is nothing to judge here", "cleanup"),
    ("context entry 'x' uses apiCall, which needs a cluster or a registry (no data supplied offline)", "needs-cluster"),
    ("Kyverno's CEL PolicyException is not applied: the rules it names still judge every object", "not-applied"),
    ("validate.manifests is not supported", "other"),
]


@pytest.mark.parametrize(("reason", "label"), REASONS)
def test_skip_reason_labels(reason: str, label: str) -> None:
    assert skip_reason(reason) == label and label in SKIP_REASONS
    report = LoadReport(1, (Skip("r", reason, "f:1"),))
    assert report.by_reason() == {r: (1 if r == label else 0) for r in SKIP_REASONS}


def test_serve_with_nothing_to_evaluate_does_not_start(run_cli: Any, tmp_path: pathlib.Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mp.yaml").write_text(MUTATING_POLICY)
    result = run_cli(["serve", "--rules", str(tmp_path / "rules"), "--port", "0", "--cert-dir", str(tmp_path / "tls")])
    assert result.code == 2
    assert "no rule the webhook can evaluate" in result.err and "MutatingPolicy/add-owner" in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
