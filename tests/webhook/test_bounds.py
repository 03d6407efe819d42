"""What one client's request can make the webhook keep: metric labels from bounded sets, log
fields clipped. The issue's attack: 40 requests with a 3 MiB `kind` grew /metrics to 240 MB."""

from __future__ import annotations

import io
import json
import logging

from guardrails.webhook import logs, metrics
from tests.webhook.conftest import Running


def _review(kind: str, operation: str = "CREATE", uid: str = "u") -> dict[str, object]:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": "things"}, "namespace": "apps", "name": "x",
        "operation": operation, "userInfo": {"username": "dev"},
        "object": {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x", "namespace": "apps"}}}}


def test_client_chosen_kinds_and_operations_never_grow_the_metrics(webhook: Running) -> None:
    before = len(webhook.client.get("/metrics").content)
    for i in range(40):
        assert webhook.review(_review("K" * 200_000 + str(i), uid=f"big{i}")).status_code == 200
        assert webhook.review(_review(f"Kind{i}", operation=f"OP{i}", uid=f"op{i}")).status_code == 200
    after = len(webhook.client.get("/metrics").content)
    assert after - before < 40_000, after - before  # 40 well-formed kinds at most, never the 8 MB sent
    assert webhook.metric("guardrails_admission_requests_total", kind="other", operation="CREATE") == 40
    assert webhook.metric("guardrails_admission_requests_total", kind="Kind3", operation="other") == 1


def test_distinct_kinds_are_capped() -> None:
    m = metrics.Metrics()
    for i in range(metrics.MAX_KINDS + 50):
        m.observe("allow", "CREATE", f"Kind{i}", False, 0.001)
    totals = [line for line in m.render().decode().splitlines() if line.startswith("guardrails_admission_requests_total{")]
    kinds = [line.split('kind="')[1].split('"')[0] for line in totals]
    assert len(kinds) == metrics.MAX_KINDS + 1 and kinds.count("other") == 1


def test_log_fields_are_clipped() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JSONFormatter())
    record = logging.LogRecord("guardrails.webhook", logging.INFO, __file__, 1, "admission", None, None)
    record.fields = {"kind": "K" * 3_000_000, "findings": [{"message": "m\x1b[31m"}] * 500}
    handler.emit(record)
    line = stream.getvalue()
    assert len(line) < 40_000
    out = json.loads(line)
    assert out["kind"].endswith(f"... ({3_000_000 - logs.MAX_FIELD} more characters)")
    assert len(out["findings"]) == logs.MAX_ITEMS + 1 and out["findings"][-1] == f"... ({500 - logs.MAX_ITEMS} more)"
    assert "\x1b" not in line  # escaped by the JSON encoding, never a raw terminal escape
