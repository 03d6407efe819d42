"""Memory and time of each output format on one large scan, side by side in this run.

The bench corpus (10,000 workloads) is scanned once; then each format writes the same report to
a file while tracemalloc records the peak of what writing allocated beyond the report itself.
Printed per format: that peak per finding, the output's size per finding, and the peak as a
ratio of the findings' own records (what the report already holds): a streaming writer stays
near zero whatever the number of findings.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time
import tracemalloc

from bench.corpus import corpus


def _records_size(report: object) -> int:
    """Bytes of the finding records the report holds (measured by rebuilding them traced)."""
    import copy

    tracemalloc.start()
    copied = copy.deepcopy(report.findings)  # type: ignore[attr-defined]
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del copied
    return size


def run(options: argparse.Namespace) -> None:
    from guardrails.reporters import FORMATS, ReportOptions, get
    from guardrails.scan import RuleLoader, scan

    root = corpus()
    report = scan([str(root)], rules=RuleLoader()())
    n = len(report.findings)
    if not n:  # a bench that judged nothing must never print a ratio
        raise SystemExit(f"bench_reporters: the corpus at {root} gave no findings: {report.notices}")
    records = _records_size(report)
    print(f"report: {report.resources:,} resources, {n:,} findings; the findings' records: {records / n / 1024:.2f} KB per finding")
    with tempfile.TemporaryDirectory() as tmp:
        for name in FORMATS:
            out = pathlib.Path(tmp) / f"report.{name}"
            writer = get(name)
            with out.open("w", encoding="utf-8") as stream:
                tracemalloc.start()
                t = time.perf_counter()
                writer(report, stream, ReportOptions())
                seconds = time.perf_counter() - t
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            size = os.path.getsize(out)
            print(
                f"  {name:13} peak while writing {peak / n / 1024:6.2f} KB per finding "
                f"({peak / records:5.2f}x the records), output {size / n / 1024:5.2f} KB per finding, "
                f"{seconds:.2f}s (traced)"
            )
    sys.stdout.flush()
