"""The admission-parity examples that found bugs, served end to end: the real server (uvicorn,
TLS, a verifying client) answers each as `decide` does in process and as the scan judges
(tests/property/test_admission_parity.py says what "as the scan judges" means), failing open
and closed alike."""

from __future__ import annotations

from typing import Any

import pytest

from tests.property.test_admission_parity import EXAMPLES, admit, check_parity, review, rules_named
from tests.webhook.conftest import ServerFactory, static_store

ROWS = [
    pytest.param(ids, obj, op, fail_open, id=f"{i}-{op.lower()}-{'open' if fail_open else 'closed'}")
    for i, (ids, obj, op) in enumerate(EXAMPLES)
    for fail_open in (False, True)
]


@pytest.mark.parametrize(("ids", "obj", "operation", "fail_open"), ROWS)
def test_served_decision_agrees(
    start: ServerFactory, ids: tuple[str, ...], obj: dict[str, Any], operation: str, fail_open: bool
) -> None:
    rules = rules_named(ids)
    check_parity(rules, obj, operation, obj)  # the row still holds in process
    doc = review(obj, operation, obj)
    expected, _ = admit(rules, doc, fail_open=fail_open)
    server = start(store=static_store(rules), fail_open=fail_open)
    got = server.review(doc)
    assert got.status_code == 200
    response = got.json()["response"]
    assert response["uid"] == doc["request"]["uid"]
    assert response["allowed"] is expected.allowed
    assert response.get("status", {}).get("code", 200) == expected.code
    assert sorted(response.get("warnings", [])) == sorted(expected.warnings)
    # Every row judges something: a row that evaluated nothing would pass vacuously.
    assert not expected.allowed or expected.warnings or operation == "UPDATE"
