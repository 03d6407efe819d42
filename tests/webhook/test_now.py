"""`guardrails serve --now` and `now:` in its settings, through a real server process: policies
that read the clock are judged at the time given, or at the real clock of each request with
`wall` (admission really happens now); without either they are skips, never a deny."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

from tests.clock_rules import config_map, write_rules
from tests.webhook.test_transport import Served


def _review(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    meta = obj["metadata"]
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"},
        "operation": "CREATE", "name": meta["name"], "namespace": meta["namespace"],
        "userInfo": {"username": "dev"}, "object": obj}}


# Built on these days, judged "more than a day ago" or not; the far past and far future ones
# give the same answer at any real time the test runs.
BUILT = {"old": "2026-03-01T00:00:00Z", "new": "2026-03-06T00:00:00Z", "ancient": "2000-01-01T00:00:00Z",
         "future": "2999-01-01T00:00:00Z"}

# (flags, settings file) -> the ConfigMaps denied
CASES = [
    ([], "", set()),  # no evaluation time: skipped, allowed
    (["--now", "2026-03-06T12:00:00Z"], "", {"old", "ancient"}),
    ([], "now: 2026-03-06T12:00:00Z\n", {"old", "ancient"}),
    (["--now", "wall"], "", {"old", "new", "ancient"}),  # today is past 2026-03-07
    ([], "now: wall\n", {"old", "new", "ancient"}),
    (["--now", "2026-03-01T12:00:00Z"], "now: wall\n", {"ancient"}),  # the flag over the settings
]


@pytest.mark.parametrize(("flags", "settings", "denied"), CASES)
def test_admission_judges_clock_policies_at_the_time_given(
    tmp_path: pathlib.Path, flags: list[str], settings: str, denied: set[str],
) -> None:
    extra = ["--rules", str(write_rules(tmp_path / "clock")), *flags]
    if settings:
        cfg = tmp_path / "settings.yaml"
        cfg.write_text(settings)
        extra += ["--config", str(cfg)]
    s = Served(tmp_path / "s", *extra)
    try:
        with s.client() as c:
            answers = {}
            for name, built in BUILT.items():
                obj = yaml.safe_load(config_map(name, built))
                obj["metadata"]["labels"] = {"team": "a"}  # the served folder's own rule wants it
                answers[name] = c.post("/validate", json=_review(obj, name)).json()["response"]
    finally:
        s.stop()
    assert {n for n, a in answers.items() if not a["allowed"]} == denied, answers
    for name in denied:
        message = answers[name]["status"]["message"]
        assert "(vpol)" in message and "(cel)" in message and "(jmespath)" in message, message


def test_serve_refuses_a_time_without_a_zone(run_cli: Any) -> None:
    r = run_cli(["serve", "--now", "2026-03-06T12:00:00", "--rules", "."])
    assert r.code == 2, r
    assert "--now: expected an RFC 3339 time with its zone, or wall" in r.err
