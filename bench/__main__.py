"""`make bench`: every `bench/bench_*.py` module's `run(options)`, in one process, in order.

Each benchmark prints ratios measured side by side in this one run (a floor in the same
process, or a peer tool on the same input): absolute times on 2-core CI machines are noise.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--peer", action="store_true", help="also run peer tools (checkov) on the same input")
    parser.add_argument("--only", action="append", default=[], help="run only benchmarks whose name contains this")
    options = parser.parse_args()
    here = pathlib.Path(__file__).parent
    sys.path.insert(0, str(here.parent))
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem
        if options.only and not any(o in name for o in options.only):
            continue
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").run(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
