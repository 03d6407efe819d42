"""A deterministic corpus of workload manifests for benchmarks (10,000 in 1,000 files by default).

A realistic mix: Deployments, StatefulSets, DaemonSets, CronJobs, Jobs and Pods with one to three
containers, init containers, probes, security contexts, some compliant and some not. Written once
in the temp folder, outside any repository (a scan leaves out what .gitignore ignores and
hidden folders, so a corpus inside the checkout scanned as nothing), and reused.
"""

from __future__ import annotations

import pathlib
import random
import tempfile
from typing import Any

import yaml

REGISTRIES = ["ghcr.io/myorg/", "123456789.dkr.ecr.eu-west-1.amazonaws.com/", "", "docker.io/library/", "quay.io/vendor/"]
TAGS = [":1.2.3", ":latest", "", "@sha256:" + "a" * 64, ":2024-05-01"]


def _container(rng: random.Random, i: int) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": f"c{i}",
        "image": rng.choice(REGISTRIES) + rng.choice(["api", "web", "worker", "nginx"]) + rng.choice(TAGS),
        "ports": [{"containerPort": 8080 + i}],
    }
    if rng.random() < 0.7:
        c["resources"] = {
            "requests": {"cpu": rng.choice(["100m", "250m", "0.5"]), "memory": rng.choice(["128Mi", "256Mi", "1Gi"])},
            "limits": {"cpu": rng.choice(["500m", "1", "2"]), "memory": rng.choice(["256Mi", "512Mi", "2Gi"])},
        }
    if rng.random() < 0.6:
        c["securityContext"] = {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    elif rng.random() < 0.1:
        c["securityContext"] = {"privileged": True}
    if rng.random() < 0.5:
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080 + i}}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080 + i}}
    return c


def workload(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choice(["Deployment", "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Pod"])
    labels = {"app": f"app-{n}"}
    if rng.random() < 0.7:
        labels.update({"team": "payments", "environment": rng.choice(["dev", "prod", "qa"]), "service": f"svc-{n % 50}"})
    pod_spec: dict[str, Any] = {"containers": [_container(rng, i) for i in range(rng.randint(1, 3))]}
    if rng.random() < 0.3:
        pod_spec["initContainers"] = [_container(rng, 9)]
    meta = {"name": f"w-{n}", "namespace": rng.choice(["shop", "payments", "default"]), "labels": labels}
    template = {"metadata": {"labels": labels}, "spec": pod_spec}
    api = {"CronJob": "batch/v1", "Job": "batch/v1", "Pod": "v1"}.get(kind, "apps/v1")
    if kind == "Pod":
        return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": pod_spec}
    if kind == "CronJob":
        spec: dict[str, Any] = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Job":
        spec = {"template": template}
    else:
        spec = {"selector": {"matchLabels": {"app": f"app-{n}"}}, "template": template}
        if kind != "DaemonSet":
            spec["replicas"] = rng.choice([1, 2, 3])
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


def corpus(files: int = 1000, per_file: int = 10, *, seed: int = 0) -> pathlib.Path:
    """The corpus folder, generated on first use."""
    root = pathlib.Path(tempfile.gettempdir()) / "guardrails-bench-corpus" / f"{files}x{per_file}-{seed}"
    marker = root / ".complete"
    if marker.exists():
        return root
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in range(files):
        docs = []
        for _ in range(per_file):
            docs.append(workload(rng, n))
            n += 1
        sub = root / f"team-{f % 20:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"app-{f:04d}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    marker.write_text("")
    return root


def files_of(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(root.rglob("*.yaml"))
