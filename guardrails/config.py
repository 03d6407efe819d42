"""`.guardrails.yaml`: found from the working directory upwards, validated, merged under flags.

```yaml
rules: [policies/]            # rule files/folders, relative to this file
builtin: false                # also load the built-in library (default: only when no rules are given)
profiles: [restricted]        # built-in profiles to use
exceptions: [exceptions/]     # Exception documents (may also sit among the rules)
exclude: ["charts/**", "*.tpl.yaml"]
fail-on: high
fail-on-unknown: true         # Terraform: a value known only after apply fails the rules that read it
namespaces:                   # labels of namespaces not scanned along, for namespaceSelector rules
  sandbox: {labels: {tier: sandbox}}
helm:                         # render Helm charts with `helm template` (or `helm: true`)
  values: [values-prod.yaml]  # --values files, relative to this file
  set: [image.tag=1.2.3]      # --set pairs
fail-on-skip: true            # a rule that could not be evaluated where it matched fails the run
kustomize: true               # render kustomizations with `kubectl kustomize`
enforcement: warn             # serve: audit | warn | enforce (default) what a rule's denial does
max-inflight-bytes: 67108864  # serve: request body bytes held at once across all requests (64 MiB)
isolation: on                 # Gatekeeper Rego in supervised worker processes (on, default) or in-process (off)
now: 2026-03-06T00:00:00Z     # evaluation time of policies that read the clock (serve: also `wall`)
gatekeeper-expansion: standard  # Gatekeeper constraints on Pods judge pod controllers' Pods (ours)
parameters:                   # values of rules' parameters, by rule name (guardrails rules show NAME)
  approved-registries:
    registries: [registry.example.com/platform/*]
```

`merge` is the one place where command-line flags and these settings meet, for every command
(`scan`, `serve`, `test`, `rules`): a flag replaces the setting it names, and the built-in
library is loaded only when asked (`builtin: true`, `--builtin`, a profile) or when no rules are
given at all.
"""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
from collections.abc import Mapping
from typing import Any

from guardrails.context import Clock, FixedClock, parse_time, wall_clock
from guardrails.errors import ConfigError, SourceError
from guardrails.model import Enforcement, Location, Severity
from guardrails.policy import profiles
from guardrails.policy.load import RuleSet, load_rules
from guardrails.policy.parameters import RuleSettings, Setting
from guardrails.sources import documents
from guardrails.sources.render.helm import HelmOptions

__all__ = [
    "CONFIG_NAME", "DEFAULT_MAX_INFLIGHT", "WALL", "Config", "Flags", "RuleLoader", "Settings", "evaluation_time", "find_config",
    "load_config", "merge",
]

CONFIG_NAME = ".guardrails.yaml"
DEFAULT_MAX_INFLIGHT = 64 * 1024 * 1024
_KEYS = {
    "rules", "builtin", "profiles", "exceptions", "exclude", "fail-on", "fail-on-unknown", "namespaces", "helm", "fail-on-skip", "kustomize",
    "enforcement",
    "max-inflight-bytes",
    "isolation",
    "now",
    "parameters",
    "gatekeeper-expansion",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    path: pathlib.Path | None = None
    rules: tuple[str, ...] = ()
    builtin: bool | None = None
    profiles: tuple[str, ...] | None = None
    exceptions: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: Severity | None = None
    fail_on_unknown: bool | None = None
    namespaces: Mapping[str, Mapping[str, str]] | None = None  # name -> labels
    helm: HelmOptions | None = None  # render charts (`helm:` set and not false)
    kustomize: bool | None = None
    fail_on_skip: bool | None = None
    enforcement: Enforcement | None = None  # `serve` only
    max_inflight_bytes: int | None = None  # `serve` only
    isolation: str | None = None  # "on" | "off"
    now: datetime.datetime | str | None = None  # a time, or WALL
    parameters: Mapping[str, RuleSettings] | None = None  # rule name -> its parameters' values
    gatekeeper_expansion: bool = False  # `gatekeeper-expansion: standard`: load guardrails' standard ExpansionTemplates


def _parameters(value: Any, doc: documents.Document, display: str) -> dict[str, RuleSettings]:
    """`{rule: {parameter: value}}`, each value with its position; whether rule and parameter
    exist and the value fits is decided when the rules load (they declare the parameters)."""
    from guardrails.policy.validate import jsonable

    where = doc.locate(("parameters",), display)
    if not isinstance(value, Mapping):
        raise ConfigError(f"parameters: expected a mapping of rule names, found {value!r}", location=where)
    out: dict[str, RuleSettings] = {}
    for rule, values in value.items():
        at = doc.locate(("parameters", rule), display)
        if not isinstance(rule, str) or not isinstance(values, Mapping) or not values:
            raise ConfigError(
                f"parameters.{rule}: expected a mapping of parameter names to values, found {values!r}",
                location=at, hint="e.g. parameters: {approved-registries: {registries: [registry.example.com/*]}}",
            )
        out[rule] = RuleSettings(
            at,
            {str(k): Setting(jsonable(v), doc.locate(("parameters", rule, k), display)) for k, v in values.items()},
        )
    return out


def _helm(value: Any, where: Location, rel: Any) -> HelmOptions | None:
    """`helm: true|false` or `helm: {values: [...], set: [...]}`."""
    if value is False or value is None:
        return None
    if value is True:
        return HelmOptions()
    if not isinstance(value, Mapping) or set(value) - {"values", "set"}:
        raise ConfigError(f"helm: expected true, false or {{values: [...], set: [...]}}, found {value!r}", location=where)
    return HelmOptions(
        values=rel(_strings(value.get("values", []), "helm.values", where)),
        set=_strings(value.get("set", []), "helm.set", where),
    )


def _on_off(value: Any, key: str, where: Location | None) -> str | None:
    """`on`/`off` (YAML 1.1 reads them unquoted as true/false) -> "on" | "off"; None stays None."""
    if value is None:
        return None
    if value is True or (isinstance(value, str) and value.strip().lower() == "on"):
        return "on"
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return "off"
    message = f"{key}: expected on or off, found {value!r}"
    if where is None:
        from guardrails.errors import UsageError

        raise UsageError(message)
    raise ConfigError(message, location=where)


# `now: wall`: the real clock at each decision; for admission only, which really happens now.
WALL = "wall"
NOW_HINT = "an RFC 3339 time with its zone, such as 2026-03-06T00:00:00Z (serve also takes wall: the real clock)"


def evaluation_time(value: Any, key: str, where: Location | None) -> datetime.datetime | str | None:
    """`--now` / `now:`: an RFC 3339 time with its zone, or `wall`; None stays None."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() == WALL:
        return WALL
    found = parse_time(value.strip()) if isinstance(value, str) else None
    if found is None:
        problem = f"{key}: expected an RFC 3339 time with its zone, or wall, found {value!r}"
        if where is None:
            from guardrails.errors import UsageError

            raise UsageError(problem, hint=NOW_HINT)
        raise ConfigError(problem, location=where, hint=NOW_HINT)
    return found


def find_config(start: pathlib.Path | None = None) -> pathlib.Path | None:
    here = (start or pathlib.Path.cwd()).resolve()
    for d in (here, *here.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _strings(value: Any, key: str, loc: Location) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{key}: expected a list of strings, found {value!r}", location=loc)


def _namespaces(value: Any, where: Location) -> dict[str, dict[str, str]]:
    """`{name: {labels: {key: value}}}` -> name -> labels; anything else is an error."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"namespaces: expected a mapping of namespace names, found {value!r}", location=where)
    out: dict[str, dict[str, str]] = {}
    for name, entry in value.items():
        labels = entry.get("labels") if isinstance(entry, Mapping) else None
        if not isinstance(entry, Mapping) or set(entry) - {"labels"} or not isinstance(labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ConfigError(
                f"namespaces.{name}: expected {{labels: {{key: value}}}} with string keys and values, found {entry!r}",
                location=where,
            )
        out[str(name)] = dict(labels)
    return out


def load_config(path: pathlib.Path) -> Config:
    display = str(path)
    try:
        doc = documents.single_document(documents.read_text(path, display), display)
    except SourceError as e:
        raise ConfigError(e.message, location=e.location, hint=e.hint if not e.message.startswith("malformed") else None) from None
    data = doc.data if doc is not None else None
    if data is None:
        return Config(path=path)
    if not isinstance(data, Mapping):
        raise ConfigError("expected a mapping of settings", location=Location(display, 1, 1))
    assert doc is not None

    def loc(key: str) -> Location:
        return doc.locate((key,), display)

    for key in data:
        if key not in _KEYS:
            import difflib

            close = difflib.get_close_matches(str(key), sorted(_KEYS), n=1)
            raise ConfigError(
                f"unknown setting {key!r}", location=loc(str(key)),
                hint=f"did you mean {close[0]!r}?" if close else f"settings: {', '.join(sorted(_KEYS))}",
            )
    base = path.parent

    def rel(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(base / i) for i in items)

    fail_on = None
    if "fail-on" in data:
        try:
            fail_on = Severity.parse(str(data["fail-on"]))
        except ValueError as e:
            raise ConfigError(f"fail-on: {e}", location=loc("fail-on")) from None
    profile_names = _strings(data["profiles"], "profiles", loc("profiles")) if "profiles" in data else None
    bad = profiles.unknown(profile_names or ())
    if bad is not None:
        raise ConfigError(f"profiles: unknown profile {bad[0]!r}", location=loc("profiles"), hint=bad[1])
    builtin = data.get("builtin")
    if builtin is not None and not isinstance(builtin, bool):
        raise ConfigError(f"builtin: expected true or false, found {builtin!r}", location=loc("builtin"))
    fail_on_unknown = data.get("fail-on-unknown")
    if fail_on_unknown is not None and not isinstance(fail_on_unknown, bool):
        raise ConfigError(
            f"fail-on-unknown: expected true or false, found {fail_on_unknown!r}", location=loc("fail-on-unknown")
        )
    fail_on_skip = data.get("fail-on-skip")
    if fail_on_skip is not None and not isinstance(fail_on_skip, bool):
        raise ConfigError(f"fail-on-skip: expected true or false, found {fail_on_skip!r}", location=loc("fail-on-skip"))
    kustomize = data.get("kustomize")
    if kustomize is not None and not isinstance(kustomize, bool):
        raise ConfigError(f"kustomize: expected true or false, found {kustomize!r}", location=loc("kustomize"))
    enforcement = None
    if "enforcement" in data:
        try:
            enforcement = Enforcement.parse(str(data["enforcement"]))
        except ValueError as e:
            raise ConfigError(
                f"enforcement: {e}", location=loc("enforcement"), hint=Enforcement.hint(str(data["enforcement"]))
            ) from None
    inflight = data.get("max-inflight-bytes")
    if inflight is not None and (isinstance(inflight, bool) or not isinstance(inflight, int) or inflight < 1):
        raise ConfigError(
            f"max-inflight-bytes: expected a whole number of bytes above 0, found {inflight!r}",
            location=loc("max-inflight-bytes"), hint="e.g. max-inflight-bytes: 67108864 (64 MiB)",
        )
    isolation = _on_off(data.get("isolation"), "isolation", loc("isolation"))
    now = evaluation_time(data.get("now"), "now", loc("now"))
    expansion = data.get("gatekeeper-expansion")
    if expansion not in (None, False, "standard"):
        raise ConfigError(
            f"gatekeeper-expansion: expected standard or false, found {expansion!r}", location=loc("gatekeeper-expansion"),
            hint="standard: Gatekeeper constraints on Pods also judge the Pods of Deployments, Jobs, CronJobs...",
        )
    return Config(
        path=path,
        gatekeeper_expansion=expansion == "standard",
        namespaces=_namespaces(data.get("namespaces"), loc("namespaces")) if "namespaces" in data else None,
        rules=rel(_strings(data.get("rules", []), "rules", loc("rules"))),
        builtin=builtin,
        profiles=profile_names,
        exceptions=rel(_strings(data.get("exceptions", []), "exceptions", loc("exceptions"))),
        exclude=_strings(data.get("exclude", []), "exclude", loc("exclude")),
        fail_on=fail_on,
        fail_on_unknown=fail_on_unknown,
        helm=_helm(data.get("helm"), loc("helm"), rel) if "helm" in data else None,
        fail_on_skip=fail_on_skip,
        kustomize=kustomize,
        enforcement=enforcement,
        max_inflight_bytes=inflight,
        isolation=isolation,
        now=now,
        parameters=_parameters(data["parameters"], doc, display) if data.get("parameters") is not None else None,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class RuleLoader:
    """How to load the rule set: picklable, so worker processes build the same rules."""

    paths: tuple[str, ...] = ()
    builtin: bool = True
    profiles: tuple[str, ...] | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    parameters: Mapping[str, RuleSettings] | None = None  # from the settings' `parameters:`

    def __call__(self) -> RuleSet:
        rs = load_rules(self.paths, builtin=self.builtin, profiles=self.profiles, parameters=self.parameters)
        return rs.only(self.only, self.skip) if (self.only or self.skip) else rs


@dataclasses.dataclass(frozen=True, slots=True)
class Flags:
    """What a command line says about rules and settings; an empty field says nothing."""

    config: str | None = None
    # Look for `.guardrails.yaml` upwards when no --config is given. The server does not: it
    # reads only the settings it is handed, never a file that happens to sit above its cwd.
    discover: bool = True
    rules: tuple[str, ...] = ()
    builtin: bool = False
    profiles: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: str | None = None
    fail_on_unknown: bool = False  # --fail-on-unknown: only ever turns the setting on
    helm: bool = False  # --helm: render charts
    helm_values: tuple[str, ...] = ()  # --helm-values (implies --helm), replace the setting's
    helm_set: tuple[str, ...] = ()  # --helm-set (implies --helm), replace the setting's
    kustomize: bool = False  # --kustomize: only ever turns the setting on
    fail_on_skip: bool = False  # --fail-on-skip: only ever turns the setting on
    enforcement: str | None = None  # serve --enforcement, replaces the setting
    max_inflight_bytes: int | None = None  # serve --max-inflight-bytes, replaces the setting
    isolation: str | None = None  # --isolation on|off, replaces the setting
    now: str | None = None  # --now TIME|wall, replaces the setting


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """The merged result every command works from."""

    config: Config
    rules: RuleLoader
    exclude: tuple[str, ...]
    fail_on: Severity
    fail_on_unknown: bool = False
    namespaces: Mapping[str, Mapping[str, str]] | None = None  # labels of namespaces, from the settings
    helm: HelmOptions | None = None  # render Helm charts with these options
    kustomize: bool = False  # render kustomizations with kubectl kustomize
    fail_on_skip: bool = False
    enforcement: Enforcement = Enforcement.ENFORCE  # what the webhook does with a rule's denial
    max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT  # the webhook's bound on body bytes held at once
    # Native evaluators in supervised workers ("on") or in-process ("off"); None: neither the
    # flag nor the settings say, GUARDRAILS_ISOLATION (else on) decides.
    isolation: str | None = None
    # The evaluation time of policies that read the clock: a time, WALL (the real clock at each
    # decision, which only `serve` accepts) or None (those policies are visible skips).
    now: datetime.datetime | str | None = None

    def clock(self) -> Clock | None:
        """The engine context's clock for `now` (None: no evaluation time)."""
        if isinstance(self.now, datetime.datetime):
            return FixedClock(self.now)
        return wall_clock if self.now == WALL else None


def _standard_expansion(cfg: Config) -> tuple[str, ...]:
    """guardrails' standard ExpansionTemplates, a rule file like any other, when asked for."""
    if not cfg.gatekeeper_expansion:
        return ()
    from guardrails.dialects.gatekeeper.standard import STANDARD_EXPANSION

    return (str(STANDARD_EXPANSION),)


def merge(flags: Flags) -> Settings:
    """Flags over `.guardrails.yaml` over defaults; raises ConfigError/UsageError with positions."""
    from guardrails.errors import UsageError

    path = pathlib.Path(flags.config) if flags.config else (find_config() if flags.discover else None)
    cfg = load_config(path) if path is not None else Config()
    rule_paths = flags.rules or cfg.rules
    # Profiles exist only in the built-in library: naming one on the command line asks for it.
    builtin = flags.builtin or bool(flags.profiles) or (cfg.builtin if cfg.builtin is not None else not rule_paths)
    loader = RuleLoader(
        paths=rule_paths + cfg.exceptions + _standard_expansion(cfg),
        builtin=builtin,
        profiles=flags.profiles or cfg.profiles,
        only=flags.only,
        skip=flags.skip,
        parameters=cfg.parameters,
    )
    try:
        fail_on = Severity.parse(flags.fail_on) if flags.fail_on else (cfg.fail_on or Severity.LOW)
    except ValueError as e:
        raise UsageError(f"--fail-on: {e}") from None
    try:
        enforcement = Enforcement.parse(flags.enforcement) if flags.enforcement else cfg.enforcement
    except ValueError as e:
        raise UsageError(f"--enforcement: {e}", hint=Enforcement.hint(flags.enforcement or "")) from None
    return Settings(
        config=cfg,
        rules=loader,
        exclude=flags.exclude + cfg.exclude,
        fail_on=fail_on,
        fail_on_unknown=flags.fail_on_unknown or bool(cfg.fail_on_unknown),
        namespaces=cfg.namespaces,
        helm=_merge_helm(flags, cfg.helm),
        kustomize=flags.kustomize or bool(cfg.kustomize),
        fail_on_skip=flags.fail_on_skip or bool(cfg.fail_on_skip),
        enforcement=enforcement or Enforcement.ENFORCE,
        max_inflight_bytes=flags.max_inflight_bytes or cfg.max_inflight_bytes or DEFAULT_MAX_INFLIGHT,
        isolation=_on_off(flags.isolation, "--isolation", None) if flags.isolation is not None else cfg.isolation,
        now=evaluation_time(flags.now, "--now", None) if flags.now is not None else cfg.now,
    )


def _merge_helm(flags: Flags, setting: HelmOptions | None) -> HelmOptions | None:
    if not (flags.helm or flags.helm_values or flags.helm_set):
        return setting
    base = setting or HelmOptions()
    return HelmOptions(values=flags.helm_values or base.values, set=flags.helm_set or base.set)
