"""The HTML report: self-contained, escaped, and rendered for real in headless Chromium."""

from __future__ import annotations

import html.parser
import io
import pathlib
import re
import subprocess

import pytest

from guardrails.report import ScanReport
from guardrails.reporters import ReportOptions
from guardrails.reporters import html as html_reporter

from .conftest import ARTIFACTS


def render(report: ScanReport) -> str:
    out = io.StringIO()
    html_reporter.write(report, out, ReportOptions())
    return out.getvalue()


class Elements(html.parser.HTMLParser):
    """Tags with their attributes, and the page's text, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Elements:
    p = Elements()
    p.feed(page)
    return p


def findings_in(page: str) -> list[dict[str, str | None]]:
    return [a for t, a in parse(page).tags if t == "article"]


def test_self_contained_and_escaped(report: ScanReport) -> None:
    page = render(report)
    tags = parse(page).tags
    # no external asset of any kind
    assert not [a for t, a in tags if t in ("link", "img", "iframe") or a.get("src") or (a.get("href") and t != "a")]
    # the only links: rule docs, to https pages
    assert all((a.get("href") or "").startswith("https://") for t, a in tags if t == "a")
    assert [t for t, _ in tags].count("script") == 1
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert len(findings_in(page)) == len(report.findings)


def test_offending_lines_in_context(report: ScanReport) -> None:
    text = "".join(parse(render(report)).text)
    # line 11 of the Deployment with two lines either side
    assert re.search(r"9\s*containers:\s*10\s*- name: app\s*11\s*image: nginx:latest\s*12\s*- name: sidecar\s*13", text)
    assert "waived: inline annotation guardrails.dev/ignore: debugging pod" in text
    assert "Add the labels team and service." in text


def test_totals_by_severity_and_rule(report: ScanReport) -> None:
    page = render(report)
    cards = re.findall(r'<span class="n">(\d+)</span><span>(\w+)</span>', page)
    # failing findings only, as the text summary counts them: the waived high and the unknown info apart
    assert {v: int(k) for k, v in cards} == {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 0}
    assert '<p class="sub apart">not in the totals: 1 waived, 1 unknown</p>' in page
    assert re.search(r'<tr data-severity="high" data-rule="require-labels">.*?<td class="rule">require-labels</td><td>Workloads carry ownership labels</td><td class=num>1</td><td class=num>1</td>', page)
    # a rule with docs links to them
    assert '<a href="https://example.com/docs/registries">allowed-registries</a>' in page


def test_missing_source_file_is_no_error(report: ScanReport, tmp_path: pathlib.Path) -> None:
    (pathlib.Path(report.root) / "apps" / "deploy.yaml").unlink()
    assert len(findings_in(render(report))) == len(report.findings)


def _chromium(binary: str, profile: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120, check=True)


class Groups(html.parser.HTMLParser):
    """Each article's group in the DOM: (section's data-group, its heading's text) by article."""

    def __init__(self) -> None:
        super().__init__()
        self.placed: list[tuple[dict[str, str | None], str, str, bool]] = []  # article, group, heading, group hidden
        self._section: tuple[str, bool] | None = None
        self._heading: list[str] | None = None
        self._title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._section = (a.get("data-group") or "", "hidden" in (a.get("class") or ""))
        elif tag == "h3" and self._section is not None:
            self._heading = []
        elif tag == "article" and self._section is not None:
            self.placed.append((a, self._section[0], self._title, self._section[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3" and self._heading is not None:
            self._title, self._heading = "".join(self._heading).split(" (")[0].strip(), None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fragment", "visible"),
    [("", 6), ("#severity=critical,high", 3), ("#severity=info", 1), ("#q=pod.json", 1), ("#severity=high&q=TEAM", 2),
     ("#group=rule", 6), ("#severity=critical,high&group=rule", 3), ("#q=pod.json&group=rule", 1)],
    ids=["all", "critical-high", "info", "search", "severity-and-search", "by-rule", "by-rule-critical-high", "by-rule-search"],
)
def test_renders_in_chromium(
    report: ScanReport, chromium: str, tmp_path: pathlib.Path, fragment: str, visible: int
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(report))
    dom = _chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri() + fragment).stdout
    articles = findings_in(dom)
    assert len(articles) == len(report.findings)
    shown = [a for a in articles if "hidden" not in (a.get("class") or "")]
    assert len(shown) == visible
    assert re.search(rf'<span id="shown">{visible}</span>', dom), "the script ran and counted what it shows"
    # the by-rule table follows the severity filter too
    rows = re.findall(r'<tr data-severity="(\w+)" data-rule="[^"]*"( class="hidden")?>', dom)
    picked = re.search(r"severity=([a-z,]+)", fragment)
    assert rows and all(bool(hidden) == bool(picked and sev not in picked.group(1).split(",")) for sev, hidden in rows)
    # grouped by file (the default) or by rule: every article sits in its file's or its rule's section,
    # sections holding no shown finding are hidden, and the filters apply the same either way
    groups = Groups()
    groups.feed(dom)
    by = "rule" if "group=rule" in fragment else "file"
    assert len(groups.placed) == len(report.findings)
    for article, group, heading, hidden in groups.placed:
        assert group == by and heading == article[f"data-{by}"]
        if "hidden" not in (article.get("class") or ""):
            assert not hidden
    sections = re.findall(rf'<section class="group( hidden)?" data-group="{by}">', dom)
    shown_in = {h for a, _, h, _ in groups.placed if "hidden" not in (a.get("class") or "")}
    assert sum(1 for hidden in sections if not hidden) == len(shown_in)
    assert f">Findings by {by}<" in dom
    # the hostile message is text in the DOM, not an element
    assert not [a for t, a in parse(dom).tags if t == "img"]
    if fragment in ("", "#group=rule"):
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / ("html-report.png" if not fragment else "html-report-by-rule.png")
        shot.unlink(missing_ok=True)
        _chromium(chromium, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1280,2200", page.as_uri() + fragment)
        assert shot.stat().st_size > 10_000
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_baselined_count_shown(report: ScanReport) -> None:
    import dataclasses

    assert "· 5 baselined findings not shown" in render(dataclasses.replace(report, baselined=5))


def test_sources_are_read_relative_to_the_root(report: ScanReport, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from guardrails.model import Location

    root = pathlib.Path(report.root)
    moved = tuple(
        dataclasses.replace(f, location=Location(str(pathlib.Path(f.location.path).relative_to(root)), f.location.line, f.location.column))
        if f.location else f
        for f in report.findings
    )
    monkeypatch.chdir(root.parent)  # not the root: relative paths resolve against report.root
    assert "image: nginx:latest" in render(dataclasses.replace(report, findings=moved))
