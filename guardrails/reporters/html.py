"""`--format html`: one self-contained page a person would rather look at than read a log.

Totals by severity and by rule, then findings grouped by file or by rule (a toggle; `#group=rule`
in the link), each with the offending lines in
context (read from the files now: reporters are an edge), and severity filters in a few lines
of inline script. No external asset: it works offline and as a CI artefact. Everything taken
from the scan is escaped; the script reads only the page's own attributes.
"""

from __future__ import annotations

import collections
import html
import pathlib
from typing import IO

from guardrails.model import Finding, Severity, Status, remediation_parts
from guardrails.report import FAILING, ScanReport
from guardrails.reporters import ReportOptions, common
from guardrails.version import __version__

__all__ = ["write"]

CONTEXT = 2  # lines shown before and after the offending one
_SEVERITIES = sorted(Severity, reverse=True)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


class _Sources:
    """Source lines of scanned files, each file read at most once."""

    def __init__(self, root: str) -> None:
        self._root = pathlib.Path(root)
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            try:
                # display paths are relative to the scan root, which need not be the cwd
                text = (self._root / path).read_text(encoding="utf-8", errors="replace")
                self._lines[path] = text.splitlines()
            except OSError:
                self._lines[path] = None
        return self._lines[path]


def _snippet(sources: _Sources, f: Finding) -> str:
    loc = f.location
    if loc is None or loc.line <= 0:
        return ""
    lines = sources.lines(loc.path)
    if not lines or loc.line > len(lines):
        return ""
    first, last = max(1, loc.line - CONTEXT), min(len(lines), loc.line + CONTEXT)
    rows = []
    for n in range(first, last + 1):
        cls = ' class="hit"' if n == loc.line else ""
        rows.append(f'<tr{cls}><td class="ln">{n}</td><td><code>{_e(lines[n - 1])}</code></td></tr>')
    return f'<table class="src">{"".join(rows)}</table>'


def _finding(report: ScanReport, sources: _Sources, f: Finding) -> str:
    loc = common.position(report, f)
    rule = report.rule(f.rule)
    where = f":{loc.line}" if loc.line > 0 else ""
    title = f" — {_e(rule.title)}" if rule and rule.title else ""
    docs = common.rule_docs(rule)
    name = f'<a href="{_e(docs)}">{_e(f.rule)}</a>' if docs else _e(f.rule)
    parts = [
        f'<article class="finding" data-severity="{f.severity}" data-status="{f.status}" data-file="{_e(loc.path)}" data-rule="{_e(f.rule)}">',
        f'<header><span class="sev sev-{f.severity}">{f.severity}</span>'
        f'<span class="status status-{f.status}">{common.status_label(f.status)}</span>'
        f'<span class="rule">{name}</span>{title}'
        f'<span class="where"><span class="path">{_e(loc.path)} · </span>{_e(f.resource)}{_e(where)}</span></header>',
        f'<p class="msg">{_e(f.message)}</p>',
    ]
    field = common.field(f)
    if field:
        parts.append(f'<p class="field">field <code>{_e(field)}</code></p>')
    parts.append(_snippet(sources, f))
    if f.waiver:
        parts.append(f'<p class="waiver">waived: {_e(f.waiver)}</p>')
    elif rule and rule.remediation:
        prose, code = remediation_parts(rule.remediation)
        parts.append(f'<p class="fix">{_e(prose)}</p>' + "".join(f'<pre class="fix">{_e(c)}</pre>' for _, c in code))
    parts.append("</article>")
    return "".join(parts)


def _totals(report: ScanReport) -> str:
    """Failing findings (fail, error) by severity, as the text summary counts them; waived and
    not-yet-known outcomes are shown apart, never in the totals."""
    by_sev = report.counts_by_severity()
    cards = []
    for s in _SEVERITIES:
        cards.append(
            f'<label class="card sev-{s}"><input type="checkbox" class="filter" value="{s}" checked>'
            f'<span class="n">{by_sev.get(s, 0)}</span><span>{s}</span></label>'
        )
    apart = collections.Counter(f.status for f in report.findings if f.status not in FAILING)
    note = ", ".join(f"{apart[st]} {st}" for st in (Status.WAIVED, Status.UNKNOWN) if apart.get(st))
    shown_apart = f'<p class="sub apart">not in the totals: {_e(note)}</p>' if note else ""
    search = '<p><input type="search" id="search" placeholder="search rule, resource, file, message" size="40"></p>'
    return f'<div class="cards">{"".join(cards)}</div>{shown_apart}{search}'


def _rules_table(report: ScanReport) -> str:
    by_rule = collections.Counter(f.rule for f in report.findings)
    failing = collections.Counter(f.rule for f in report.findings if f.status in FAILING)
    if not by_rule:
        return ""
    rows = []
    for name, n in sorted(by_rule.items(), key=lambda kv: (-failing[kv[0]], -kv[1], kv[0])):
        rule = report.rule(name)
        sev = rule.severity if rule else Severity.MEDIUM
        title = rule.title if rule else ""
        docs = common.rule_docs(rule)
        shown = f'<a href="{_e(docs)}">{_e(name)}</a>' if docs else _e(name)
        rows.append(
            f'<tr data-severity="{sev}" data-rule="{_e(name)}"><td><span class="sev sev-{sev}">{sev}</span></td><td class="rule">{shown}</td>'
            f"<td>{_e(title)}</td><td class=num>{failing[name]}</td><td class=num>{n - failing[name]}</td></tr>"
        )
    return (
        '<h2>By rule</h2><table class="rules"><thead><tr><th>severity</th><th>rule</th><th>title</th>'
        f'<th class=num>failing</th><th class=num>waived or unknown</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _problems(report: ScanReport) -> str:
    items = []
    for p in report.problems:
        where = ""
        if p.location is not None:
            rel = common.artifact_path(report, p.location.path)
            where = f"{rel}:{p.location.line}" if p.location.line > 0 else rel
        items.append(f"<li><code>{_e(where)}</code> {_e(p.message)}</li>")
    for w in report.expired_waivers:
        items.append(f"<li>exception <code>{_e(w.name)}</code> expired on {_e(w.expires)}</li>")
    for skip in report.skipped_rules:
        items.append(f"<li>skipped: {_e(skip.text())}</li>")
    if not items:
        return ""
    return f'<h2>Inputs and exceptions</h2><ul class="problems">{"".join(items)}</ul>'


_CSS = """
:root{--bg:#f6f7f9;--fg:#1d2330;--card:#fff;--muted:#667085;--line:#e4e7ec;
--critical:#7a0916;--high:#d92d20;--medium:#dc6803;--low:#1570ef;--info:#667085}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
background:var(--bg);color:var(--fg)}main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}.sub{color:var(--muted)}
.cards{display:flex;gap:12px;margin-top:18px;flex-wrap:wrap}
.card{background:var(--card);border:1px solid var(--line);border-top:4px solid;border-radius:8px;
padding:10px 16px;min-width:120px;cursor:pointer;display:flex;flex-direction:column;user-select:none}
.card input{position:absolute;opacity:0}.card .n{font-size:26px;font-weight:650}
.card.off{opacity:.4}
.card.sev-critical{border-top-color:var(--critical)}.card.sev-high{border-top-color:var(--high)}
.card.sev-medium{border-top-color:var(--medium)}.card.sev-low{border-top-color:var(--low)}
.card.sev-info{border-top-color:var(--info)}
table.rules{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line)}
table.rules td,table.rules th{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left}
.num{text-align:right}
.sev{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;
margin-right:6px;text-transform:uppercase}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}
.sev-medium{background:var(--medium)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.card.sev-critical,.card.sev-high,.card.sev-medium,.card.sev-low,.card.sev-info{background:var(--card)}
.status{font-size:12px;font-weight:600;margin-right:8px;color:var(--muted)}
.status-fail{color:var(--high)}.status-error{color:var(--critical)}
section.group{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:14px 0;overflow:hidden}
section.group>h3{margin:0;padding:10px 14px;font:600 14px ui-monospace,Menlo,Consolas,monospace;
background:#eef1f5;border-bottom:1px solid var(--line)}
.finding{padding:12px 14px;border-bottom:1px solid var(--line)}.finding:last-child{border-bottom:0}
.finding header{display:flex;align-items:center;flex-wrap:wrap;gap:2px}.rule{font-weight:600}
.where{margin-left:auto;color:var(--muted);font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.msg{margin:6px 0;white-space:pre-wrap}.field,.fix,.waiver{margin:4px 0;color:var(--muted)}.waiver{font-style:italic}
table.src{border-collapse:collapse;width:100%;background:#0f1720;color:#d0d7e2;border-radius:6px;
font:12.5px/1.5 ui-monospace,Menlo,Consolas,monospace;margin:6px 0}
table.src td{padding:0 10px;white-space:pre}table.src .ln{color:#6b7787;text-align:right;width:1%;
user-select:none}table.src tr.hit{background:#4a1d1d}table.src tr.hit td{color:#fff}
.grouping{margin:6px 0}.grouping label{margin-right:12px;cursor:pointer}
#by-file .path{display:none}
.hidden{display:none}.empty{color:var(--muted)}
"""

_JS = """
(function(){
  var boxes=document.querySelectorAll('input.filter');
  // #severity=critical,high selects what is shown, so a filtered view can be linked to.
  var m=/severity=([a-z,]*)/.exec(location.hash);
  if(m){var want=m[1].split(',');boxes.forEach(function(b){b.checked=want.indexOf(b.value)>=0;});}
  var search=document.getElementById('search');
  var q=/[#&]q=([^&]*)/.exec(location.hash);
  if(q){search.value=decodeURIComponent(q[1]);}
  function apply(){
    var needle=search.value.trim().toLowerCase();
    var on={},picked=[];
    boxes.forEach(function(b){on[b.value]=b.checked;b.parentNode.classList.toggle('off',!b.checked);
      if(b.checked){picked.push(b.value);}});
    var shown=0;
    document.querySelectorAll('article.finding').forEach(function(a){
      var v=on[a.dataset.severity]!==false&&(!needle||(a.dataset.file+' '+a.textContent).toLowerCase().indexOf(needle)>=0);
      a.classList.toggle('hidden',!v);if(v){shown++;}
    });
    // every table follows the filters: a rule row shows while its severity is selected
    document.querySelectorAll('table.rules tbody tr').forEach(function(r){
      r.classList.toggle('hidden',on[r.dataset.severity]===false);
    });
    document.querySelectorAll('section.group').forEach(function(s){
      var n=s.querySelectorAll('article.finding:not(.hidden)').length;
      s.querySelector('.count').textContent='('+n+')';
      s.classList.toggle('hidden',!n);
    });
    document.getElementById('shown').textContent=shown;
    var state=[];
    if(picked.length<boxes.length){state.push('severity='+picked.join(','));}
    if(needle){state.push('q='+encodeURIComponent(needle));}
    if(group()==='rule'){state.push('group=rule');}
    if(state.length){history.replaceState(null,'','#'+state.join('&'));}
    else if(location.hash){history.replaceState(null,'',location.pathname+location.search);}
  }
  // Group by file (as written) or by rule: the same article nodes move between the two lists.
  var byFile=document.getElementById('by-file'),byRule=document.getElementById('by-rule');
  var articles=[].slice.call(document.querySelectorAll('article.finding'));
  var home=articles.map(function(a){return a.parentNode;});
  var radios=document.querySelectorAll('input[name=group]');
  function group(){var g='file';radios.forEach(function(r){if(r.checked){g=r.value;}});return g;}
  function regroup(){
    var rule=group()==='rule';
    if(rule&&!byRule.firstChild){
      var sections={};
      function section(name){
        if(!sections[name]){
          var s=document.createElement('section'),h=document.createElement('h3'),c=document.createElement('span');
          s.className='group';s.dataset.group='rule';h.textContent=name+' ';c.className='sub count';
          h.appendChild(c);s.appendChild(h);byRule.appendChild(s);sections[name]=s;
        }
        return sections[name];
      }
      // rules in the by-rule table's order (most failing first); articles keep their file order
      document.querySelectorAll('table.rules tbody tr').forEach(function(r){section(r.dataset.rule);});
      byRule.sections=sections;byRule.section=section;
    }
    articles.forEach(function(a,i){(rule?byRule.section(a.dataset.rule):home[i]).appendChild(a);});
    byFile.classList.toggle('hidden',rule);byRule.classList.toggle('hidden',!rule);
    document.getElementById('listing').textContent=rule?'Findings by rule':'Findings by file';
  }
  var g=/[#&]group=(rule|file)/.exec(location.hash);
  if(g){radios.forEach(function(r){r.checked=r.value===g[1];});}
  radios.forEach(function(r){r.addEventListener('change',function(){regroup();apply();});});
  regroup();
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  search.addEventListener('input',apply);
  apply();
})();
"""


_GROUPING = (
    '<p class="grouping">group by <label><input type="radio" name="group" value="file" checked> file</label>'
    '<label><input type="radio" name="group" value="rule"> rule</label></p>'
)


def write(report: ScanReport, stream: IO[str], options: ReportOptions) -> None:
    sources = _Sources(report.root)
    by_file: dict[str, list[Finding]] = collections.defaultdict(list)
    for f in common.sorted_findings(report):
        by_file[common.position(report, f).path].append(f)
    files = []
    for path, findings in by_file.items():
        body = "".join(_finding(report, sources, f) for f in findings)
        files.append(f'<section class="group" data-group="file"><h3>{_e(path)} <span class="sub count">({len(findings)})</span></h3>{body}</section>')
    category = f" · {_e(options.category)}" if options.category else ""
    if report.baselined:
        category += f" · {report.baselined} baselined findings not shown"
    listing = "".join(files) or '<p class="empty">No findings.</p>'
    stream.write(
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>guardrails scan: {len(report.findings)} findings</title><style>{_CSS}</style></head>"
        f"<body><main><h1>guardrails scan</h1>"
        f'<p class="sub">{report.files} files · {report.resources} resources · {len(report.rules)} rules · '
        f'<span id="shown">{len(report.findings)}</span> of {len(report.findings)} findings shown{category} · '
        f"guardrails {_e(__version__)}</p>"
        f"{_totals(report)}{_rules_table(report)}{_problems(report)}"
        f'<h2 id="listing">Findings by file</h2>{_GROUPING}<div id="by-file">{listing}</div><div id="by-rule" class="hidden"></div>'
        f"</main><script>{_JS}</script></body></html>\n"
    )
