"""What a rule may read besides the resource it judges, as one value handed to the Engine.

- `inventory`: the objects judged together (the files of one scan, a gator case's inventory
  files); Gatekeeper's referential templates read it as `data.inventory`;
- `namespace_labels`: labels by namespace name, for namespace selectors, when the caller
  knows them (a rule test's values; at admission the resource carries its own);
- `request`: the admission request when a rule test simulates one (None in a scan);
- `variables`: values a rule test gives for variables (Kyverno CLI's values file), by name;
- `today`: the day waivers expire against, never the clock;
- `clock`: the evaluation time of rules that read the clock (Kyverno's CEL `time.now()`,
  JMESPath `time_now`): a fixed time (`--now TIME`), the wall clock read at each call (`serve
  --now wall`: admission happens now), or None, and those rules are visible skips.

Pure and frozen: the engine never learns any of this from a dialect being mutated after load.
Views derived from it (Gatekeeper's inventory tree) are built once per context through
`derived`, so no module keeps a cache of its own.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["RFC3339", "Clock", "Context", "FixedClock", "parse_time", "wall_clock"]

T = TypeVar("T")
Clock = Callable[[], datetime.datetime]


@dataclasses.dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock that always answers the same time (picklable, for scan workers)."""

    time: datetime.datetime

    def __call__(self) -> datetime.datetime:
        return self.time


# An evaluation time as `--now` and `now:` take it: RFC 3339, seconds given, with its zone.
RFC3339 = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
_RFC3339 = re.compile(RFC3339)


def parse_time(text: str) -> datetime.datetime | None:
    """An RFC 3339 time (with its zone), else None."""
    if not _RFC3339.match(text):
        return None
    try:
        return datetime.datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:  # 2026-02-30...
        return None


def wall_clock() -> datetime.datetime:
    """The real time, in UTC: for admission only, where the decision really happens now."""
    return datetime.datetime.now(datetime.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    inventory: tuple[Mapping[str, Any], ...] = ()
    namespace_labels: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    request: Mapping[str, Any] | None = None
    today: datetime.date = datetime.date.min
    variables: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    clock: Clock | None = None
    # Views built from the fields above, once per context, by whoever needs them.
    _derived: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to worker processes without its derived views (each process builds its own).
        return (Context, (self.inventory, self.namespace_labels, self.request, self.today, self.variables,
                          self.clock))

    def now(self) -> datetime.datetime | None:
        """The evaluation time, read once per call (None: no clock was given)."""
        return self.clock() if self.clock is not None else None

    def replace(self, **changes: Any) -> Context:
        """A copy with some fields changed (and none of this one's derived views)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.name.startswith("_")}
        fields.update(changes)
        return Context(**fields)

    def derived(self, key: str, build: Callable[[Context], T]) -> T:
        """`build(self)`, computed once for this context under `key` (two threads racing at
        worst both build it; the views are pure, so either result is the same)."""
        if key not in self._derived:
            self._derived[key] = build(self)
        value: T = self._derived[key]
        return value
