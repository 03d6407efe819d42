"""Time budgets for rule evaluation: a rule that runs past its budget is interrupted.

Python cannot cancel a running function, so a watchdog thread (one per evaluating thread, made
on first use) raises `OutOfTime` *in* the evaluating thread when its deadline passes
(`PyThreadState_SetAsyncExc`). The exception lands at the next bytecode the thread runs: pure
Python loops (JMESPath, patterns, nested foreach) stop within microseconds; native code
(re2, CEL, Rego) stops when it returns to Python (CEL has its own cost budget; a native engine
that never returns is the webhook's worker supervisor's job). `OutOfTime` is a BaseException,
so rule code's `except Exception` cannot swallow it.

Arming is cheap (a lock, no thread per call): the watchdog sleeps until the earliest deadline
it knows and re-reads the current one when it wakes.
"""

from __future__ import annotations

import ctypes
import dataclasses
import threading
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Budget", "OutOfTime", "Watchdog", "remaining", "run_within", "watchdog"]

T = TypeVar("T")


class OutOfTime(BaseException):
    """Raised inside a thread whose evaluation ran past its deadline."""


@dataclasses.dataclass(slots=True)
class Budget:
    """The time one resource's evaluation may take, and what became of it: `current` is the
    rule being judged (so a caller that gave up waiting can name it), `ran_out` the rule that
    was interrupted."""

    seconds: float
    # At admission: the deadline as configured (for messages), and the time left, once a rule ran
    # out, for the rules after it (so one slow rule cannot hide another's deny).
    deadline: float = 0.0
    grace: float = 0.0
    current: str | None = None
    ran_out: str | None = None
    unjudged: frozenset[str] = frozenset()  # rules whose ERROR findings say the budget ran out


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


class Watchdog:
    """Interrupts one thread (the one that made it) when its armed deadline passes."""

    def __init__(self) -> None:
        self._tid = threading.get_ident()
        # The worked thread takes the bare lock, never `with self._cv`: Condition.__enter__ is
        # Python code, and an OutOfTime landing in it after the acquire would leave the lock held
        # for ever (the next disarm then waits for good, and the pool loses the thread).
        self._lock = threading.Lock()
        self._cv = threading.Condition(self._lock)
        self._deadline: float | None = None
        self._idle = True  # the watchdog sleeps with no deadline: arming must wake it
        self._pending = False  # an OutOfTime was sent and may not have landed yet
        self.fired = 0
        self._thread = threading.Thread(target=self._watch, name="guardrails-watchdog", daemon=True)
        self._thread.start()

    def arm(self, seconds: float) -> None:
        with self._lock:
            self._deadline = time.monotonic() + seconds
            self._pending = False
            if self._idle:
                self._cv.notify()

    def disarm(self) -> None:
        with self._lock:
            self._deadline = None
            if self._pending:
                # Fired but not landed (the work finished first): take it back, so it never
                # lands in whatever this thread runs next.
                _set_async_exc(self._tid, ctypes.py_object())
                self._pending = False

    def _watch(self) -> None:
        with self._cv:
            while True:
                deadline = self._deadline
                if deadline is None:
                    self._idle = True
                    self._cv.wait()
                    self._idle = False
                    continue
                left = deadline - time.monotonic()
                if left > 0:
                    self._cv.wait(left)
                    continue
                self._deadline = None
                self._pending = True
                self.fired += 1
                _set_async_exc(self._tid, ctypes.py_object(OutOfTime))


_local = threading.local()


def watchdog() -> Watchdog:
    """The current thread's watchdog."""
    dog: Watchdog | None = getattr(_local, "dog", None)
    if dog is None:
        dog = _local.dog = Watchdog()
    return dog


def remaining() -> float | None:
    """Seconds left before this thread's armed deadline (0 once it fired), None when unarmed:
    what a wait on work this thread cannot interrupt (a worker process) may take."""
    dog: Watchdog | None = getattr(_local, "dog", None)
    if dog is None:
        return None
    if dog._pending:
        return 0.0
    deadline = dog._deadline
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def run_within(seconds: float, fn: Callable[[], T]) -> T:
    """fn() in this thread, interrupted with OutOfTime once `seconds` have passed."""
    dog = watchdog()
    try:
        dog.arm(seconds)
        try:
            return fn()
        finally:
            dog.disarm()
    except OutOfTime:
        dog.disarm()
        raise
