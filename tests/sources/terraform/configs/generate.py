"""Write NAME.plan.json beside every configuration folder here, with the real Terraform and AWS
provider: `python tests/sources/terraform/configs/generate.py` (`make tf-plans`).

The plans are committed: planning needs the provider binary (a filesystem mirror, no network)
and takes about a minute per folder, too slow for every test run. The provider blocks carry
placeholder keys and skip every AWS call, so nothing leaves the machine; `-refresh=false`
keeps the plan about the configuration alone. Needs TF_PLUGINS (default /opt/tf-plugins), a
mirror holding registry.terraform.io/hashicorp/aws.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def _cli_config(plugins: str, folder: pathlib.Path) -> pathlib.Path:
    rc = folder / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{plugins}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
    )
    return rc


def generate(config: pathlib.Path, plugins: str) -> pathlib.Path:
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp) / config.name
        shutil.copytree(config, work)
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(_cli_config(plugins, pathlib.Path(tmp))),
               "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        for args in (["init", "-input=false"], ["plan", "-input=false", "-refresh=false", "-out=plan.out"]):
            subprocess.run(["terraform", *args, "-no-color"], cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
        shown = subprocess.run(["terraform", "show", "-json", "plan.out"], cwd=work, env=env, check=True,
                               capture_output=True, text=True).stdout
    plan = json.loads(shown)
    plan["timestamp"] = "2026-12-03T00:00:00Z"  # stable across regenerations
    out = HERE / f"{config.name}.plan.json"
    out.write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n")
    return out


def main() -> int:
    if shutil.which("terraform") is None:
        print("terraform is not on PATH", file=sys.stderr)
        return 2
    plugins = os.environ.get("TF_PLUGINS", "/opt/tf-plugins")
    names = sys.argv[1:] or sorted(p.name for p in HERE.iterdir() if (p / "main.tf").is_file())
    for name in names:
        print(generate(HERE / name, plugins).relative_to(HERE.parents[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
