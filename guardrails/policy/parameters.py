"""Rule parameters: the values of a native rule an organisation sets without copying the rule.

A rule declares them in `spec.parameters`; each names the field of the rule it sets, the JSON
Schema a value must satisfy, and, when the rule file's value is an example rather than a
default to keep (a registry, a label key), what the organisation has to put there:

```yaml
spec:
  parameters:
    registries:
      field: images.allow                  # the field this parameter sets; its value is the default
      description: Registry globs images may come from.
      schema: {type: array, items: {type: string, minLength: 1}, minItems: 1}
      placeholder: your registries         # the default is an example: set it
  images:
    allow: [ghcr.io/myorg/*]
```

`.guardrails.yaml` sets them by rule name (`parameters: {approved-registries: {registries:
[...]}}`). A `Binder` carries those settings through one load: it puts each value in its rule's
field before the rule is compiled, after checking it against the parameter's schema (an error
names the settings file and line), and at the end names every setting that reached no rule or no
parameter (with "did you mean"). jsonschema is imported only when a value is set or a user's rule
is validated, never on a plain scan of the built-in library.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Callable, Mapping
from typing import Any

from guardrails.errors import ConfigError, GuardrailsError, RuleFileError
from guardrails.model import FieldPath, Location

__all__ = ["Binder", "Parameter", "RuleSettings", "Setting", "describe_value"]

SETTINGS_KEY = "parameters"


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    """One value `.guardrails.yaml` gives a rule's parameter, with where it was written."""

    value: Any
    location: Location


@dataclasses.dataclass(frozen=True, slots=True)
class RuleSettings:
    """The values `.guardrails.yaml` gives one rule's parameters; `location` is the rule's key."""

    location: Location
    values: Mapping[str, Setting]


@dataclasses.dataclass(frozen=True, slots=True)
class Parameter:
    """A rule's parameter as this load uses it: declaration, default and the value in force."""

    rule: str
    name: str
    field: tuple[str | int, ...]
    schema: Mapping[str, Any]
    default: Any
    value: Any
    source: Location | None  # where `value` was written: the settings, or the rule's own field
    description: str = ""
    placeholder: str = ""  # what to set, when the default is only an example
    configured: bool = False  # the value comes from the settings

    @property
    def on_placeholder(self) -> bool:
        """The rule runs on an example value its author marked for replacing. A setting equal
        to the example (what `guardrails init` writes before anyone edits it) is still one."""
        return bool(self.placeholder) and self.value == self.default


def describe_value(value: Any) -> str:
    """A value in the settings' own notation (flow YAML), for `rules show` and errors."""
    import json

    return json.dumps(value, ensure_ascii=False)


def _declared(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = spec.get("parameters")
    return raw if isinstance(raw, Mapping) else {}


def _steps(field: str) -> tuple[str | int, ...]:
    """`match.selector.matchExpressions.0.values` -> its keys, list indexes as ints."""
    return tuple(int(k) if k.isdigit() else k for k in field.split("."))


def _get(spec: Mapping[str, Any], field: tuple[str | int, ...]) -> tuple[bool, Any]:
    node: Any = spec
    for key in field:
        listed = isinstance(key, int) and isinstance(node, list) and key < len(node)
        if not (listed or (isinstance(key, str) and isinstance(node, Mapping) and key in node)):
            return False, None
        node = node[key]
    return True, node


def _set(spec: Any, field: tuple[str | int, ...], value: Any) -> None:
    node = spec
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = value


def _schema_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """Why `value` does not satisfy `schema` (jsonschema's most relevant error), or None."""
    import jsonschema  # only when a value is checked: never on a plain built-in scan

    from guardrails.kube.paths import display

    cls = jsonschema.validators.validator_for(schema)
    err = jsonschema.exceptions.best_match(cls(schema).iter_errors(value))
    if err is None:
        return None
    where = display(tuple(err.absolute_path))
    return f"{where}: {err.message}" if where else err.message


@dataclasses.dataclass
class Binder:
    """The settings' parameter values for one load, and what became of them."""

    settings: Mapping[str, RuleSettings] = dataclasses.field(default_factory=dict)
    parameters: list[Parameter] = dataclasses.field(default_factory=list)
    rules_seen: set[str] = dataclasses.field(default_factory=set)

    def bind(
        self,
        doc: Mapping[str, Any],
        locate: Callable[[FieldPath], Location],
        problems: list[GuardrailsError],
        *,
        check_defaults: bool,
    ) -> Mapping[str, Any] | None:
        """The native Rule document with the settings' values in place (a copy when any is set),
        or None when a declaration or a value is wrong (the problems say where)."""
        meta = doc.get("metadata")
        spec = doc.get("spec")
        if not isinstance(meta, Mapping) or not isinstance(spec, Mapping):
            return doc
        rule = str(meta.get("name"))
        self.rules_seen.add(rule)
        declared = _declared(spec)
        entry = self.settings.get(rule)
        given: Mapping[str, Setting] = entry.values if entry is not None else {}
        for name in given:
            if name not in declared:
                close = difflib.get_close_matches(str(name), [str(n) for n in declared], n=1)
                hint = (
                    f"did you mean {close[0]!r}?" if close
                    else f"its parameters: {', '.join(map(str, declared))}" if declared
                    else "this rule declares no parameters (guardrails rules show " + rule + ")"
                )
                problems.append(ConfigError(f"parameters: rule {rule!r} has no parameter {name!r}", location=given[name].location, hint=hint))
        out: dict[str, Any] | None = None
        before = len(problems)
        found: list[Parameter] = []
        for name, decl in declared.items():
            if not isinstance(decl, Mapping) or not isinstance(decl.get("field"), str):
                continue  # the rule schema reports it
            field = _steps(str(decl["field"]))
            where = ("spec", "parameters", name)
            present, default = _get(spec, field)
            if not present or field[0] == SETTINGS_KEY:
                problems.append(
                    RuleFileError(
                        f"rule {rule!r}: parameter {name!r} sets field {decl['field']!r}, which the rule does not have",
                        location=locate((*where, "field")),
                        hint="a parameter's field holds its default value in the rule itself",
                    )
                )
                continue
            raw_schema = decl.get("schema")
            schema: Mapping[str, Any] = raw_schema if isinstance(raw_schema, Mapping) else {}
            if check_defaults:
                why = _schema_problem(schema, default)
                if why is not None:
                    problems.append(
                        RuleFileError(
                            f"rule {rule!r}: the default of parameter {name!r} fails its schema: {why}",
                            location=locate(("spec", *field)),
                        )
                    )
                    continue
            value, source, configured = default, locate(("spec", *field)), False
            if name in given:
                setting = given[name]
                why = _schema_problem(schema, setting.value)
                if why is not None:
                    problems.append(
                        ConfigError(
                            f"parameters: {rule}.{name}: {why}",
                            location=setting.location,
                            hint=f"expected {describe_value(schema)}",
                        )
                    )
                    continue
                value, source, configured = setting.value, setting.location, True
                if out is None:
                    out = copy.deepcopy(dict(doc))
                _set(out["spec"], field, copy.deepcopy(value))
            found.append(
                Parameter(
                    rule=rule, name=str(name), field=field, schema=schema, default=default, value=value, source=source,
                    description=str(decl.get("description") or ""), placeholder=str(decl.get("placeholder") or ""),
                    configured=configured,
                )
            )
        if len(problems) > before:
            return None
        self.parameters.extend(found)
        return out if out is not None else doc

    def configured(self, doc: Mapping[str, Any]) -> Location | None:
        """Where the settings give values to this rule document's parameters, if they do."""
        meta = doc.get("metadata")
        entry = self.settings.get(str(meta.get("name"))) if isinstance(meta, Mapping) else None
        return entry.location if entry is not None else None

    def unused(self) -> list[ConfigError]:
        """Settings naming a rule no loaded document defines: an error with "did you mean"."""
        out: list[ConfigError] = []
        for rule, entry in self.settings.items():
            if rule in self.rules_seen:
                continue
            close = difflib.get_close_matches(rule, sorted(self.rules_seen), n=1)
            out.append(
                ConfigError(
                    f"parameters: no loaded rule is named {rule!r}",
                    location=entry.location,
                    hint=f"did you mean {close[0]!r}?" if close else "guardrails rules list shows the rule names (built-in rules load with builtin: true)",
                )
            )
        return out
