"""Running a renderer (`helm template`, `kubectl kustomize`) with bounds: a deadline, a cap on what
it may write (the process is killed past it, before the output is held in memory), and its own
last error line in the message. The renderers differ only in their command and their words."""

from __future__ import annotations

import selectors
import subprocess
import time
from collections.abc import Sequence

from guardrails.errors import SourceError
from guardrails.model import Location

__all__ = ["MAX_OUTPUT", "TIMEOUT", "render_output"]

TIMEOUT = 120.0  # seconds for one render; a hung renderer is an error, never a stall
MAX_OUTPUT = 64 * 1024 * 1024  # the reader's own limit for one file
_MAX_STDERR = 64 * 1024  # only its last line is shown


def render_output(argv: Sequence[str], *, name: str, where: Location, rerun: str, timeout: float = TIMEOUT) -> str:
    """The standard output of `argv`, or a SourceError at `where`: `name` ("helm template") says
    what failed, `rerun` the command that shows the whole error."""
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise SourceError(f"cannot run {name.split()[0]}: {e.strerror or e}", location=where) from None
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None and proc.stderr is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, out)
        sel.register(proc.stderr, selectors.EVENT_READ, err)
        try:
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SourceError(f"{name} did not finish in {timeout:g}s", location=where, hint="the rest of the scan went on")
                for key, _ in sel.select(left):
                    chunk = key.fileobj.read1(65536)  # type: ignore[union-attr]
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    buf: bytearray = key.data
                    buf += chunk
                    if buf is out and len(out) > MAX_OUTPUT:
                        raise SourceError(f"{name} wrote more than {MAX_OUTPUT // (1024 * 1024)} MiB", location=where)
                    if buf is err and len(err) > _MAX_STDERR:
                        del err[: len(err) - _MAX_STDERR]
            code = proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise SourceError(f"{name} did not finish in {timeout:g}s", location=where, hint="the rest of the scan went on") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
    if code != 0:
        why = err.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(
            f"{name} failed (exit {code}): {why[-1] if why else 'no message'}",
            location=where, hint=f"run `{rerun}` to see the whole error",
        )
    return out.decode("utf-8", "replace")
