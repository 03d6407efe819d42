"""`guardrails init [DIR]`: scaffold `.guardrails.yaml` and `policies/` with a sample rule and its test.

Beside them it writes the JSON Schemas of settings and rule files (`.guardrails/schema/`), and the
files it scaffolds start with a yaml-language-server modeline pointing at them, so an editor
completes and checks keys from the first keystroke.

The golden path for a new team: after `guardrails init`, `guardrails test` and
`guardrails rules lint policies/` pass, and `guardrails scan` uses the new settings.
Existing files are never overwritten unless `--force` says so.
"""

from __future__ import annotations

import argparse
import pathlib
from typing import Any

from guardrails.errors import UsageError

__all__ = ["FILES", "SCHEMAS", "SCHEMA_DIR", "add_parser", "run"]

EXAMPLES = """examples:
  guardrails init                 scaffold in the current folder
  guardrails init platform/       scaffold in another folder
  guardrails init --force         overwrite files a previous init wrote
"""

# Where init writes the JSON Schemas the modelines below point at (relative to DIR).
SCHEMA_DIR = ".guardrails/schema"

CONFIG = f"# yaml-language-server: $schema={SCHEMA_DIR}/settings.schema.json\n" + """\
# guardrails settings, found by `guardrails scan` from this folder and every folder below it.
# Flags on the command line override them.
rules:
  - policies/              # your rules; RuleTest files beside them are ignored by scans
builtin: true              # also use the built-in library: its default set, plus the profiles below
profiles:
  - default                # add: restricted | best-practices | terraform | all (guardrails rules list --profile NAME)
fail-on: medium            # exit 1 when a finding is at least this severe
exclude:                   # globs not to scan; .gitignore is honoured and Helm charts are found on their own
  - ".guardrails/schema/**"  # the JSON Schemas guardrails init wrote for your editor
# Your organisation's values for the built-in rules (guardrails rules show NAME lists every parameter).
# Until you replace these examples, every scan says the rules still run on placeholder values.
parameters:
  approved-registries:
    registries:            # TODO: your registries
      - ghcr.io/myorg/*
      - 123456789.dkr.ecr.*.amazonaws.com/*
  require-ownership-labels:
    labels:                # TODO: your label keys and their allowed values
      - team
      - {key: environment, allowedRegex: "^(dev|staging|prod)$"}
      - service
  terraform-approved-registries:
    registries:            # TODO: your registries
      - ghcr.io/myorg/*
      - 123456789.dkr.ecr.*.amazonaws.com/*
  terraform-required-tags:
    labels:                # TODO: your label keys and their allowed values
      - team
      - {key: environment, allowedRegex: "^(dev|staging|prod)$"}
      - service
"""

RULE = f"""\
# yaml-language-server: $schema=../{SCHEMA_DIR}/rule.schema.json
apiVersion: guardrails.dev/v1
kind: Rule
metadata:
  name: require-team-label
spec:
  title: Workloads name their owning team
  description: >-
    Every workload carries a `team` label naming the team that owns it, so an alert or a
    finding reaches the right people.
  remediation: Add a `team` label with your team's name to the workload's metadata.
  severity: medium
  action: deny
  profiles: [default]
  references:
    - https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
  match:
    kinds: [Deployment, StatefulSet, DaemonSet, Job, CronJob]
    excludeNamespaces: [kube-system]
  requiredLabels:
    - key: team
      allowedRegex: "^[a-z][a-z0-9-]*$"
"""

TEST = """\
# Run with `guardrails test`: each result names a rule, resources and the expected outcome.
apiVersion: guardrails.dev/v1
kind: RuleTest
metadata:
  name: require-team-label
spec:
  rules:
    - require-team-label.yaml
  resources:
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: labelled
        labels: {team: payments}
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: ghcr.io/example/web:1.0.0}]
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: unlabelled
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: ghcr.io/example/web:1.0.0}]
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: settings
      data: {color: blue}
  results:
    - rule: require-team-label
      resources: [Deployment/labelled]
      result: pass
    - rule: require-team-label
      resources: [Deployment/unlabelled]
      result: fail
      message: team
    - rule: require-team-label
      resources: [ConfigMap/settings]
      result: skip
"""

# The schemas init writes into SCHEMA_DIR, for the files above.
SCHEMAS = ("rule", "settings")

# relative path -> content
FILES: dict[str, str] = {
    ".guardrails.yaml": CONFIG,
    "policies/require-team-label.yaml": RULE,
    "policies/require-team-label.test.yaml": TEST,
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "init",
        help="scaffold .guardrails.yaml and policies/ with a sample rule and its test",
        description="Scaffold .guardrails.yaml and a policies/ folder with a sample rule and its test.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("directory", nargs="?", default=".", metavar="DIR", help="where to scaffold (default: here)")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist")


def run(args: argparse.Namespace, io: Any) -> int:
    root = pathlib.Path(args.directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{args.directory}: not a folder", hint="give the folder to scaffold in")
    existing = [rel for rel in FILES if (root / rel).exists()]
    if existing and not args.force:
        raise UsageError(
            f"{(root / existing[0]).as_posix()} already exists",
            hint="pass --force to overwrite what init writes, or scaffold in another folder",
        )
    for rel, content in FILES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        io.stdout.write(f"wrote {target.as_posix()}\n")
    # The schemas the modelines point at; generated, so rewritten by every init (never "exists").
    from guardrails.commands import schema  # the `schema` subcommand's writer
    for target in schema.write(root / SCHEMA_DIR, SCHEMAS):
        io.stdout.write(f"wrote {target.as_posix()}\n")
    io.stdout.write(
        "\nnext:\n"
        "  guardrails test                 run the sample rule's test\n"
        "  guardrails rules lint policies/ check your rule files\n"
        "  guardrails scan .               scan your manifests\n"
    )
    return 0
