"""deploy/: `kubectl kustomize` renders it, the manifests pass our own rules, and they agree with
each other and with `guardrails serve` (names, selectors, RBAC scope, arguments)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from guardrails.cli import build_parser
from guardrails.policy.load import load_rules

REPO = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


@pytest.fixture(scope="module")
def rendered() -> str:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render deploy/ (make system-deps installs it)"
    p = subprocess.run([kubectl, "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def objects(rendered: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(rendered) if d}


def test_renders_exactly_the_base(objects: dict[tuple[str, str], Any]) -> None:
    assert sorted(objects) == [
        ("ClusterRole", "guardrails-webhook"), ("ClusterRoleBinding", "guardrails-webhook"),
        ("ConfigMap", "guardrails-rules"), ("Deployment", "guardrails"), ("HorizontalPodAutoscaler", "guardrails"),
        ("Namespace", "guardrails"),
        ("NetworkPolicy", "guardrails"), ("PodDisruptionBudget", "guardrails"), ("PriorityClass", "guardrails-webhook"),
        ("Role", "guardrails-webhook-ca"), ("RoleBinding", "guardrails-webhook-ca"), ("Service", "guardrails"),
        ("ServiceAccount", "guardrails"), ("ValidatingWebhookConfiguration", "guardrails"),
    ]
    for (kind, _), obj in objects.items():
        if kind not in ("Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "ValidatingWebhookConfiguration"):
            assert obj["metadata"]["namespace"] == "guardrails", kind


def _serve_args(objects: dict[tuple[str, str], Any]) -> Any:
    container = objects[("Deployment", "guardrails")]["spec"]["template"]["spec"]["containers"][0]
    return build_parser().parse_args(container["args"])


def test_webhook_configuration(objects: dict[tuple[str, str], Any]) -> None:
    [hook] = objects[("ValidatingWebhookConfiguration", "guardrails")]["webhooks"]
    assert hook["sideEffects"] == "None"
    assert hook["admissionReviewVersions"] == ["v1", "v1beta1"]
    assert hook["failurePolicy"] == "Fail" and 1 <= hook["timeoutSeconds"] <= 30
    assert hook["clientConfig"]["service"] == {"name": "guardrails", "namespace": "guardrails", "path": "/validate", "port": 443}
    assert "caBundle" not in hook["clientConfig"]  # the webhook patches it in
    [expr] = hook["namespaceSelector"]["matchExpressions"]
    assert expr == {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["guardrails", "kube-system"]}
    # Sub-resources only those through which a Pod's containers change (UPDATE only).
    subs = {r for rule in hook["rules"] for r in rule["resources"] if "/" in r}
    assert subs == {"pods/ephemeralcontainers", "pods/resize"}
    assert all(rule["operations"] == ["UPDATE"] for rule in hook["rules"] if any("/" in r for r in rule["resources"]))


def test_deployment(objects: dict[tuple[str, str], Any]) -> None:
    deploy = objects[("Deployment", "guardrails")]
    spec = deploy["spec"]
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    assert pod["priorityClassName"] in {name for kind, name in objects if kind == "PriorityClass"}
    assert pod["serviceAccountName"] in {name for kind, name in objects if kind == "ServiceAccount"}
    assert pod["affinity"]["podAntiAffinity"]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert container[probe]["httpGet"] == {"path": path, "port": "https", "scheme": "HTTPS"}
    assert set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and sc["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    # The arguments are ones `guardrails serve` accepts, and agree with the other objects.
    args = _serve_args(objects)
    assert args.command == "serve" and args.in_cluster
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert args.rules == [mounts["rules"]] and args.cert_dir.startswith(mounts["tmp"])
    assert args.webhook_config in {name for kind, name in objects if kind == "ValidatingWebhookConfiguration"}
    assert objects[("Service", args.service)]["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    pdb = objects[("PodDisruptionBudget", "guardrails")]["spec"]
    assert pdb["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    # Drain window fits in the grace period.
    assert args.drain_seconds < pod["terminationGracePeriodSeconds"]
    # A first apply refuses nothing: the staged rollout starts in warn (as `serve` reads it).
    from guardrails.commands.serve import _settings
    from guardrails.model import Enforcement

    assert _settings(args).enforcement is Enforcement.WARN


def _budget_allows_one_eviction(pdb: dict[str, Any], replicas: int) -> bool:
    """Whether a PodDisruptionBudget at this replica count lets a drain take one pod and still
    keeps one serving (integer fields only: a percentage would hide the count)."""
    if "maxUnavailable" in pdb:
        return isinstance(pdb["maxUnavailable"], int) and 1 <= pdb["maxUnavailable"] < replicas
    return isinstance(pdb["minAvailable"], int) and 1 <= pdb["minAvailable"] < replicas


def test_scaling_is_consistent(objects: dict[tuple[str, str], Any]) -> None:
    """The HorizontalPodAutoscaler owns the Deployment's replica count, scales on the CPU the pod
    requests, and the PodDisruptionBudget lets a node drain at every count it may choose."""
    deploy = objects[("Deployment", "guardrails")]
    hpa = objects[("HorizontalPodAutoscaler", "guardrails")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": deploy["apiVersion"], "kind": "Deployment", "name": deploy["metadata"]["name"]}
    # A replicas field beside an HPA is reset by every apply: the HPA alone sets it.
    assert "replicas" not in deploy["spec"]
    low, high = spec["minReplicas"], spec["maxReplicas"]
    assert 2 <= low <= high
    [metric] = spec["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization" and 0 < metric["resource"]["target"]["averageUtilization"] <= 100
    # Utilisation is of the request: every container must request CPU.
    assert all("cpu" in c["resources"]["requests"] for c in deploy["spec"]["template"]["spec"]["containers"])
    pdb = objects[("PodDisruptionBudget", "guardrails")]["spec"]
    assert all(_budget_allows_one_eviction(pdb, n) for n in range(low, high + 1))
    # Rollouts add before they remove, so a rollout never goes below what the budget keeps.
    rolling = deploy["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0 and rolling["maxSurge"] >= 1


BUDGETS = [  # (budget, replicas, lets one go and keeps one)
    ({"maxUnavailable": 1}, 3, True),
    ({"maxUnavailable": 1}, 1, False),
    ({"minAvailable": 2}, 3, True),
    ({"minAvailable": 3}, 3, False),
    ({"minAvailable": "50%"}, 3, False),
    ({"maxUnavailable": 0}, 3, False),
]


@pytest.mark.parametrize(("pdb", "replicas", "ok"), BUDGETS)
def test_budget_check(pdb: dict[str, Any], replicas: int, ok: bool) -> None:
    assert _budget_allows_one_eviction(pdb, replicas) is ok


def test_network_policy_opens_only_the_webhook_port(objects: dict[tuple[str, str], Any]) -> None:
    policy = objects[("NetworkPolicy", "guardrails")]["spec"]
    pod = objects[("Deployment", "guardrails")]["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in policy["podSelector"]["matchLabels"].items())
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    [rule] = policy["ingress"]
    [port] = pod["spec"]["containers"][0]["ports"]
    assert rule["ports"] == [{"port": port["containerPort"], "protocol": "TCP"}]
    assert _serve_args(objects).port == port["containerPort"]
    assert {p["port"] for r in policy["egress"] for p in r["ports"]} == {443, 6443, 53}


def test_rbac_is_least_privilege(objects: dict[tuple[str, str], Any]) -> None:
    args = _serve_args(objects)
    role = objects[("Role", "guardrails-webhook-ca")]["rules"]
    assert role == [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [args.ca_secret], "verbs": ["get", "update"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
    ]
    cluster = objects[("ClusterRole", "guardrails-webhook")]["rules"]
    assert cluster == [{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"],
                        "resourceNames": [args.webhook_config], "verbs": ["get", "patch"]},
                       {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}]
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for binding in (o for (k, _), o in objects.items() if k == kind):
            assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "guardrails", "namespace": "guardrails"}]


def test_the_shipped_rules_configmap_loads(objects: dict[tuple[str, str], Any], tmp_path: pathlib.Path) -> None:
    for name, text in objects[("ConfigMap", "guardrails-rules")]["data"].items():
        (tmp_path / name).write_text(text)
    ruleset = load_rules([tmp_path], builtin=False)
    assert {r.name for r in ruleset.rules} == {"require-ownership-labels", "no-latest-tag", "require-requests-limits"}


@pytest.mark.parametrize("profile", ["restricted", "default"])
def test_manifests_pass_our_own_rules(run_cli: Any, rendered: str, tmp_path: pathlib.Path, profile: str) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(rendered)
    result = run_cli(["scan", "--profile", profile, str(path)])
    assert result.code == 0, result.out
    assert "14 resources" in result.out


# A broken copy of the rendered manifests fails the same scan: the rules really looked at them.
BREAKAGES = [
    ("restricted", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "disallow-privilege-escalation"),
    ("restricted", "runAsNonRoot: true", "runAsNonRoot: false", "require-run-as-non-root"),
    ("restricted", "- ALL", "- NET_ADMIN", "require-drop-all-capabilities"),
    ("default", "image: ghcr.io/myorg/guardrails:0.1.0", "image: nginx", "approved-registries"),
    ("default", "    team: platform\n", "", "require-ownership-labels"),
]


@pytest.mark.parametrize(("profile", "old", "new", "rule"), BREAKAGES, ids=[b[3] for b in BREAKAGES])
def test_a_broken_copy_fails(run_cli: Any, rendered: str, tmp_path: pathlib.Path, profile: str, old: str, new: str, rule: str) -> None:
    assert old in rendered
    path = tmp_path / "broken.yaml"
    path.write_text(rendered.replace(old, new))
    result = run_cli(["scan", "--profile", profile, str(path)])
    assert result.code == 1 and rule in result.out, result.out


def test_dockerfile_is_slim_and_non_root(objects: dict[tuple[str, str], Any]) -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.strip() and not line.startswith("#")]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms and all("-slim" in f for f in froms)
    final_user = [line for line in lines if line.startswith("USER ")][-1]
    uid = final_user.split()[1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    pod_sc = objects[("Deployment", "guardrails")]["spec"]["template"]["spec"]["securityContext"]
    assert pod_sc["runAsUser"] == int(uid)
    assert lines[-2:] == ['ENTRYPOINT ["guardrails"]', 'CMD ["serve", "--port", "8443"]']
