"""Cost of each native check on one Deployment, as a ratio to parsing that Deployment's YAML.

Parsing (libyaml's CSafeLoader) is the floor every scan pays per document; a check that costs
a small fraction of it cannot be what makes a scan slow. Both are timed in this one process.
"""

from __future__ import annotations

import argparse
import timeit
from typing import Any

import yaml

from guardrails import checks
from guardrails.model import Origin, Resource

DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {team: payments, environment: prod, service: web}
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/myorg/migrate:1.4.2
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
      containers:
        - name: app
          image: ghcr.io/myorg/web:2.3.1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {cpu: "1", memory: 1Gi}}
        - name: proxy
          image: 123456789.dkr.ecr.eu-west-1.amazonaws.com/envoy:v1.29
          resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
"""

PARAMS: dict[str, Any] = {
    "requiredLabels": ["team", {"key": "environment", "allowedRegex": "^(dev|staging|prod)$"}, "service"],
    "images": {"allow": ["ghcr.io/myorg/*", "123456789.dkr.ecr.*.amazonaws.com/*"], "disallowTags": ["latest"]},
    "resources": {"requests": ["cpu", "memory"], "limits": ["cpu", "memory"], "max": {"limits": {"memory": "2Gi"}},
                  "ratio": {"memory": 4}},
    "deny": {"conditions": {"any": [{"key": "{{ spec.replicas }}", "operator": "LessThan", "value": 2},
                                    {"key": "{{ metadata.namespace }}", "operator": "AnyIn", "value": ["default", "kube-*"]}]}},
    "assert": {"expression": "spec.replicas >= `2`", "message": "{{ metadata.name }} has {{ spec.replicas }}"},
}


def _best(fn: Any, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def run(options: argparse.Namespace) -> None:
    del options
    obj = yaml.load(DOC, Loader=yaml.CSafeLoader)
    resource = Resource(obj=obj, origin=Origin("bench.yaml"))
    parse = _best(lambda: yaml.load(DOC, Loader=yaml.CSafeLoader), 2000)
    print(f"  parse (CSafeLoader) of the Deployment: {parse * 1e6:7.1f} µs  (1.00x)")
    for key, params in PARAMS.items():
        fn = checks.get(key).compile(params)
        assert list(fn(resource)) == [], key  # the document is compliant: time the full pass
        t = _best(lambda fn=fn: list(fn(resource)), 2000)
        print(f"  {key:<15} {t * 1e6:7.1f} µs  ({t / parse:.2f}x the parse)")
