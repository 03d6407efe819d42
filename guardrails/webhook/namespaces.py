"""The labels of every Namespace, kept current by a list and watch through the `kubernetes` client.

Rules with a `namespaceSelector` (in a match, an exclusion, a Kyverno failure-action override)
need the labels of the object's namespace, which the AdmissionReview does not carry. A
background thread lists the Namespaces once, then follows the watch from the list's
resourceVersion; a watch that ends or fails (410 Gone, the API server away) is followed by a
fresh list after a short pause. A name not seen yet (created a moment ago, the watch lagging)
is looked up directly, with a short timeout. `get` returns None when the labels cannot be
known: the webhook then answers by its fail mode, never as if the namespace had no labels.

Least RBAC (deploy/rbac.yaml): `get`, `list` and `watch` on `namespaces`, nothing else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from guardrails.webhook import logs

__all__ = ["NamespaceLabels"]


def _labels_of(obj: Any) -> tuple[str, dict[str, str]] | None:
    meta = getattr(obj, "metadata", None)
    name = getattr(meta, "name", None)
    if not isinstance(name, str):
        return None
    labels = getattr(meta, "labels", None) or {}
    return name, {str(k): str(v) for k, v in labels.items()}


class NamespaceLabels:
    def __init__(
        self, core: Any, *, lookup_timeout: float = 1.0, watch_seconds: int = 300, retry_seconds: float = 1.0
    ) -> None:
        self.core = core
        self.lookup_timeout = lookup_timeout
        self.watch_seconds = watch_seconds
        self.retry_seconds = retry_seconds
        self._labels: dict[str, dict[str, str]] = {}
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        self.lists = 0  # full lists done (a test watches relists happen)

    def start(self) -> NamespaceLabels:
        self._thread = threading.Thread(target=self._run, name="namespace-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 0.0) -> None:
        """Stop following the watch (it ends at its next event or bookmark); wait that long."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(wait)

    def get(self, name: str) -> Mapping[str, str] | None:
        """The namespace's labels, or None when they cannot be known right now."""
        labels = self._labels.get(name)
        if labels is not None:
            return labels
        try:
            found = _labels_of(self.core.read_namespace(name, _request_timeout=self.lookup_timeout))
        except Exception as e:  # 404, RBAC, the API server away: unknown, never "no labels"
            self._report(f"namespace {name!r} not resolved: {type(e).__name__}: {getattr(e, 'reason', e)}")
            return None
        if found is None:
            return None
        self._labels[found[0]] = found[1]
        return found[1]

    def _run(self) -> None:
        from kubernetes import watch

        while not self._stop.is_set():
            try:
                listed = self.core.list_namespace(_request_timeout=10)
                fresh = {}
                for item in listed.items or ():
                    found = _labels_of(item)
                    if found is not None:
                        fresh[found[0]] = found[1]
                self._labels = fresh  # one assignment: readers see the old map or the new one
                self.lists += 1
                self.synced.set()
                self._last_error = None
                w = watch.Watch()  # type: ignore[no-untyped-call]
                for event in w.stream(  # type: ignore[no-untyped-call]
                    self.core.list_namespace,
                    resource_version=listed.metadata.resource_version,
                    timeout_seconds=self.watch_seconds,
                    allow_watch_bookmarks=True,
                ):
                    if self._stop.is_set():
                        w.stop()  # type: ignore[no-untyped-call]
                        return
                    kind = event.get("type")
                    found = _labels_of(event.get("object"))
                    if found is None:
                        continue
                    if kind in ("ADDED", "MODIFIED"):
                        self._labels[found[0]] = found[1]
                    elif kind == "DELETED":
                        self._labels.pop(found[0], None)
            except Exception as e:  # a 410 Gone or a lost connection: list again after a pause
                self._report(f"namespace watch failed, listing again: {type(e).__name__}: {getattr(e, 'reason', e)}")
                self._stop.wait(self.retry_seconds)

    def _report(self, error: str) -> None:
        # One line per distinct problem, not one per request: a lost API server is not a log storm.
        if error != self._last_error:
            self._last_error = error
            logs.event(logging.WARNING, error)
