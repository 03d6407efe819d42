"""The built-in library cache: what the content key costs against what the cache saves.

Side by side in one process, on the shipped library (every file a scan loads): stat-ing the
files (the old size+mtime key), reading and hashing them (the content key), a warm cache hit
(hash + read + verify + JSON), and parsing them all as YAML (a cold run). Best of N runs each.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable

RUNS = 30


def _best(fn: Callable[[], object], runs: int = RUNS) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(options: argparse.Namespace) -> None:
    from guardrails.policy import cache, load

    root = load.builtin_root()
    files, _ = load.rule_walk([root], gitignore=False)
    files = [f for f in files if not f.name.endswith(load.TEST_SUFFIXES)]
    size = sum(f.stat().st_size for f in files)
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = tmp
        try:
            assert cache.library_documents(files, root, load._parse_library_file) is not None
            stat_s = _best(lambda: [f.stat() for f in files])
            hash_s = _best(lambda: [hashlib.sha256(f.read_bytes()).digest() for f in files])
            hit_s = _best(lambda: cache.library_documents(files, root, load._parse_library_file))
            parse_s = _best(lambda: [load._parse_library_file(f.read_bytes(), f) for f in files], runs=5)
        finally:
            if old is None:
                del os.environ["XDG_CACHE_HOME"]
            else:
                os.environ["XDG_CACHE_HOME"] = old
    print(f"library: {len(files)} files, {size / 1024:.0f} KiB")
    print(f"  stat (old size+mtime key)  {stat_s * 1000:7.2f} ms")
    print(f"  sha256 (content key)       {hash_s * 1000:7.2f} ms   {hash_s / stat_s:5.1f}x stat")
    print(f"  warm cache hit (all of it) {hit_s * 1000:7.2f} ms")
    print(f"  parse YAML (cold)          {parse_s * 1000:7.2f} ms   hit is {parse_s / hit_s:4.1f}x faster;"
          f" hashing is {hash_s / parse_s:.1%} of a parse")
