"""A stand-in for `helm` (not installable here) that follows helm 3's documented interface:
`helm template [NAME] CHART [--values FILE]... [--set K=V]...` writes each rendered document as
`---` then `# Source: <chart name>/templates/<file>` then the document, and on a chart error writes
`Error: ...` to stderr and exits 1. It renders this test's chart (tests/.../examples/charts/web)
from its values: the templates' output is written here by hand, as helm would produce it."""

from __future__ import annotations

import json
import os
import pathlib
import sys
import time


def main(argv: list[str]) -> int:
    log = os.environ.get("FAKE_HELM_LOG")
    if log:
        pathlib.Path(log).write_text(json.dumps(argv))
    mode = os.environ.get("FAKE_HELM_MODE", "")
    if mode == "hang":
        time.sleep(60)
    if not argv or argv[0] != "template":
        sys.stderr.write(f"Error: unknown command {argv[:1]!r} for \"helm\"\n")
        return 1
    args = argv[1:]
    sets: list[str] = []
    values: list[str] = []
    positional: list[str] = []
    while args:
        a = args.pop(0)
        if a in ("--set", "-f", "--values"):
            (sets if a == "--set" else values).append(args.pop(0))
        else:
            positional.append(a)
    chart = pathlib.Path(positional[-1])
    if mode == "fail" or not (chart / "Chart.yaml").is_file():
        sys.stderr.write(f"Error: parse error at ({chart.name}/templates/deployment.yaml:4): function \"inclde\" not defined\n")
        return 1
    for v in values:
        if not pathlib.Path(v).is_file():
            sys.stderr.write(f"Error: open {v}: no such file or directory\n")
            return 1
    privileged = "securityContext.privileged=true" in sets
    security = "\n            privileged: true" if privileged else ""
    sys.stdout.write(f"""---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: release-name-web
spec:
  selector:
    app.kubernetes.io/name: web
  ports:
    - port: 80
      targetPort: 8080
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-name-web
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: "registry.example.com/web:1.25"
          securityContext:{security}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
