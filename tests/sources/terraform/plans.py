"""Plans in the exact shape `terraform show -json` writes (format 1.2, Terraform 1.6), built
from a few resource descriptions, for the shapes the shared plans lack: attributes left out
versus written as references versus known, sensitive values, modules with count and for_each.

Terraform itself cannot be installed here (no Debian or PyPI package), so these are written by
hand in the format of ../shared/terraform/ plans: `resource_changes` with before/after,
after_unknown, before_sensitive/after_sensitive; `planned_values` with sensitive_values;
`configuration` with provider_config, module_calls and each resource's expressions.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

_CALL = re.compile(r'module\.([^.\[]+)(?:\[[^\]]*\])?')


@dataclasses.dataclass
class R:
    address: str  # full instance address: module.a["x"].aws_s3_bucket.b[0]
    after: dict[str, Any]
    unknown: dict[str, Any] = dataclasses.field(default_factory=dict)
    expressions: dict[str, Any] | None = None  # None: every known value written as a constant
    sensitive: dict[str, Any] = dataclasses.field(default_factory=dict)
    actions: tuple[str, ...] = ("create",)
    count: bool = False
    for_each: bool = False

    @property
    def module(self) -> str:
        head, _, _ = self.address.rpartition(".")
        head, _, _ = head.rpartition(".")
        return head

    @property
    def local(self) -> str:
        """`aws_s3_bucket.b[0]` -> type, name, index."""
        rest = self.address[len(self.module) + 1 :] if self.module else self.address
        return rest

    @property
    def type(self) -> str:
        return self.local.split(".")[0]

    @property
    def name(self) -> str:
        return self.local.split(".")[1].split("[")[0]

    @property
    def index(self) -> Any:
        m = re.search(r"\[(.*)\]$", self.local)
        if m is None:
            return None
        key = m.group(1)
        return int(key) if key.isdigit() else key.strip('"')


def constant_expressions(after: dict[str, Any]) -> dict[str, Any]:
    """What a configuration that writes every known value as a literal records."""
    out: dict[str, Any] = {}
    for k, v in after.items():
        if v is None:
            continue
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out[k] = [constant_expressions(x) for x in v]
        else:
            out[k] = {"constant_value": v}
    return out


def _call_path(module: str) -> list[str]:
    return [m.group(1) for m in _CALL.finditer(module)]


def plan(*resources: R, sources: dict[str, str] | None = None, variables: dict[str, Any] | None = None,
         outputs: dict[str, Any] | None = None, default_tags: dict[str, str] | None = None) -> dict[str, Any]:
    """A whole plan. `sources`: module call path (`store`, `store.inner`) -> source;
    `variables`: name -> {"value": ..., "sensitive": bool}; `outputs`: name -> {"value", "sensitive"}."""
    sources = sources or {}
    changes = []
    root_cfg: dict[str, Any] = {"resources": []}
    for r in resources:
        rc: dict[str, Any] = {
            "address": r.address,
            "mode": "managed",
            "type": r.type,
            "name": r.name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {
                "actions": list(r.actions),
                "before": None,
                "after": r.after,
                "after_unknown": r.unknown,
                "before_sensitive": False,
                "after_sensitive": r.sensitive,
            },
        }
        if r.module:
            rc["module_address"] = r.module
        if r.index is not None:
            rc["index"] = r.index
        changes.append(rc)
        # the configuration: one block per resource (not per instance)
        node = root_cfg
        for step_i, call in enumerate(_call_path(r.module)):
            key = ".".join(_call_path(r.module)[: step_i + 1])
            calls = node.setdefault("module_calls", {})
            entry = calls.setdefault(call, {"source": sources.get(key, f"./modules/{call}"), "module": {"resources": []}})
            node = entry["module"]
        local_address = f"{r.type}.{r.name}"
        if any(b["address"] == local_address for b in node["resources"]):
            continue
        block: dict[str, Any] = {
            "address": local_address,
            "mode": "managed",
            "type": r.type,
            "name": r.name,
            "provider_config_key": "aws",
            "expressions": r.expressions if r.expressions is not None else constant_expressions(r.after),
            "schema_version": 0,
        }
        if r.count:
            block["count_expression"] = {"constant_value": 2}
        if r.for_each:
            block["for_each_expression"] = {"references": ["var.names"]}
        node["resources"].append(block)
    provider: dict[str, Any] = {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                "expressions": {"region": {"constant_value": "eu-west-1"}}}
    if default_tags:
        provider["expressions"]["default_tags"] = [{"tags": {"constant_value": default_tags}}]
    out: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": "1.6.6",
        "planned_values": {"root_module": {"resources": [
            {"address": r.address, "mode": "managed", "type": r.type, "name": r.name,
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": r.after, "sensitive_values": r.sensitive}
            for r in resources
        ]}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": provider}, "root_module": root_cfg},
        "timestamp": "2026-12-03T08:00:00Z",
        "errored": False,
    }
    if variables:
        out["variables"] = {k: {"value": v["value"]} for k, v in variables.items()}
        root_cfg["variables"] = {k: ({"sensitive": True} if v.get("sensitive") else {}) for k, v in variables.items()}
    if outputs:
        out["planned_values"]["outputs"] = {k: {"sensitive": bool(v.get("sensitive")), "value": v["value"]}
                                            for k, v in outputs.items()}
        out["output_changes"] = {k: {"actions": ["create"], "before": None, "after": v["value"],
                                     "after_unknown": False, "before_sensitive": False,
                                     "after_sensitive": bool(v.get("sensitive"))} for k, v in outputs.items()}
        root_cfg["outputs"] = {k: {"expression": {"references": ["var.x"]}, **({"sensitive": True} if v.get("sensitive") else {})}
                               for k, v in outputs.items()}
    return out
