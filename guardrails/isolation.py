"""Supervised worker processes for native evaluators that cannot be interrupted.

`budget.py` interrupts Python code; a native engine (regorus) that loops never returns to
Python, and one that crashes (a segfault, an abort) takes the process with it. Work for such an
engine runs here in a worker process instead: forked from this one once the rules are compiled,
so the compiled programs are inherited and only a call's arguments and result cross the pipe.
The caller waits no longer than its thread's budget (`budget.remaining()`, else `FALLBACK`):

- past it, the worker is killed and the caller gets `OutOfTime` (the engine names the rule, as
  for any rule out of time), or `WorkerTimeout` when no budget was armed;
- a worker that dies gives `WorkerCrashed` naming the signal (the rule's ERROR);
- either way the next call forks a fresh worker: one bad object never leaves a stuck one.

Objects a worker calls are `share`d first (a key; the parent holds them weakly): a worker knows
the objects shared before it was forked, so a call on a newer one goes to a newer worker and
idle workers that are too old are retired. Mode "off" runs everything in-process, as before:
chosen by `--isolation off` or `isolation: off` in the settings (config.merge; the command sets
it with `chosen()`), else by GUARDRAILS_ISOLATION=off in the environment, or `configure("off")`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import itertools
import os
import pickle
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe
from typing import Any

from guardrails.budget import OutOfTime, remaining

__all__ = [
    "FALLBACK", "MODES", "WorkerCrashed", "WorkerTimeout", "call", "chosen", "configure", "enabled", "name", "share",
    "stats",
]

MODES = ("native", "off")
# Seconds a call may take when its thread has no budget armed (a load-time compile, a rule
# test): far above any honest Rego evaluation, so only a runaway one reaches it.
FALLBACK = 10.0
# Concurrent workers at most: calls beyond wait for one (within their budget).
MAX_WORKERS = 16
# How long past the budget the parent waits before it kills the worker: the watchdog's own
# OutOfTime is then the one that lands.
_SLACK = 0.05
_MAX_FD = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536


class WorkerCrashed(RuntimeError):
    """The worker process died while evaluating (a native crash)."""


class WorkerTimeout(RuntimeError):
    """The worker ran past FALLBACK with no budget armed; it was killed."""


_mode = os.environ.get("GUARDRAILS_ISOLATION", "native").strip().lower() or "native"
if _mode not in MODES:  # a typo never silently turns the protection off
    _mode = "native"


def configure(mode: str) -> None:
    """"native": uninterruptible native evaluators run in workers (the default); "off": in-process."""
    global _mode
    if mode not in MODES:
        raise ValueError(f"isolation mode must be one of {', '.join(MODES)}, not {mode!r}")
    _mode = mode


def enabled() -> bool:
    return _mode != "off"


def name() -> str:
    """The mode in the user's words: "on" or "off"."""
    return "on" if enabled() else "off"


@contextlib.contextmanager
def chosen(choice: str | None) -> Iterator[None]:
    """Within the block, isolation as a command's flags and settings chose it ("on" or "off";
    None: as the environment or `configure` left it), restored after."""
    global _mode
    before = _mode
    if choice is not None:
        configure("native" if choice == "on" else choice)
    try:
        yield
    finally:
        _mode = before


_keys = itertools.count(1)
_shared: dict[int, weakref.ref[Any]] = {}
_lock = threading.Lock()


def share(obj: Any) -> int:
    """A key for calling `obj`'s methods in workers forked from now on (held weakly)."""
    with _lock:
        key = next(_keys)
        _shared[key] = weakref.ref(obj)
        for k in [k for k, ref in _shared.items() if ref() is None]:
            del _shared[k]
    return key


@dataclasses.dataclass(slots=True)
class _Worker:
    pid: int
    conn: Connection
    knows: int  # the newest key shared before it was forked
    calls: int = 0


@dataclasses.dataclass(slots=True)
class _Stats:
    forked: int = 0
    killed: int = 0
    crashed: int = 0


class _Pool:
    def __init__(self) -> None:
        self.cv = threading.Condition(threading.Lock())
        self.idle: list[_Worker] = []
        self.busy = 0
        self.stats = _Stats()

    def acquire(self, needs: int, seconds: float) -> _Worker:
        end = time.monotonic() + seconds
        with self.cv:
            while True:
                while self.idle:
                    w = self.idle.pop()
                    if w.knows >= needs and not w.conn.poll(0):
                        self.busy += 1
                        return w
                    _kill(w, self.stats)  # too old for this call, or died while idle
                if self.busy < MAX_WORKERS:
                    self.busy += 1
                    break
                left = end - time.monotonic()
                if left <= 0 or not self.cv.wait(left):
                    raise _Full()
        try:
            return _fork(self.stats)
        except BaseException:
            self.done(None)
            raise

    def done(self, w: _Worker | None) -> None:
        with self.cv:
            self.busy -= 1
            if w is not None:
                self.idle.append(w)
            self.cv.notify()


class _Full(Exception):
    pass


_pool = _Pool()


def stats() -> dict[str, int]:
    """Workers forked, killed (past their time or too old) and crashed, in this process."""
    s = _pool.stats
    return {"forked": s.forked, "killed": s.killed, "crashed": s.crashed, "idle": len(_pool.idle)}


def _forget() -> None:
    """In a forked child: the parent's workers are not ours to use (nor kill)."""
    global _pool
    for w in _pool.idle:
        w.conn.close()
    _pool = _Pool()


os.register_at_fork(after_in_child=_forget)


def _fork(stats: _Stats) -> _Worker:
    with _lock:
        knows = max(_shared, default=0)
    parent, child = Pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the worker
        code = 1
        try:
            parent.close()
            # Only the pipe stays open: an inherited socket (the webhook's listener, its
            # clients' connections) would otherwise stay open as long as the worker lives.
            keep = child.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, _MAX_FD)
            _serve(child)
            code = 0
        finally:
            os._exit(code)
    child.close()
    stats.forked += 1
    return _Worker(pid, parent, knows)


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the worker
    # Ctrl-C reaches the whole process group: the parent decides when a worker ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The parent reports a crash (naming the signal); a traceback dump would only garble its logs.
    faulthandler.disable()
    while True:
        try:
            target, method, args = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        try:
            if isinstance(target, int):
                ref = _shared.get(target)
                obj = ref() if ref is not None else None
                if obj is None:
                    raise RuntimeError("isolated worker: the object called was not shared before the fork")
                fn: Callable[..., Any] = getattr(obj, method)
            else:
                fn = target
            reply: tuple[bool, Any] = (True, fn(*args))
        except BaseException as e:  # the caller re-raises it
            reply = (False, e)
        try:
            conn.send(reply)
        except Exception:
            # An exception or result pickle cannot carry (pyo3's PanicException): its words.
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


def _kill(w: _Worker, stats: _Stats) -> int:
    """Kill and reap the worker; its exit status."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(w.pid, signal.SIGKILL)
    w.conn.close()
    stats.killed += 1
    try:
        return os.waitpid(w.pid, 0)[1]
    except ChildProcessError:
        return 0


def _died(w: _Worker, stats: _Stats) -> str:
    w.conn.close()
    try:
        status = os.waitpid(w.pid, 0)[1]
    except ChildProcessError:
        status = 0
    stats.crashed += 1
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}"
    return f"exited with status {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"


def call(target: int | Callable[..., Any], method: str, *args: Any) -> Any:
    """`getattr(shared[target], method)(*args)` (or `target(*args)` for a module-level function)
    in a worker process, within this thread's budget. In mode "off", in this process."""
    if not enabled():
        if isinstance(target, int):
            ref = _shared.get(target)
            obj = ref() if ref is not None else None
            if obj is None:
                raise RuntimeError("isolated call on an object no longer shared")
            return getattr(obj, method)(*args)
        return target(*args)
    left = remaining()
    seconds = FALLBACK if left is None else left
    started = time.monotonic()
    try:
        w = _pool.acquire(target if isinstance(target, int) else 0, seconds + _SLACK)
    except _Full:
        if left is not None:
            raise OutOfTime() from None
        raise WorkerTimeout(f"no isolated worker free within {FALLBACK:g} s") from None
    try:
        w.conn.send((target, method, args))
        wait = max(0.0, seconds - (time.monotonic() - started)) + _SLACK
        if not w.conn.poll(wait):
            _kill(w, _pool.stats)
            _pool.done(None)
            w = None  # type: ignore[assignment]
            if left is not None:
                raise OutOfTime()
            raise WorkerTimeout(f"its native evaluator ran past {FALLBACK:g} s and was stopped")
        ok, value = w.conn.recv()
    except (EOFError, OSError, pickle.UnpicklingError):
        why = _died(w, _pool.stats)
        _pool.done(None)
        raise WorkerCrashed(f"its native evaluator crashed (the isolated worker was {why}); a fresh one takes over") from None
    except BaseException:
        if w is not None:
            _kill(w, _pool.stats)
            _pool.done(None)
        raise
    w.calls += 1
    _pool.done(w)
    if not ok:
        raise value
    return value
