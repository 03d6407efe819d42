"""What a rule may read besides the resource it judges, as one value handed to the Engine.

- `inventory`: the objects judged together (the files of one scan, a gator case's inventory
  files); Gatekeeper's referential templates read it as `data.inventory`;
- `namespace_labels`: labels by namespace name, for namespace selectors, when the caller
  knows them (a rule test's values; at admission the resource carries its own);
- `request`: the admission request when a rule test simulates one (None in a scan);
- `variables`: values a rule test gives for variables (Kyverno CLI's values file), by name;
- `today`: the day waivers expire against, never the clock.

Pure and frozen: the engine never learns any of this from a dialect being mutated after load.
Views derived from it (Gatekeeper's inventory tree) are built once per context through
`derived`, so no module keeps a cache of its own.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["Context"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    inventory: tuple[Mapping[str, Any], ...] = ()
    namespace_labels: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    request: Mapping[str, Any] | None = None
    today: datetime.date = datetime.date.min
    variables: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # Views built from the fields above, once per context, by whoever needs them.
    _derived: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to worker processes without its derived views (each process builds its own).
        return (Context, (self.inventory, self.namespace_labels, self.request, self.today, self.variables))

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
