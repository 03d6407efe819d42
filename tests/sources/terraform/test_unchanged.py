"""Speed work on the plan mapping must not change a single byte of what a scan reports: each
plan's JSON report (the eight rules the library had before the speed work, so new rules do not
move it) and its mapped resources (objects, unknown and computed paths) are compared with
digests recorded before the change (`data/unchanged.json`).

After a deliberate change of mapping or wording, rerun
`python -m tests.sources.terraform.test_unchanged` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import pathlib
import re
import sys
from typing import Any

from guardrails import cli
from guardrails.sources.terraform import plan as terraform
from tests import shared

REPO = pathlib.Path(__file__).resolve().parents[3]
DIGESTS = pathlib.Path(__file__).parent / "data" / "unchanged.json"
RULES = (
    "terraform-approved-registries",
    "terraform-container-resources",
    "terraform-encryption-at-rest",
    "terraform-required-tags",
    "terraform-s3-block-public-access",
    "terraform-s3-no-public-acl",
    "terraform-no-public-rdp",
    "terraform-no-public-ssh",
)
EXAMPLES = ("plan.json", "compliant-plan.json")


def _generated(tmp: pathlib.Path) -> pathlib.Path:
    """The benchmark's plan (modules, unknowns, default tags, kubernetes_* and ECS), 600 changes."""
    sys.path.insert(0, str(REPO))
    from bench.bench_terraform import make_plan

    path = tmp / "generated.json"
    path.write_text(json.dumps(make_plan(600)))
    return path


def _plans(tmp: pathlib.Path) -> dict[str, pathlib.Path]:
    out = {f"examples/{n}": REPO / "examples" / "terraform" / n for n in EXAMPLES}
    out["generated"] = _generated(tmp)
    if shared.available():
        for p in sorted(shared.path("terraform").glob("*.json")):
            out[f"shared/{p.name}"] = p
    return out


def _report(path: pathlib.Path) -> str:
    args = ["scan", str(path), "--profile", "terraform", "--format", "json", "--all-resources"]
    for r in RULES:
        args += ["--only", r]
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    code = cli.run(args, stdin=stdin, stdout=out, stderr=err)
    text = f"{code}\n{out.getvalue()}\n{err.getvalue()}".replace(str(path.parent), "<dir>")
    text = re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text)
    # the settings' word on placeholder parameters (approved registries, tags) says nothing of the plan
    text = re.sub(r'"notices": \[\s*"[^"]*placeholder values[^"]*"\s*\]', '"notices": []', text)
    # a fingerprint hashes the file's path, absolute for a plan outside the root (a temp folder)
    return re.sub(r'"fingerprint": "[0-9a-f]+"', '"fingerprint": "<fp>"', text)


def _mapped(path: pathlib.Path) -> str:
    data = terraform.read_plan(path.read_bytes(), path.name)
    rows: list[Any] = []
    for r in terraform.resources(data, path.name, all_resources=True, problems=[]):
        rows.append([r.obj, sorted(map(repr, r.unknown)), sorted(map(repr, r.computed)), repr(r.origin)])
    return json.dumps(rows, sort_keys=True, default=repr)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digests(tmp: pathlib.Path) -> dict[str, dict[str, str]]:
    return {name: {"report": _digest(_report(p)), "mapped": _digest(_mapped(p))} for name, p in _plans(tmp).items()}


def test_reports_and_mapping_are_unchanged(tmp_path: pathlib.Path) -> None:
    recorded = json.loads(DIGESTS.read_text())
    got = digests(tmp_path)
    if not shared.available():
        shared.require("terraform")  # skips (fails in CI) once the local plans have been compared below
    assert {k: v for k, v in got.items() if not k.startswith("shared/")} == {
        k: v for k, v in recorded.items() if not k.startswith("shared/")
    }
    assert got == recorded


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        DIGESTS.write_text(json.dumps(digests(pathlib.Path(d)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}")
