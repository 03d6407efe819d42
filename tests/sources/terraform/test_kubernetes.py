"""kubernetes_* resources -> Kubernetes objects; JSON-string container definitions decoded."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from guardrails.kube import workloads
from guardrails.sources.terraform import kubernetes as terraform_k8s
from guardrails.sources.terraform import plan as terraform

# The planned values of a kubernetes_deployment_v1 as `terraform show -json` writes them
# (provider 2.x): one-element block lists, unset attributes as null, "" or [].
CONTAINER = {
    "args": None,
    "command": ["/bin/web"],
    "env": [{"name": "MODE", "value": "prod", "value_from": []}],
    "env_from": [],
    "image": "ghcr.io/myorg/web:1.2.3",
    "image_pull_policy": "IfNotPresent",
    "lifecycle": [],
    "liveness_probe": [
        {
            "http_get": [{"path": "/healthz", "port": "8080", "http_header": [{"name": "X", "value": "1"}]}],
            "period_seconds": 10,
        }
    ],
    "name": "web",
    "port": [{"container_port": 8080, "host_ip": None, "host_port": None, "name": "http", "protocol": "TCP"}],
    "resources": [
        {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}}
    ],
    "security_context": [
        {
            "allow_privilege_escalation": False,
            "capabilities": [{"add": None, "drop": ["ALL"]}],
            "privileged": False,
            "read_only_root_filesystem": True,
            "run_as_group": None,
            "run_as_non_root": True,
            "run_as_user": "1000",
            "se_linux_options": [],
            "seccomp_profile": [{"localhost_profile": None, "type": "RuntimeDefault"}],
        }
    ],
    "volume_mount": [{"mount_path": "/data", "name": "data", "read_only": False, "sub_path": ""}],
    "working_dir": "",
}
POD_SPEC = {
    "affinity": [],
    "automount_service_account_token": False,
    "container": [CONTAINER],
    "dns_policy": "ClusterFirst",
    "host_ipc": False,
    "host_network": False,
    "host_pid": False,
    "init_container": [{**CONTAINER, "name": "init", "image": "busybox"}],
    "node_selector": {"kubernetes.io/os": "linux"},
    "security_context": [
        {
            "fs_group": "2000",
            "run_as_non_root": True,
            "sysctl": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}],
        }
    ],
    "toleration": [{"effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": "web"}],
    "volume": [{"name": "data", "empty_dir": [{"medium": "", "size_limit": "1Gi"}]}],
}
METADATA = {
    "annotations": None,
    "generate_name": None,
    "labels": {"app.kubernetes.io/name": "web", "team": "shop"},
    "name": "web",
    "namespace": "shop",
}
DEPLOYMENT = {
    "metadata": [METADATA],
    "spec": [
        {
            "min_ready_seconds": 0,
            "replicas": "3",
            "selector": [{"match_expressions": [], "match_labels": {"app.kubernetes.io/name": "web"}}],
            "template": [
                {
                    "metadata": [{"labels": {"app.kubernetes.io/name": "web"}, "annotations": None}],
                    "spec": [POD_SPEC],
                }
            ],
        }
    ],
    "timeouts": None,
    "wait_for_rollout": True,
}
UNKNOWN = {
    "id": True,
    "metadata": [{"generation": True, "resource_version": True, "uid": True}],
    "spec": [{"template": [{"spec": [{"container": [{"image": True}], "node_name": True}]}]}],
}

EXPECTED_CONTAINER = {
    "command": ["/bin/web"],
    "env": [{"name": "MODE", "value": "prod"}],
    "image": "ghcr.io/myorg/web:1.2.3",
    "imagePullPolicy": "IfNotPresent",
    "livenessProbe": {
        "httpGet": {"path": "/healthz", "port": "8080", "httpHeaders": [{"name": "X", "value": "1"}]},
        "periodSeconds": 10,
    },
    "name": "web",
    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
    "resources": {
        "limits": {"cpu": "500m", "memory": "512Mi"},
        "requests": {"cpu": "250m", "memory": "256Mi"},
    },
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "volumeMounts": [{"mountPath": "/data", "name": "data", "readOnly": False}],
}


def test_deployment_maps_to_the_kubernetes_shape() -> None:
    obj, unknown = terraform_k8s.to_kubernetes(
        "kubernetes_deployment_v1", copy.deepcopy(DEPLOYMENT), UNKNOWN
    ) or ({}, set())
    assert obj["apiVersion"] == "apps/v1" and obj["kind"] == "Deployment"
    assert obj["metadata"] == {
        "labels": {"app.kubernetes.io/name": "web", "team": "shop"},
        "name": "web",
        "namespace": "shop",
    }
    spec = obj["spec"]
    assert spec["replicas"] == 3
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": "web"}}
    pod = spec["template"]["spec"]
    assert pod["containers"] == [EXPECTED_CONTAINER]
    assert pod["initContainers"][0]["image"] == "busybox"
    assert (pod["hostPID"], pod["hostIPC"], pod["hostNetwork"]) == (False, False, False)
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["securityContext"] == {
        "fsGroup": 2000,
        "runAsNonRoot": True,
        "sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}],
    }
    assert pod["tolerations"] == [
        {"effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": "web"}
    ]
    assert pod["volumes"] == [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert "affinity" not in pod
    assert unknown == {
        ("metadata", "generation"),
        ("metadata", "resourceVersion"),
        ("metadata", "uid"),
        ("spec", "template", "spec", "containers", 0, "image"),
        ("spec", "template", "spec", "nodeName"),
    }


def test_container_walker_and_pod_view_see_the_mapped_workload() -> None:
    rc = {
        "address": "module.app.kubernetes_deployment_v1.web",
        "module_address": "module.app",
        "type": "kubernetes_deployment_v1",
        "mode": "managed",
        "change": {"actions": ["create"], "after": copy.deepcopy(DEPLOYMENT), "after_unknown": UNKNOWN},
    }
    [r] = terraform.resources({"format_version": "1.2", "resource_changes": [rc]}, "plan.json")
    assert (r.kind, r.name, r.namespace, r.origin.address) == (
        "Deployment",
        "web",
        "shop",
        "module.app.kubernetes_deployment_v1.web",
    )
    found = [(c["name"], path) for c, path, _ in workloads.iter_containers(r.obj)]
    assert found == [
        ("web", ("spec", "template", "spec", "containers", 0)),
        ("init", ("spec", "template", "spec", "initContainers", 0)),
    ]
    assert r.obj["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/myorg/web:1.2.3"
    view = workloads.pod_view(r)
    assert view is not None and view.is_unknown(("spec", "containers", 0, "image"))


WORKLOADS = [
    ("kubernetes_pod", "v1", "Pod", {"metadata": [METADATA], "spec": [POD_SPEC]}, ("spec",)),
    ("kubernetes_pod_v1", "v1", "Pod", {"metadata": [METADATA], "spec": [POD_SPEC]}, ("spec",)),
    ("kubernetes_deployment", "apps/v1", "Deployment", DEPLOYMENT, ("spec", "template", "spec")),
    ("kubernetes_stateful_set_v1", "apps/v1", "StatefulSet", DEPLOYMENT, ("spec", "template", "spec")),
    ("kubernetes_daemonset", "apps/v1", "DaemonSet", DEPLOYMENT, ("spec", "template", "spec")),
    ("kubernetes_daemon_set_v1", "apps/v1", "DaemonSet", DEPLOYMENT, ("spec", "template", "spec")),
    ("kubernetes_job_v1", "batch/v1", "Job", DEPLOYMENT, ("spec", "template", "spec")),
    (
        "kubernetes_replication_controller",
        "v1",
        "ReplicationController",
        DEPLOYMENT,
        ("spec", "template", "spec"),
    ),
    (
        "kubernetes_cron_job_v1",
        "batch/v1",
        "CronJob",
        {
            "metadata": [METADATA],
            "spec": [
                {"schedule": "0 * * * *", "job_template": [{"metadata": [{}], "spec": DEPLOYMENT["spec"]}]}
            ],
        },
        ("spec", "jobTemplate", "spec", "template", "spec"),
    ),
    (
        "kubernetes_cron_job",
        "batch/v1beta1",
        "CronJob",
        {
            "metadata": [METADATA],
            "spec": [
                {"schedule": "0 * * * *", "job_template": [{"metadata": [{}], "spec": DEPLOYMENT["spec"]}]}
            ],
        },
        ("spec", "jobTemplate", "spec", "template", "spec"),
    ),
]


@pytest.mark.parametrize(
    ("rtype", "api", "kind", "values", "pod_path"), WORKLOADS, ids=[w[0] for w in WORKLOADS]
)
def test_every_workload_type(
    rtype: str, api: str, kind: str, values: dict[str, Any], pod_path: tuple[str, ...]
) -> None:
    obj, _ = terraform_k8s.to_kubernetes(rtype, copy.deepcopy(values), None) or ({}, set())
    assert (obj["apiVersion"], obj["kind"], obj["metadata"]["name"]) == (api, kind, "web")
    containers = [(path, c["image"]) for c, path, _ in workloads.iter_containers(obj)]
    assert containers == [
        ((*pod_path, "containers", 0), "ghcr.io/myorg/web:1.2.3"),
        ((*pod_path, "initContainers", 0), "busybox"),
    ]
    pod = obj
    for step in pod_path:
        pod = pod[step]
    assert pod["containers"][0] == EXPECTED_CONTAINER


def test_older_provider_resource_blocks_and_node_affinity() -> None:
    values = {
        "metadata": [{"name": "p"}],
        "spec": [
            {
                "container": [
                    {
                        "name": "c",
                        "image": "x",
                        "resources": [{"limits": [{"cpu": "1", "memory": "1Gi"}], "requests": []}],
                    }
                ],
                "affinity": [
                    {
                        "node_affinity": [
                            {
                                "required_during_scheduling_ignored_during_execution": [
                                    {
                                        "node_selector_term": [
                                            {
                                                "match_expressions": [
                                                    {"key": "zone", "operator": "In", "values": ["a"]}
                                                ]
                                            }
                                        ]
                                    }
                                ]
                            }
                        ],
                        "pod_anti_affinity": [
                            {
                                "required_during_scheduling_ignored_during_execution": [
                                    {
                                        "topology_key": "kubernetes.io/hostname",
                                        "label_selector": [{"match_labels": {"app": "p"}}],
                                    }
                                ]
                            }
                        ],
                    }
                ],
            }
        ],
    }
    obj, _ = terraform_k8s.to_kubernetes("kubernetes_pod", values, None) or ({}, set())
    assert obj["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1", "memory": "1Gi"}}
    affinity = obj["spec"]["affinity"]
    assert affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]
    }
    assert affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "p"}}}
    ]


def test_kubernetes_manifest_is_the_object_itself() -> None:
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "m", "labels": {"a": "b"}},
        "spec": {"replicas": 1},
    }
    obj, unknown = terraform_k8s.to_kubernetes(
        "kubernetes_manifest",
        {"manifest": manifest, "object": None},
        {"manifest": {"spec": {"replicas": True}}},
    ) or ({}, set())
    assert obj == manifest
    assert unknown == {("spec", "replicas")}


@pytest.mark.parametrize("rtype", ["aws_instance", "kubernetes_config_map_x", "google_container_cluster"])
def test_other_types_are_not_kubernetes(rtype: str) -> None:
    assert terraform_k8s.to_kubernetes(rtype, {"metadata": [{"name": "x"}]}, None) is None


ECS = [
    # (container definition, resources view)
    (
        {"name": "a", "image": "nginx", "cpu": 256, "memory": 512},
        {"requests": {"cpu": "0.25", "memory": "512Mi"}, "limits": {"memory": "512Mi"}},
    ),
    (
        {"name": "a", "image": "nginx", "cpu": 10, "memoryReservation": 128},
        {"requests": {"cpu": "0.009765625", "memory": "128Mi"}},
    ),
    (
        {"name": "a", "image": "nginx", "memory": 1024, "memoryReservation": 256},
        {"limits": {"memory": "1024Mi"}, "requests": {"memory": "256Mi"}},
    ),
    ({"name": "a", "image": "nginx"}, {}),
    ({"name": "a", "image": "nginx", "cpu": 0, "memory": "bad"}, {}),
]


@pytest.mark.parametrize(("container", "resources"), ECS)
def test_ecs_container_definitions_are_decoded_with_a_resources_view(
    container: dict[str, Any], resources: dict[str, Any]
) -> None:
    spec = terraform_k8s.decode_embedded(
        "aws_ecs_task_definition", {"family": "f", "container_definitions": json.dumps([container])}
    )
    assert spec["container_definitions"] == [{**container, "resources": resources}]
    found = [
        (c["image"], path)
        for c, path, _ in workloads.iter_containers({"kind": "aws_ecs_task_definition", "spec": spec})
    ]
    assert found == [("nginx", ("spec", "container_definitions", 0))]


def test_batch_container_properties_are_decoded() -> None:
    props = {
        "image": "busybox",
        "resourceRequirements": [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "2048"}],
    }
    spec = terraform_k8s.decode_embedded(
        "aws_batch_job_definition", {"container_properties": json.dumps(props)}
    )
    assert spec["container_properties"]["resources"] == {
        "requests": {"cpu": "2", "memory": "2048Mi"},
        "limits": {"memory": "2048Mi"},
    }
    found = [
        path for _, path, _ in workloads.iter_containers({"kind": "aws_batch_job_definition", "spec": spec})
    ]
    assert found == [("spec", "container_properties")]


def test_malformed_container_definitions_stay_a_string() -> None:
    spec = terraform_k8s.decode_embedded("aws_ecs_task_definition", {"container_definitions": "[{"})
    assert spec["container_definitions"] == "[{"


IMAGE_SERVICES = [
    (
        "aws_lambda_function",
        {
            "function_name": "resize",
            "package_type": "Image",
            "image_uri": "123456789.dkr.ecr.eu-west-1.amazonaws.com/resize:3",
        },
        [("resize", "123456789.dkr.ecr.eu-west-1.amazonaws.com/resize:3")],
    ),
    (
        "aws_lambda_function",
        {"function_name": "zip", "package_type": "Zip", "image_uri": None, "runtime": "python3.12"},
        [],
    ),
    (
        "aws_apprunner_service",
        {
            "service_name": "hello",
            "source_configuration": [
                {"image_repository": [{"image_identifier": "public.ecr.aws/x/hello:latest"}]}
            ],
        },
        [("hello", "public.ecr.aws/x/hello:latest")],
    ),
    (
        "aws_apprunner_service",
        {"service_name": "code", "source_configuration": [{"code_repository": [{"repository_url": "x"}]}]},
        [],
    ),
]


@pytest.mark.parametrize(("rtype", "values", "containers"), IMAGE_SERVICES)
def test_image_services_get_a_containers_view(
    rtype: str, values: dict[str, Any], containers: list[tuple[str, str]]
) -> None:
    spec = terraform_k8s.decode_embedded(rtype, values)
    found = [(c["name"], c["image"]) for c, _, _ in workloads.iter_containers({"kind": rtype, "spec": spec})]
    assert found == containers
