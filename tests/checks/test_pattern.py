"""Kyverno patterns on whole objects: anchors, arrays, the order mismatches are found in, the
rule-level verdicts and messages, and the native `pattern` / `anyPattern` checks."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.checks import pattern
from guardrails.errors import ParamError
from guardrails.model import Origin, Resource, Status

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "labels": {"app.kubernetes.io/name": "web", "team": "a"}},
    "spec": {
        "hostNetwork": False,
        "containers": [
            {"name": "app", "image": "nginx:latest", "securityContext": {"runAsNonRoot": True},
             "resources": {"limits": {"memory": "1Gi"}}},
            {"name": "side", "image": "busybox:1.36", "ports": [{"containerPort": 80}]},
        ],
    },
}

P, F, S, E = Status.PASS, Status.FAIL, Status.SKIP, Status.ERROR

# (id, pattern, status, failing path)
CASES: list[tuple[str, Any, Status, str]] = [
    ("plain-value", {"metadata": {"name": "p"}}, P, ""),
    ("missing-label", {"metadata": {"labels": {"owner": "?*"}}}, F, "/metadata/labels/owner/"),
    ("star-present", {"metadata": {"labels": {"team": "*"}}}, P, ""),
    ("star-missing-points-at-parent", {"metadata": {"labels": {"owner": "*"}}}, F, "/metadata/labels/"),
    ("wildcard-label-key", {"metadata": {"labels": {"app.kubernetes.io/*": "w?b"}}}, P, ""),
    ("wildcard-label-key-no-match", {"metadata": {"labels": {"x.io/*": "?*"}}}, F, "/metadata/labels/x.io/*/"),
    ("every-element", {"spec": {"containers": [{"image": "!*:latest"}]}}, F, "/spec/containers/0/image/"),
    ("structure-mismatch", {"spec": {"hostNetwork": {"a": 1}}}, F, "/spec/hostNetwork/"),
    ("list-vs-map", {"spec": {"containers": {"name": "x"}}}, F, "/spec/containers/"),
    ("map-vs-list", {"spec": [{"a": 1}]}, F, "/spec/"),
    ("condition-selects", {"spec": {"containers": [{"(name)": "side", "image": "!*:latest"}]}}, P, ""),
    ("condition-selects-fail", {"spec": {"containers": [{"(name)": "app", "image": "!*:latest"}]}}, F,
     "/spec/containers/0/image/"),
    ("condition-never-holds", {"spec": {"containers": [{"(name)": "db", "image": "x"}]}}, S, ""),
    ("condition-key-absent", {"spec": {"(dnsPolicy)": "None", "hostNetwork": True}}, S, ""),
    ("condition-at-top-holds", {"spec": {"(hostNetwork)": False, "containers": [{"name": "app"}]}}, F,
     "/spec/containers/1/name/"),
    ("equality-absent-passes", {"spec": {"=(hostPID)": False}}, P, ""),
    ("equality-present-checked", {"spec": {"=(hostNetwork)": True}}, F, "/spec/hostNetwork/"),
    ("equality-nested", {"spec": {"containers": [{"=(securityContext)": {"=(runAsNonRoot)": True}}]}}, P, ""),
    ("equality-quantity", {"spec": {"containers": [{"=(resources)": {"=(limits)": {"=(memory)": "<512Mi"}}}]}},
     F, "/spec/containers/0/resources/limits/memory/"),
    ("negation-absent", {"spec": {"X(hostPID)": "null"}}, P, ""),
    ("negation-present", {"spec": {"X(hostNetwork)": "null"}}, F, "/spec/hostNetwork/"),
    ("negation-in-list", {"spec": {"containers": [{"X(ports)": "null"}]}}, F, "/spec/containers/1/ports/"),
    ("existence-found", {"spec": {"^(containers)": [{"name": "side"}]}}, P, ""),
    ("existence-not-found", {"spec": {"^(containers)": [{"name": "db"}]}}, F, "/spec/containers/"),
    ("existence-absent-key", {"spec": {"^(volumes)": [{"name": "v"}]}}, P, ""),
    # a global anchor that fails in one list element skips only that element
    ("global-in-list", {"spec": {"containers": [{"<(name)": "app", "image": "nginx:*"}]}}, P, ""),
    ("global-in-list-fail", {"spec": {"containers": [{"<(name)": "app", "image": "busybox:*"}]}}, F,
     "/spec/containers/0/image/"),
    ("global-fails-skips", {"spec": {"<(hostNetwork)": True, "containers": [{"image": "x"}]}}, S, ""),
    ("scalar-list-every", {"spec": {"containers": [{"ports": [{"containerPort": ">1024"}]}]}}, F,
     "/spec/containers/0/ports/"),
    ("scalar-pattern-list", {"metadata": {"name": ["p"]}}, F, "/metadata/name/"),
    ("null-pattern-missing", {"spec": {"hostPID": None}}, P, ""),
    ("range", {"spec": {"containers": [{"=(ports)": [{"containerPort": "1-1024"}]}]}}, P, ""),
    ("number-vs-bool", {"spec": {"hostNetwork": 0}}, F, "/spec/hostNetwork/"),
    ("add-anchor-is-a-plain-key", {"spec": {"+(dnsPolicy)": "?*"}}, F, "/spec/+(dnsPolicy)/"),
    ("empty-pattern-list", {"spec": {"containers": []}}, F, "/spec/containers/"),
    # a conditional anchor that fails in a key with nested anchors, checked before a
    # failing plain sibling, makes the whole rule skip (Kyverno's evaluation order)
    ("nested-condition-first", {"metadata": {"labels": {"team": "b"}},
                                "spec": {"containers": [{"(name)": "db", "image": "x"}]}}, S, ""),
    # an existence anchor whose key is missing everywhere, with a failure elsewhere: error
    ("missing-anchor-key-error", {"metadata": {"name": "q"}, "spec": {"^(volumes)": [{"name": "v"}]}}, E, ""),
]


@pytest.mark.parametrize(("pat", "status", "where"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_match(pat: Any, status: Status, where: str) -> None:
    out = pattern.match(pattern.compile_pattern(pat), POD)
    assert out.status is status, out.detail
    if status is Status.FAIL:
        assert out.where == where


def test_judge_pattern_messages() -> None:
    node = pattern.compile_pattern({"spec": {"containers": [{"image": "!*:latest"}]}})
    v = pattern.judge_pattern(node, POD, rule="no-latest", message="Use a tag")
    assert (v.status, v.message) == (F, "validation error: Use a tag. rule no-latest failed at path /spec/containers/0/image/")
    assert v.path == ("spec", "containers", 0, "image")
    v = pattern.judge_pattern(node, POD, rule="no-latest")
    assert v.message == "validation error: rule no-latest failed at path /spec/containers/0/image/"
    ok = pattern.judge_pattern(pattern.compile_pattern({"kind": "Pod"}), POD, rule="r")
    assert (ok.status, ok.message) == (P, "validation rule 'r' passed.")


ANY_CASES: list[tuple[str, list[Any], Status, str]] = [
    ("second-passes", [{"spec": {"hostNetwork": True}}, {"spec": {"hostNetwork": False}}], P,
     "validation rule 'r' anyPattern[1] passed."),
    ("all-fail", [{"spec": {"hostNetwork": True}}, {"metadata": {"name": "q"}}], F,
     "validation error: Nope. rule r[0] failed at path /spec/hostNetwork/ rule r[1] failed at path /metadata/name/"),
    ("all-skip", [{"spec": {"(hostNetwork)": True, "x": 1}}], S,
     "rule r[0] skipped: conditional anchor mismatch: resource value 'false' does not match 'true' at path /spec/hostNetwork/"),
    ("skip-and-fail-is-fail", [{"spec": {"(hostNetwork)": True, "x": 1}}, {"metadata": {"name": "q"}}], F,
     "validation error: Nope. rule r[1] failed at path /metadata/name/"),
]


@pytest.mark.parametrize(("pats", "status", "message"), [c[1:] for c in ANY_CASES], ids=[c[0] for c in ANY_CASES])
def test_judge_any_pattern(pats: list[Any], status: Status, message: str) -> None:
    nodes = [pattern.compile_pattern(p) for p in pats]
    v = pattern.judge_any_pattern(nodes, POD, rule="r", message="Nope" if status is F else "")
    assert (v.status, v.message) == (status, message)


def _res(obj: dict[str, Any]) -> Resource:
    return Resource(obj=obj, origin=Origin("pod.yaml"))


def test_native_pattern_check() -> None:
    fn = pattern.PATTERN.compile({"spec": {"containers": [{"image": "!*:latest"}]}})
    (v,) = list(fn(_res(POD)))
    assert v.status is F and v.path == ("spec", "containers", 0, "image")
    assert v.message == 'container "app" image is "nginx:latest", expected anything but *:latest'
    assert list(pattern.PATTERN.compile({"kind": "Pod"})(_res(POD))) == []
    (skip,) = list(pattern.PATTERN.compile({"spec": {"(hostNetwork)": True, "x": 1}})(_res(POD)))
    assert skip.status is S


HOSTS = {"kind": "Pod", "metadata": {"name": "p"},
         "spec": {"hostNetwork": True, "hostPID": True, "hostIPC": True, "volumes": [{"name": "v", "hostPath": {}}],
                  "containers": [{"name": "a", "image": "a:latest", "securityContext": {"privileged": True}},
                                 {"name": "b", "image": "b:1", "securityContext": {"privileged": True}},
                                 {"name": "c", "image": "c:latest"}]}}


@pytest.mark.parametrize(
    ("params", "want"),
    [({"spec": {"=(hostNetwork)": False, "=(hostPID)": False, "=(hostIPC)": False}},
      [("pod hostNetwork is true, expected false", ("spec", "hostNetwork")),
       ("pod hostPID is true, expected false", ("spec", "hostPID")),
       ("pod hostIPC is true, expected false", ("spec", "hostIPC"))]),
     ({"spec": {"containers": [{"=(securityContext)": {"=(privileged)": False}}]}},
      [('container "a" securityContext.privileged is true, expected false', ("spec", "containers", 0, "securityContext", "privileged")),
       ('container "b" securityContext.privileged is true, expected false', ("spec", "containers", 1, "securityContext", "privileged"))]),
     # a conditional anchor: only the containers it selects are judged
     ({"spec": {"containers": [{"(image)": "*:latest", "securityContext": {"privileged": False}}]}},
      [('container "a" securityContext.privileged is true, expected false', ("spec", "containers", 0, "securityContext", "privileged")),
       # a missing map names the field the rule requires in it
       ('container "c" securityContext.privileged is not set, expected false', ("spec", "containers", 2, "securityContext", "privileged"))]),
     ({"spec": {"=(volumes)": [{"X(hostPath)": "null"}], "hostPID": False}},
      [("pod hostPID is true, expected false", ("spec", "hostPID")),
       ('volume "v" hostPath must not be set', ("spec", "volumes", 0, "hostPath"))])],
)
def test_every_failing_field_is_a_finding(params: dict[str, Any], want: list[tuple[str, tuple[Any, ...]]]) -> None:
    got = [(v.message, v.path) for v in pattern.PATTERN.compile(params)(_res(HOSTS))]
    assert sorted(got) == sorted(want)


def test_kyverno_keeps_the_first_failure_in_its_words() -> None:
    node = pattern.compile_pattern({"spec": {"=(hostNetwork)": False, "=(hostPID)": False}})
    v = pattern.judge_pattern(node, HOSTS, rule="host")
    assert v.message == "validation error: rule host failed at path /spec/hostNetwork/" and v.path == ("spec", "hostNetwork")


def test_native_any_pattern_check() -> None:
    fn = pattern.ANY_PATTERN.compile([{"spec": {"hostNetwork": True}}, {"spec": {"hostPID": True}}])
    (v,) = list(fn(_res(POD)))
    assert v.status is F and v.path == ("spec", "hostNetwork")
    assert v.message == ("matches none of the 2 accepted forms: (1) pod hostNetwork is false, expected true; "
                         "(2) pod hostPID is not set, expected true")
    assert list(pattern.ANY_PATTERN.compile([{"kind": "Job"}, {"kind": "Pod"}])(_res(POD))) == []


@pytest.mark.parametrize(
    ("check", "params", "path"),
    [(pattern.PATTERN, ["a"], ()), (pattern.PATTERN, {"spec": {"^(containers)": "x"}}, ("spec", "^(containers)")),
     (pattern.ANY_PATTERN, [], ()), (pattern.ANY_PATTERN, [{"a": 1}, "b"], (1,))],
)
def test_compile_errors(check: Any, params: Any, path: tuple[Any, ...]) -> None:
    with pytest.raises(ParamError) as e:
        check.compile(params)
    assert e.value.path == path
