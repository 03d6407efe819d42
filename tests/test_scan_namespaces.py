"""Namespace selectors in a scan: labels come from Namespace objects scanned in the same run and
from the settings' `namespaces:`; where they stay unknown an exclusion never applies, and the
finding says the labels were unknown."""

from __future__ import annotations

import pathlib

import pytest

from guardrails.config import load_config
from guardrails.errors import ConfigError
from guardrails.policy.load import load_rules
from guardrails.scan import scan

NATIVE = """
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: no-privileged}
spec:
  severity: high
  match: {kinds: [Pod]}
  exclude: {namespaceSelector: {matchLabels: {tier: sandbox}}}
  pattern:
    spec:
      containers: [{=(securityContext): {=(privileged): "false"}}]
"""

KYVERNO = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-privileged}
spec:
  validationFailureAction: Enforce
  rules:
    - name: no-privileged
      match: {any: [{resources: {kinds: [Pod]}}]}
      exclude: {any: [{resources: {namespaceSelector: {matchLabels: {tier: sandbox}}}}]}
      validate:
        message: privileged containers are not allowed
        pattern:
          spec:
            containers: [{=(securityContext): {=(privileged): "false"}}]
"""

POD = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: sandbox}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
"""


def _ns(labels: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: sandbox, labels: {{{labels}}}}}\n"


# case -> (Namespace document scanned along or None, settings' labels, findings, "unknown" noted)
CASES = {
    "labels unknown: the exclusion does not apply": (None, None, 1, True),
    "scanned Namespace labelled: excluded": (_ns("tier: sandbox"), None, 0, False),
    "scanned Namespace not labelled: judged": (_ns("tier: prod"), None, 1, False),
    "settings label it: excluded": (None, {"sandbox": {"tier": "sandbox"}}, 0, False),
    "settings for another namespace: still unknown": (None, {"other": {"tier": "sandbox"}}, 1, True),
}


@pytest.mark.parametrize("dialect", ["native", "kyverno"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_namespace_labels_in_a_scan(tmp_path: pathlib.Path, dialect: str, case: str) -> None:
    namespace, settings, count, unknown = CASES[case]
    rules = tmp_path / "rules.yaml"
    rules.write_text(NATIVE if dialect == "native" else KYVERNO, encoding="utf-8")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "pod.yaml").write_text(POD, encoding="utf-8")
    if namespace:
        (tmp_path / "m" / "ns.yaml").write_text(namespace, encoding="utf-8")
    report = scan([str(tmp_path / "m")], rules=load_rules([str(rules)], builtin=False), root=tmp_path,
                  namespaces=settings)
    assert report.resources == (2 if namespace else 1)
    assert len(report.findings) == count
    for f in report.findings:
        assert ("labels of namespace 'sandbox' unknown" in f.message) is unknown


def test_settings_namespaces(tmp_path: pathlib.Path) -> None:
    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text("namespaces:\n  sandbox: {labels: {tier: sandbox}}\n", encoding="utf-8")
    assert load_config(cfg).namespaces == {"sandbox": {"tier": "sandbox"}}


@pytest.mark.parametrize("body", ["namespaces: [sandbox]\n", "namespaces:\n  sandbox: {tier: sandbox}\n",
                                  "namespaces:\n  sandbox: {labels: {tier: 1}}\n"])
def test_bad_settings_namespaces_name_the_line(tmp_path: pathlib.Path, body: str) -> None:
    cfg = tmp_path / ".guardrails.yaml"
    cfg.write_text("fail-on: high\n" + body, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert e.value.location is not None and e.value.location.line == 2


EXCEPTION = """
apiVersion: guardrails.dev/v1
kind: Exception
metadata: {name: sandbox-may}
spec:
  rules: [no-privileged]
  reason: the sandbox is for experiments
  match: {namespaceSelector: {matchLabels: {tier: sandbox}}}
"""

KYVERNO_EXCEPTION = """
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: sandbox-may, namespace: kyverno}
spec:
  exceptions: [{policyName: disallow-privileged, ruleNames: [no-privileged]}]
  match: {any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {tier: sandbox}}}}]}
"""


@pytest.mark.parametrize("dialect", ["native", "kyverno"])
@pytest.mark.parametrize(("namespace", "waived"), [(None, False), (_ns("tier: sandbox"), True)])
def test_exceptions_over_unknown_labels_never_waive(
    tmp_path: pathlib.Path, dialect: str, namespace: str | None, waived: bool
) -> None:
    rules = tmp_path / "rules.yaml"
    plain = NATIVE.replace("  exclude: {namespaceSelector: {matchLabels: {tier: sandbox}}}\n", "")
    plain = plain if dialect == "native" else KYVERNO.replace(
        "      exclude: {any: [{resources: {namespaceSelector: {matchLabels: {tier: sandbox}}}}]}\n", "")
    rules.write_text(plain + "---" + (EXCEPTION if dialect == "native" else KYVERNO_EXCEPTION), encoding="utf-8")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "pod.yaml").write_text(POD + ("---\n" + namespace if namespace else ""), encoding="utf-8")
    report = scan([str(tmp_path / "m")], rules=load_rules([str(rules)], builtin=False), root=tmp_path)
    [finding] = report.findings
    assert (finding.status.value == "waived") is waived
