"""`python -m bench.rego_suites ENGINE`: every gatekeeper-library suite case with every template
on its Rego through one engine (regorus or regopy); prints cases passed and time per query.
Run by bench_cel in a process of its own: rego-cpp cannot share a process with cel-cpp."""

from __future__ import annotations

import pathlib
import sys
import time

import yaml


def main(engine: str) -> int:
    from guardrails.dialects.gatekeeper import constraint, rego

    try:
        program = rego.RegorusProgram if engine == "regorus" else rego.RegopyProgram
        if engine == "regorus" and rego._import_regorus() is None:
            raise ImportError("gordon-to-regorus")
        if engine == "regopy":
            rego._import_rego()
    except (ImportError, rego.RegoError) as e:
        print(f"not installed ({e})")
        return 0
    rego.RegoProgram = program
    constraint_mod = constraint  # Programs imports RegoProgram lazily from rego at first use
    del constraint_mod
    from guardrails.ruletest import gator

    root = next(p / "shared" / "conformance" / "gatekeeper" for p in pathlib.Path(__file__).resolve().parents
                if (p / "shared" / "conformance" / "gatekeeper").is_dir())
    passed = total = 0
    seconds = 0.0
    for suite in sorted(root.glob("*/*/suite.yaml")):
        doc = yaml.safe_load(suite.read_text())
        start = time.perf_counter()
        outcomes, errors = gator.run_suite(suite, doc, engine="rego")
        seconds += time.perf_counter() - start
        total += len(outcomes) + len(errors)
        passed += sum(1 for o in outcomes if o.ok)
    print(f"{passed}/{total} library cases pass; {seconds / max(total, 1) * 1e3:.2f} ms per case (load+query)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
