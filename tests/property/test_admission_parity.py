"""Admission decides as the scan judges, and no object fails its way in (issue 13).

For generated objects (every kind the rules look at, and some they do not; random security
contexts, images, labels, annotations; deep, mistyped, missing and null fields; long strings)
and generated rule sets (drawn from the built-in library, fixed Kyverno, Gatekeeper, VAP and
Kyverno CEL policies, plus small native and Kyverno rules generated per example):

1. **Parity.** `guardrails.webhook.admit.decide` (the function the webhook's `/validate` route
   calls, with the app's budget and a real AdmissionReview parsed by `parse_review`), on CREATE
   and on UPDATE, equals the verdict of `guardrails scan` on the same object: the object written
   to a file as JSON and read through the scan's reader (`scan_text`), judged by the engine the
   scan builds (same rules, `inline_waivers="scan"`, the scan's per-resource budget).
   "Equal" means, precisely:
   - admission denies  <=>  the scan reports a finding of a `deny` rule whose status is FAIL or
     ERROR, or FAIL waived by the object's own `guardrails.dev/ignore` annotation (a scan honours
     that annotation, admission never lets an author waive a deny rule; no Exception documents
     are generated, so every WAIVED finding here is an inline one);
   - the denial's code is 403 when a deny rule FAILs, else 500 (only ERRORs);
   - SKIP findings (a rule we cannot evaluate) never deny, in either; `audit` rules never show;
   - on UPDATE, a Kyverno rule the old object already failed is left out of the scan's side:
     Kyverno's `allowExistingViolations` (default true) lets such an update in, and a scan
     judges no update (the old object is the new one's kind, as the API server sends it);
   - the admission warnings are the scan's FAIL and ERROR findings of `warn` rules, one each,
     in the webhook's words (`reporters.admission.warnings`), compared as multisets (the scan
     orders by line, the engine by rule) when they fit the warning limits.
   The object is the one the API server would hand over: what the request names (kind,
   namespace, name) written over the object's copy, as `sources.admission.as_requested` does,
   and nulls unset (the scan's reader drops them as the API server's decoder does; the
   webhook receives them only from a client that is not the API server). Objects the reader
   refuses to construct (nested past its bound) have no scan verdict and are judged by 2 only.
2. **No way in by failing.** The same request decided under `--fail-mode open` and closed gives
   the same answer, and a `deny` rule's ERROR finding denies under both: errors the object can
   cause (a raise in a rule, a recursion past a bound) are the object's failure. Only outages
   (the deadline, a namespace not resolved, the webhook's own crash) follow the fail mode, and
   `decide` never raises on an object (a raise would reach the app's crash path, an outage).
3. The examples that found bugs are kept as `@example` rows (EXAMPLES) and are also sent end to
   end through the real server in tests/webhook/test_admission_examples.py.
"""

from __future__ import annotations

import datetime
import functools
import json
import pathlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from guardrails import Action, CompiledRule, Engine, Finding, Status
from guardrails.budget import Budget
from guardrails.context import Context
from guardrails.policy.load import load_rules
from guardrails.reporters.admission import MAX_WARNINGS, Verdict, warnings
from guardrails.scan import RESOURCE_BUDGET, scan_text
from guardrails.sources.admission import as_requested, parse_review
from guardrails.webhook.admit import decide
from guardrails.webhook.rules import RuleBook
from tests.property import strategies as gen

TODAY = datetime.date(2026, 12, 3)
PARITY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# --- rule sets ------------------------------------------------------------------------------

POD_RULES = [{"apiGroups": ["", "apps", "batch"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"],
              "resources": ["pods", "deployments", "cronjobs"]}]

FIXED_POLICIES: list[dict[str, Any]] = [
    gen.kyverno_policy("ky-no-privileged"),
    {
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "ky-foreach-caps"},
        "spec": {"validationFailureAction": "Enforce", "rules": [{
            "name": "drop-all",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "validate": {"message": "containers drop ALL", "foreach": [{
                "list": "request.object.spec.containers",
                "deny": {"conditions": {"all": [{
                    "key": "ALL", "operator": "AnyNotIn",
                    "value": "{{ element.securityContext.capabilities.drop[] || `[]` }}",
                }]}},
            }]},
        }]},
    },
    {
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "ky-audit-hostnet"},
        "spec": {"validationFailureAction": "Audit", "rules": [{
            "name": "no-host-network",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "validate": {"message": "no host network", "pattern": {"spec": {"=(hostNetwork)": "false"}}},
        }]},
    },
    gen.gatekeeper_template("gk"),
    gen.gatekeeper_constraint("gk-team"),
    {
        "apiVersion": "templates.gatekeeper.sh/v1", "kind": "ConstraintTemplate", "metadata": {"name": "k8spriv"},
        "spec": {"crd": {"spec": {"names": {"kind": "K8sPriv"}}}, "targets": [{
            "target": "admission.k8s.gatekeeper.sh",
            "rego": (
                "package k8spriv\n"
                "violation[{\"msg\": msg}] {\n"
                "  c := input.review.object.spec.containers[_]\n"
                "  c.securityContext.privileged\n"
                "  msg := sprintf(\"privileged container %v\", [c.name])\n"
                "}\n"
            ),
        }]},
    },
    {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sPriv", "metadata": {"name": "gk-priv"},
        "spec": {"enforcementAction": "warn", "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}},
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "vap-images"},
        "spec": {"matchConstraints": {"resourceRules": [{**POD_RULES[0], "resources": ["pods"]}]},
                 "validations": [{"expression": "object.spec.containers.all(c, !c.image.endsWith(':latest'))",
                                  "message": "no latest"}]},
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "vap-images"},
        "spec": {"policyName": "vap-images", "validationActions": ["Deny"]},
    },
    gen.validating_policy("kv-team"),
]


def _load_text(text: str) -> tuple[CompiledRule, ...]:
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / "rules.yaml"
        path.write_text(text)
        return tuple(load_rules([path]).rules)


@functools.cache
def builtin_rules() -> tuple[CompiledRule, ...]:
    return tuple(load_rules(builtin=True, profiles=("all",)).rules)


@functools.cache
def fixed_rules() -> tuple[CompiledRule, ...]:
    return _load_text(yaml.safe_dump_all(FIXED_POLICIES, sort_keys=False))


@functools.cache
def kube_rules() -> tuple[CompiledRule, ...]:
    """The pool rule sets are drawn from: the built-in Kubernetes rules and the fixed policies
    (the Terraform rules judge plan resources, never these kinds)."""
    return tuple(r for r in (*builtin_rules(), *fixed_rules()) if not r.id.startswith("terraform-"))


@functools.cache
def generated_rules(text: str) -> tuple[CompiledRule, ...]:
    return _load_text(text)


LEAVES = ["?*", "*", "!*:latest", "false", "true", ">0", "<=2", "!null", "null", "*/*", "prod|dev", 0, 1, True, False]
LABEL_KEYS = ["team", "app", "app.kubernetes.io/name", "environment", "owner", "x"]


@st.composite
def native_rule(draw: st.DrawFn, i: int) -> dict[str, Any]:
    """A small native Rule of a random check, action and kinds."""
    kinds = draw(st.lists(st.sampled_from(["Pod", "Deployment", "ConfigMap", "Service", "Namespace", "CronJob"]),
                          min_size=1, max_size=3, unique=True))
    spec: dict[str, Any] = {
        "severity": draw(st.sampled_from(["low", "high"])),
        "action": draw(st.sampled_from(["deny", "deny", "warn", "audit"])),
        "match": {"kinds": kinds},
    }
    check = draw(st.sampled_from(["labels", "annotations", "images", "pattern", "deny", "assert", "resources"]))
    if check == "labels":
        keys = draw(st.lists(st.sampled_from(LABEL_KEYS), min_size=1, max_size=3, unique=True))
        spec["requiredLabels"] = [k if draw(st.booleans()) else {"key": k, "allowedRegex": "^(dev|prod|[a-z]+)$"} for k in keys]
    elif check == "annotations":
        spec["requiredAnnotations"] = draw(st.lists(st.sampled_from(["owner", "guardrails.dev/ignore", "a/b"]), min_size=1,
                                                    max_size=2, unique=True))
    elif check == "images":
        spec["images"] = draw(st.sampled_from([
            {"allow": ["registry.corp.example/*"]}, {"deny": ["docker.io/*"]}, {"disallowTags": ["latest"]},
            {"requireDigest": True},
        ]))
    elif check == "pattern":
        leaf = draw(st.sampled_from(LEAVES))
        field = draw(st.sampled_from(["=(privileged)", "privileged", "=(runAsUser)", "=(readOnlyRootFilesystem)"]))
        spec["pattern"] = draw(st.sampled_from([
            {"spec": {"containers": [{"=(securityContext)": {field: leaf}}]}},
            {"spec": {"containers": [{"image": leaf}]}},
            {"metadata": {"labels": {draw(st.sampled_from(LABEL_KEYS)): leaf}}},
            {"spec": {"=(hostNetwork)": leaf}},
        ]))
    elif check == "deny":
        spec["deny"] = {"conditions": {"any": [draw(st.sampled_from([
            {"key": "{{ spec.containers[].securityContext.privileged }}", "operator": "AnyIn", "value": [True]},
            {"key": "{{ length(spec.containers) }}", "operator": "GreaterThan", "value": 2},
            {"key": "{{ metadata.labels.team }}", "operator": "Equals", "value": ""},
            {"key": "{{ to_number(metadata.annotations.replicas) }}", "operator": "GreaterThan", "value": 3},
            {"key": "{{ spec.containers[].image }}", "operator": "AnyIn", "value": ["*:latest"]},
        ]))]}}
    elif check == "assert":
        spec["assert"] = draw(st.sampled_from([
            {"expression": "length(metadata.name) < `40`", "message": "short names"},
            {"expression": "!contains(keys(metadata.labels), 'forbidden')", "message": "no forbidden label"},
            {"expression": "spec.containers[?securityContext.privileged] | length(@) == `0`", "message": "privileged"},
        ]))
    else:
        spec["resources"] = draw(st.sampled_from([
            {"requests": ["cpu", "memory"]}, {"limits": ["memory"]}, {"max": {"limits": {"memory": "1Gi"}}},
            {"ratio": {"cpu": 2}},
        ]))
    return {"apiVersion": "guardrails.dev/v1", "kind": "Rule", "metadata": {"name": f"gen-{i}-{check}"}, "spec": spec}


@st.composite
def kyverno_rule(draw: st.DrawFn, i: int) -> dict[str, Any]:
    """A Kyverno ClusterPolicy with one validate rule: a pattern or deny conditions."""
    kinds = draw(st.lists(st.sampled_from(["Pod", "Deployment", "ConfigMap"]), min_size=1, max_size=2, unique=True))
    leaf = draw(st.sampled_from(LEAVES))
    validate = draw(st.sampled_from([
        {"message": "m", "pattern": {"spec": {"containers": [{"=(securityContext)": {"=(privileged)": leaf}}]}}},
        {"message": "m", "anyPattern": [{"spec": {"hostPID": leaf}}, {"spec": {"=(hostPID)": "false"}}]},
        {"message": "m", "pattern": {"metadata": {"labels": {"team": leaf}}}},
        {"message": "m", "deny": {"conditions": {"any": [
            {"key": "{{ request.object.metadata.labels.team || '' }}", "operator": "Equals", "value": ""}]}}},
        {"message": "m", "deny": {"conditions": {"all": [
            {"key": "{{ request.object.spec.containers[].image }}", "operator": "AnyIn", "value": ["*:latest"]}]}}},
    ]))
    return {
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": f"ky-gen-{i}"},
        "spec": {
            "validationFailureAction": draw(st.sampled_from(["Enforce", "Audit"])),
            "rules": [{"name": "r", "match": {"any": [{"resources": {"kinds": kinds}}]}, "validate": validate}],
        },
    }


class Rules(tuple[CompiledRule, ...]):
    """A rule set that prints as its rule ids (hypothesis prints every falsifying example)."""

    def __repr__(self) -> str:
        return f"rules_named({[r.id for r in self]!r})"


@st.composite
def rule_set(draw: st.DrawFn) -> Rules:
    pool = kube_rules()
    picked = draw(st.lists(st.sampled_from(pool), max_size=10, unique_by=lambda r: r.id))
    if draw(st.integers(0, 9)) == 0:
        picked = list(pool)
    docs = [draw(st.one_of(native_rule(i), kyverno_rule(i))) for i in range(draw(st.integers(0, 3)))]
    if docs:
        picked.extend(generated_rules(yaml.safe_dump_all(docs, sort_keys=False)))
    if not picked:
        picked = list(builtin_rules()[:1])
    return Rules(picked)


# --- objects ---------------------------------------------------------------------------------

INT64 = 2**63 - 1
LONG = "x" * 5000  # past every Kubernetes name and label bound, short enough to print
# Adversarial values JSON carries (the API server sends JSON: no integer past 64 bits).
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-INT64, INT64), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.just(LONG), st.just(""), st.just("\x00\u202e\n"),
    st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(-5, 5), max_size=3),
    st.builds(gen.nested, st.sampled_from([5, 60, 300])),
)
IMAGES = ["nginx", "nginx:latest", "nginx:1.25", "registry.corp.example/app:1.0", "docker.io/library/redis:7",
          "ghcr.io/x/y@sha256:" + "a" * 64, "", "UPPER/Case:tag", "localhost:5000/a", ":latest", "a" * 300]
KINDS = {
    "Pod": ("v1", "pods"), "Deployment": ("apps/v1", "deployments"), "StatefulSet": ("apps/v1", "statefulsets"),
    "DaemonSet": ("apps/v1", "daemonsets"), "Job": ("batch/v1", "jobs"), "CronJob": ("batch/v1", "cronjobs"),
    "ReplicaSet": ("apps/v1", "replicasets"), "ConfigMap": ("v1", "configmaps"), "Service": ("v1", "services"),
    "Namespace": ("v1", "namespaces"), "Ingress": ("networking.k8s.io/v1", "ingresses"),
}
SC_FIELDS = {
    "privileged": st.booleans(), "runAsNonRoot": st.booleans(), "runAsUser": st.integers(-1, 70000),
    "allowPrivilegeEscalation": st.booleans(), "readOnlyRootFilesystem": st.booleans(),
    "capabilities": st.fixed_dictionaries({}, optional={
        "add": st.lists(st.sampled_from(["NET_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE", "ALL"]), max_size=2),
        "drop": st.lists(st.sampled_from(["ALL", "NET_RAW"]), max_size=2)}),
    "seccompProfile": st.fixed_dictionaries({"type": st.sampled_from(["RuntimeDefault", "Unconfined", "Localhost"])}),
}
QUANTITIES = st.sampled_from(["100m", "1", "0.5", "2Gi", "512Mi", "1e3", "-1", "abc", "", "1.5.5", "10Ki"])


def _security_context() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=SC_FIELDS)


def _container(n: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"name": st.just(f"c{n}"), "image": st.sampled_from(IMAGES)}, optional={
        "securityContext": _security_context(),
        "resources": st.fixed_dictionaries({}, optional={
            "requests": st.dictionaries(st.sampled_from(["cpu", "memory"]), QUANTITIES, max_size=2),
            "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), QUANTITIES, max_size=2)}),
        "ports": st.lists(st.fixed_dictionaries({"containerPort": st.integers(1, 65535)}, optional={
            "hostPort": st.integers(0, 65535)}), max_size=2),
    })


@st.composite
def pod_spec(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [draw(_container(i)) for i in range(draw(st.integers(0, 3)))]}
    spec.update(draw(st.fixed_dictionaries({}, optional={
        "initContainers": st.lists(_container(9), max_size=1),
        "ephemeralContainers": st.lists(_container(8), max_size=1),
        "hostNetwork": st.booleans(), "hostPID": st.booleans(), "hostIPC": st.booleans(),
        "securityContext": _security_context(),
        "volumes": st.lists(st.sampled_from([{"name": "h", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}}]),
                            max_size=2),
    })))
    return spec


STRINGS = st.one_of(st.sampled_from(["a", "prod", "dev", "", "Team A", "x" * 70]), st.text(max_size=8))


@st.composite
def metadata(draw: st.DrawFn, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "shop"}
    meta["labels"] = draw(st.dictionaries(st.sampled_from(LABEL_KEYS), STRINGS, max_size=4))
    meta["annotations"] = draw(st.dictionaries(
        st.sampled_from(["owner", "replicas", "guardrails.dev/ignore", "a/b", "x"]),
        st.one_of(STRINGS, st.sampled_from(["no-latest-tag", "ky-no-privileged", "gen-0-labels", "9", "*"])), max_size=3))
    return meta


@st.composite
def k8s_object(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    api_version, _ = KINDS[kind]
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": draw(metadata("obj"))}
    if kind == "Pod":
        obj["spec"] = draw(pod_spec())
    elif kind == "CronJob":
        obj["spec"] = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
            "metadata": draw(metadata("t")), "spec": draw(pod_spec())}}}}
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        obj["spec"] = {"template": {"metadata": draw(metadata("t")), "spec": draw(pod_spec())}}
    elif kind == "ConfigMap":
        obj["data"] = draw(st.dictionaries(st.sampled_from(["x", "max"]), STRINGS, max_size=2))
    elif kind == "Service":
        obj["spec"] = {"type": draw(st.sampled_from(["ClusterIP", "LoadBalancer", "NodePort"]))}
    elif kind == "Namespace":
        obj["metadata"].pop("namespace")
    for _ in range(draw(st.integers(0, 4))):
        obj = _mutate(draw, obj)
    return obj


def _mutate(draw: st.DrawFn, obj: dict[str, Any]) -> dict[str, Any]:
    """One hostile change: a field dropped, made null, retyped (a list or a string where a map
    is expected, and the reverse), deepened, or its string made huge."""
    where = [p for p in gen.paths(obj) if p[:1] != ("kind",) and p[:1] != ("apiVersion",)]
    if not where:
        return obj
    path = draw(st.sampled_from(where))
    parent: Any = obj
    for step in path[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["drop", "null", "retype", "retype", "deep", "huge"]))
    if how == "drop":
        del parent[path[-1]]
    elif how == "null":
        parent[path[-1]] = None
    elif how == "retype":
        parent[path[-1]] = draw(VALUES)
    elif how == "deep":
        parent[path[-1]] = gen.nested(draw(st.sampled_from([40, 300])))
    else:
        parent[path[-1]] = LONG
    return obj


# --- the two paths ---------------------------------------------------------------------------


def _meta_str(obj: Mapping[str, Any], key: str) -> str:
    meta = obj.get("metadata")
    value = meta.get(key) if isinstance(meta, Mapping) else None
    return value if isinstance(value, str) else ""


def review(obj: Mapping[str, Any], operation: str, old: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The AdmissionReview the API server would send for `obj` (namespace and name from the
    object where it has them as strings, else the ones a request would carry)."""
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else "Pod"
    api_version, resource = KINDS.get(kind, ("v1", "pods"))
    group, _, version = api_version.rpartition("/")
    namespace = "" if kind == "Namespace" else (_meta_str(obj, "namespace") or "shop")
    request: dict[str, Any] = {
        "uid": "0000-parity",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "name": _meta_str(obj, "name") or "obj",
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": "author"},
        "object": obj,
        "oldObject": old if operation == "UPDATE" else None,
        "dryRun": False,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def admit(rules: Sequence[CompiledRule], doc: Mapping[str, Any], *, fail_open: bool) -> tuple[Verdict, tuple[Finding, ...]]:
    """The webhook's decision, as its `/validate` route makes it (the app's budget included)."""
    request = parse_review(json.loads(json.dumps(doc)))
    book = RuleBook.build(rules, (), TODAY)
    budget = Budget(60.0, deadline=60.0, grace=9.0)  # the app's shape, far from any honest rule set
    outcome = decide(book, request, excluded=frozenset(), fail_open=fail_open, budget=budget)
    assert budget.ran_out is None, f"rule {budget.ran_out} ran out of 60 s: an outage, not parity"
    if outcome.verdict is None:
        return Verdict(True, 200, "", (), {"apiVersion": "", "kind": "", "response": {}}), outcome.findings
    return outcome.verdict, outcome.findings


def scanned(rules: Sequence[CompiledRule], doc: Mapping[str, Any], key: str = "object") -> list[Finding] | None:
    """The scan's findings on the object the request carries, or None when the reader refuses it."""
    req = doc["request"]
    obj = as_requested(req[key], req["kind"], req["namespace"], req["name"])
    engine = Engine(rules, (), context=Context(today=TODAY), inline_waivers="scan", time_budget=RESOURCE_BUDGET)
    result = scan_text(json.dumps(obj), "obj.json", engine)
    if result.problems:
        assert not gen.constructible(obj), [p.render()[:300] for p in result.problems]
        return None
    assert result.resources == 1
    return list(result.findings)


def _denies(f: Finding) -> bool:
    return f.action is Action.DENY and f.status in (Status.FAIL, Status.ERROR, Status.WAIVED)


def _warning_items(findings: Sequence[Finding]) -> list[tuple[str, ...]]:
    return [
        (f.name if f.dialect == "gatekeeper" else f.rule, f.message, f.dialect)
        for f in findings
        if f.action is Action.WARN and f.status in (Status.FAIL, Status.ERROR)
    ]


def check_parity(
    rules: Sequence[CompiledRule], obj: dict[str, Any], operation: str, old: dict[str, Any] | None,
    note: Callable[[str], object] = lambda _: None,
) -> None:
    """Both properties on one request; `note` records what the example exercised."""
    assert all({"CREATE", "UPDATE"} <= set(r.operations) for r in rules)  # so both judge every rule
    if old is None or old.get("kind") != obj.get("kind"):
        old = obj  # an UPDATE keeps the object's kind
    doc = review(obj, operation, old)
    closed, findings = admit(rules, doc, fail_open=False)
    opened, _ = admit(rules, doc, fail_open=True)
    # 2: no way in by failing, and no raise (decide above would have raised).
    assert opened.allowed == closed.allowed, (opened.message, closed.message)
    errors = [f for f in findings if f.action is Action.DENY and f.status is Status.ERROR]
    assert not (errors and opened.allowed), [f.message for f in errors]
    # 1: parity with the scan.
    note("denied" if not closed.allowed else "allowed")
    note(f"code {closed.code}")
    if errors:
        note("a deny rule errored")
    if closed.warnings:
        note("warned")
    found = scanned(rules, doc)
    if found is None:
        note("no scan verdict (the reader refused the object)")
        return
    if operation == "UPDATE":
        # Kyverno's allowExistingViolations (its default): an UPDATE of an object that already
        # failed an enforced rule is not denied for it; the scan judges no update.
        before = scanned(rules, doc, "oldObject") or []
        existing = {f.rule for f in before if f.dialect == "kyverno" and f.status is Status.FAIL}
        found = [f for f in found if not (f.dialect == "kyverno" and f.status is Status.FAIL and f.rule in existing)]
    deny = [f for f in found if _denies(f)]
    why = [(f.rule, f.status.value, f.message[:200]) for f in found]
    assert closed.allowed == (not deny), (closed.message[:500], why)
    if deny:
        fails = any(f.status is not Status.ERROR for f in deny)
        assert closed.code == (403 if fails else 500), (closed.code, why)
    items = _warning_items(found)
    if len(items) < MAX_WARNINGS:
        assert sorted(closed.warnings) == sorted(warnings(items)), (closed.warnings, why)


# Examples that found bugs, kept as rows (and served end to end in
# tests/webhook/test_admission_examples.py): (rule ids, object, operation).
EXAMPLES: list[tuple[tuple[str, ...], dict[str, Any], str]] = [
    # A controller's template `spec: null`: the webhook judged the null (warnings "the pod is
    # not set, expected a map") where the scan, reading nulls as unset, judged no spec; fixed
    # by one reading of nulls for both (kube.objects.unset_nulls).
    (
        ("require-probes", "require-pull-policy-always-for-latest", "require-read-only-root-filesystem",
         "restrict-service-account-token", "disallow-privileged-containers", "require-ownership-labels"),
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": {"name": "obj", "namespace": "shop", "labels": {}, "annotations": {}},
         "spec": {"template": {"metadata": {"name": "t", "namespace": "shop", "labels": {}, "annotations": {}},
                               "spec": None}}},
        "CREATE",
    ),
    # A null securityContext and a null image beside a privileged container.
    (
        ("disallow-privileged-containers", "no-latest-tag", "ky-no-privileged/no-privileged", "K8sPriv/gk-priv"),
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "obj", "namespace": "shop", "labels": None},
         "spec": {"securityContext": None, "containers": [
             {"name": "a", "image": "nginx:latest", "securityContext": None},
             {"name": "b", "image": "nginx", "securityContext": {"privileged": True, "runAsUser": None}}]}},
        "CREATE",
    ),
    # An UPDATE of a ConfigMap that already failed an enforced Kyverno rule: the rule skips it
    # (allowExistingViolations), where the scan reports the failure; the parity's one exception.
    (
        ("ky-no-privileged/no-privileged",),
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "obj", "namespace": "shop"},
         "spec": {"containers": [{"name": "a", "image": "nginx", "securityContext": {"privileged": True}}]}},
        "UPDATE",
    ),
]


def rules_named(ids: Sequence[Any]) -> Rules:
    pool = {r.id: r for r in (*builtin_rules(), *fixed_rules())}
    return Rules(pool[i] for i in ids)


@PARITY
@example(rules=EXAMPLES[0][0], obj=EXAMPLES[0][1], operation=EXAMPLES[0][2], old=EXAMPLES[0][1])
@example(rules=EXAMPLES[1][0], obj=EXAMPLES[1][1], operation=EXAMPLES[1][2], old=EXAMPLES[1][1])
@example(rules=EXAMPLES[2][0], obj=EXAMPLES[2][1], operation=EXAMPLES[2][2], old=EXAMPLES[2][1])
@given(rules=rule_set(), obj=k8s_object(), operation=st.sampled_from(["CREATE", "UPDATE"]), old=k8s_object())
def test_admission_decides_as_the_scan_judges(
    rules: Rules | tuple[str, ...], obj: dict[str, Any], operation: str, old: dict[str, Any]
) -> None:
    # An @example row names its rules (loading them at import would cost every collection).
    judged = rules_named(rules) if all(isinstance(r, str) for r in rules) else rules
    check_parity(judged, obj, operation, old, event)
