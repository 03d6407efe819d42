"""Helm charts: a folder with a `Chart.yaml`. Its `templates/` are Go templates, never YAML to
parse; unrendered they are skipped and counted with the command that renders them, rendered they
go through `helm template` and each document is named by the template helm's `# Source:` comment
gives."""

from __future__ import annotations

import dataclasses
import pathlib
import re
import shlex
import shutil
from collections.abc import Sequence

from guardrails.errors import SourceError
from guardrails.model import Location
from guardrails.sources.render.run import TIMEOUT, render_output

__all__ = ["Chart", "HelmOptions", "chart_of", "command", "render", "split_sources"]



@dataclasses.dataclass(frozen=True, slots=True)
class HelmOptions:
    """`--helm` and its settings: values files and `--set` pairs passed to every render."""

    values: tuple[str, ...] = ()
    set: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Chart:
    folder: pathlib.Path
    display: str  # the folder as the scan shows paths


def chart_of(path: pathlib.Path) -> pathlib.Path | None:
    """The chart whose `templates/` holds `path`; a subchart under `charts/` belongs to the chart
    that vendors it (helm renders it with the parent's values)."""
    chart = None
    for d in path.parents:
        if d.name == "templates" and (d.parent / "Chart.yaml").is_file():
            chart = d.parent
            break
    if chart is None:
        return None
    while chart.parent.name == "charts" and (chart.parent.parent / "Chart.yaml").is_file():
        chart = chart.parent.parent
    return chart


def command(chart_display: str, options: HelmOptions = HelmOptions()) -> list[str]:
    """The `helm template` command line for a chart (what the summary tells the user to pipe in)."""
    argv = ["helm", "template", chart_display]
    for v in options.values:
        argv += ["--values", v]
    for s in options.set:
        argv += ["--set", s]
    return argv


def shell_command(chart_display: str, options: HelmOptions = HelmOptions()) -> str:
    return " ".join(shlex.quote(a) for a in command(chart_display, options))


def render(chart: Chart, options: HelmOptions, *, timeout: float | None = None) -> str:
    """`helm template` of the chart: its standard output, or a SourceError naming the folder."""
    where = Location(chart.display)
    timeout = TIMEOUT if timeout is None else timeout
    exe = shutil.which("helm")
    if exe is None:
        raise SourceError("--helm: `helm` is not on PATH", location=where, hint="install helm, or pipe a render in: " + shell_command(chart.display, options) + " | guardrails scan -")
    argv = [exe, *command(str(chart.folder), options)[1:]]
    return render_output(argv, name="helm template", where=where, rerun=shell_command(chart.display, options), timeout=timeout)


_SOURCE = re.compile(r"^# Source: (.+?)\s*$")


def split_sources(rendered: str, chart: Chart, name: str) -> list[tuple[str, str]]:
    """The render cut into (display, text) by the `# Source: NAME/templates/x.yaml` comment that
    helm writes above each document; the chart's name is replaced by its folder, so the display is
    the template file itself. Documents of one template are kept together, in helm's order."""
    by: dict[str, list[str]] = {}
    current = f"{chart.display}/(helm template)"
    doc: list[str] = []

    def flush() -> None:
        if any(line.strip() and not line.startswith("#") and line.strip() != "---" for line in doc):
            by.setdefault(current, []).append("".join(doc))

    for line in rendered.splitlines(keepends=True):
        if line.rstrip() == "---":
            flush()
            doc = []
            continue
        m = _SOURCE.match(line)
        if m:
            src = m.group(1)
            rel = src[len(name) + 1 :] if src.startswith(name + "/") else src
            current = f"{chart.display}/{rel}"
        doc.append(line)
    flush()
    return [(display, "---\n".join(docs)) for display, docs in by.items()]


def chart_name(folder: pathlib.Path) -> str:
    """The chart's `name` from Chart.yaml (helm's Source comments start with it), else the folder's."""
    try:
        for line in (folder / "Chart.yaml").read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.match(r"^name:\s*['\"]?([^'\"#\s]+)", line)
            if m:
                return m.group(1)
    except OSError:
        pass
    return folder.name


def templates(inputs: Sequence[pathlib.Path]) -> dict[pathlib.Path, list[pathlib.Path]]:
    """Files under a chart's templates, grouped by their (outermost) chart folder."""
    out: dict[pathlib.Path, list[pathlib.Path]] = {}
    for p in inputs:
        c = chart_of(p)
        if c is not None:
            out.setdefault(c, []).append(p)
    return out
