"""The errors a user can cause, as values; rendered only at the edges (CLI line, HTTP 400).

    GuardrailsError            message + location (file, line, column) + hint
    ├── RuleFileError          a rule, exception or policy document is invalid
    ├── SourceError            an input cannot be parsed (YAML, plan JSON)
    │   └── UnreadableError    an input cannot be read at all (permission, device): exit 2
    ├── ConfigError            .guardrails.yaml is invalid
    └── UsageError             a bad flag or argument combination

    ParamError (a ValueError)  one bad field inside a check's or policy's parameters, with its
                               path; the loader turns it into a RuleFileError at that line

A RuleFileError can carry more problems than the one it shows (`more`): `guardrails rules lint`
prints all of them, the one-line CLI message picks the most relevant and counts the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from guardrails.model import FieldPath, Location

__all__ = [
    "ConfigError",
    "GuardrailsError",
    "ParamError",
    "RuleFileError",
    "SourceError",
    "UnreadableError",
    "UsageError",
]


class GuardrailsError(Exception):
    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
        more: Sequence[GuardrailsError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        self.more = tuple(more)

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle through args only; keep location and hint across --jobs workers.
        return (_rebuild, (type(self), self.message, self.location, self.hint, self.more))

    def render(self) -> str:
        """One line: `file:line:col: message — hint`, plus a count of further problems."""
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" — {self.hint}"
        if self.more:
            text += f" ({len(self.more)} more: run guardrails rules lint)"
        return text

    def all(self) -> tuple[GuardrailsError, ...]:
        """This problem and every further one it carries."""
        return (self, *self.more)

    def __str__(self) -> str:
        return self.render()


def _rebuild(
    cls: type[GuardrailsError],
    message: str,
    location: Location | None,
    hint: str | None,
    more: tuple[GuardrailsError, ...],
) -> GuardrailsError:
    return cls(message, location=location, hint=hint, more=more)


class RuleFileError(GuardrailsError):
    pass


class SourceError(GuardrailsError):
    pass


class UnreadableError(SourceError):
    """An input that could not be read at all (permission, device, socket): the run failed (exit 2),
    unlike a malformed one, which is a finding-like problem (exit 1)."""


class ConfigError(GuardrailsError):
    pass


class UsageError(GuardrailsError):
    pass

class ParamError(ValueError):
    """A check parameter is invalid. `path` is relative to the check's params."""

    def __init__(self, message: str, path: FieldPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
