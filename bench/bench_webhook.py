"""The admission webhook under load: `guardrails serve` with the built-in rules against a bare
ASGI app that only parses the review and answers, both served the same way (uvicorn, h11, TLS),
measured side by side in one run with wrk at 1 and 32 keep-alive connections.

Prints requests/s and p50/p99 latency for both and the webhook/bare throughput ratio.
Goal: at 32 connections, >= 50% of the bare app's throughput and p99 under 5 ms.
wrk comes from Debian (`apt-get install wrk`); it is installed on demand when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = "policy-server__deployment_admission_review.json"  # a Deployment the built-in rules deny
DURATION = "6s"
CONNECTIONS = (1, 32)

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _shared() -> pathlib.Path:
    for base in (REPO.parent, *REPO.parent.parents):
        if (base / "shared" / "admission").is_dir():
            return base / "shared"
    raise SystemExit("bench_webhook: shared/admission not found beside the repository")


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench_webhook: wrk is needed (apt-get install wrk)")
    return found


def _start(mode: str, cert_dir: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.webhook_servers", mode, "--cert-dir", cert_dir],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"bench_webhook: the {mode} server did not start")
    return proc, int(line.split()[1])


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    assert m, text
    return float(m.group(1)) * _UNITS[m.group(2)]


def _run_wrk(wrk: str, port: int, connections: int, script: str) -> dict[str, float]:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{DURATION}", "--latency", "-s", script, f"https://127.0.0.1:{port}/validate"]
    subprocess.run([*cmd[:3], "-d1s", *cmd[4:]], capture_output=True, check=False)  # warm-up
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    dist = out.split("Latency Distribution", 1)[1]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", dist, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", dist, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise SystemExit(f"bench_webhook: {non2xx.group(1)} failed requests:\n{out}")
    return {"rps": rps, "p50": p50, "p99": p99}


def _check_answer(port: int, body: bytes, cert_dir: str) -> str:
    import ssl
    import urllib.request

    ctx = ssl.create_default_context(cafile=f"{cert_dir}/ca.crt")
    req = urllib.request.Request(f"https://127.0.0.1:{port}/validate", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        answer = json.loads(resp.read())["response"]
    return "allowed" if answer["allowed"] else f"denied ({answer['status']['message'].count('; ') + 1} violations)"


def run(options: argparse.Namespace) -> None:
    wrk = _wrk()
    raw = json.loads((_shared() / "admission" / SAMPLE).read_text())
    body = json.dumps(raw).encode()
    results: dict[str, dict[int, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = pathlib.Path(tmp) / "post.lua"
        (pathlib.Path(tmp) / "body.json").write_bytes(body)
        script.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f'local f = io.open("{tmp}/body.json", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
        )
        for mode in ("webhook", "bare"):
            cert_dir = f"{tmp}/{mode}"
            proc, port = _start(mode, cert_dir)
            try:
                print(f"{mode}: {_check_answer(port, body, cert_dir)}", flush=True)
                results[mode] = {c: _run_wrk(wrk, port, c, str(script)) for c in CONNECTIONS}
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            time.sleep(0.5)
    print(f"{'connections':>11}  {'server':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for c in CONNECTIONS:
        for mode in ("webhook", "bare"):
            r = results[mode][c]
            print(f"{c:>11}  {mode:<8} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}")
        ratio = results["webhook"][c]["rps"] / results["bare"][c]["rps"]
        print(f"{c:>11}  webhook/bare throughput {ratio:.0%}  (goal >= 50%; p99 goal < 5 ms at 32)")
