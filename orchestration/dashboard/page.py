"""One self-contained HTML file: the charts' specs, their data and the Vega
libraries are all inline, so the page opens offline, from a file share or as an
e-mail attachment."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import vl_convert

from orchestration.dashboard.published import Published
from orchestration.dashboard.sections import SECTIONS, Section
from orchestration.report import NORMALIZED_DEPLOYMENT, headline_rows

AUDIENCES = ("wide", "restricted")

AUDIENCE_LINE = {
    "wide": "Wide audience: teams and groups only, none below the minimum group size, no "
    "individual.",
    "restricted": "RESTRICTED: names individual developers. Share only with people allowed to "
    "see individual-level data.",
}

# Vega, Vega-Lite and Vega-Embed are BSD-3-Clause (University of Washington
# Interactive Data Lab); the bundle keeps no licence header, so the page says it.
LICENCE_NOTE = (
    "Charts drawn with Vega {vega}, Vega-Lite {vega_lite} and Vega-Embed {embed} "
    "(BSD-3-Clause, University of Washington Interactive Data Lab), inlined by vl-convert."
)

EMBED_SCRIPT = """
const specs = JSON.parse(document.getElementById("aiw-specs").textContent);
const views = {};
const options = {
  renderer: "svg",
  actions: {export: true, source: false, compiled: false, editor: false},
};
window.aiwReport = {
  views,
  ready: Promise.all(Object.entries(specs).map(([id, spec]) =>
    vegaEmbed("#" + id, spec, options).then((result) => { views[id] = result.view; })
      .catch((error) => {
        document.getElementById(id).textContent = "This chart could not be drawn: " + error;
        throw error;
      })
  )),
};
window.aiwReport.ready.catch((error) => console.error(error));
"""

STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       margin: 0; background: #f6f7f9; }
header, main, footer { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 0 0 6px; }
.meta { color: #555; margin: 0 0 12px; }
.audience { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
            background: #e3ecf7; color: #1f4e79; }
.audience.restricted { background: #fde2e1; color: #8b1a17; }
.figures { display: grid; grid-template-columns: 1fr auto; gap: 2px 24px; background: #fff;
           border: 1px solid #dde1e6; border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
.figures dt { color: #444; } .figures dd { margin: 0; font-weight: 600; text-align: right; }
nav ol { columns: 2; margin: 8px 0 0; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 18px 20px;
          margin: 18px 0; }
.intro { color: #444; margin: 0 0 12px; }
.note { background: #fff8e1; border-left: 4px solid #f0b429; padding: 8px 12px; margin: 10px 0; }
.chart { margin: 14px 0 6px; overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin-top: 10px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e6e8eb; vertical-align: top; }
td.long { overflow-wrap: anywhere; }
tr.has-summary td { border-bottom: none; }
tr.summary td { color: #555; font-size: 12px; padding-top: 0; overflow-wrap: anywhere; }
td.failed { color: #b42318; font-weight: 700; }
footer { color: #666; font-size: 12px; padding-bottom: 32px; }
"""


@dataclass(frozen=True)
class ReportResult:
    path: Path
    audience: str
    charts: int
    sections: int
    # Tables the serving file lacks, each shown as a note in its section.
    missing: tuple[str, ...]
    bytes: int


def _bundle_cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "ai-impact-warehouse"


@functools.cache
def javascript_bundle() -> str:
    """Vega-Embed, Vega-Lite (the version Altair writes specs for) and Vega.

    vl-convert bundles them on each call (seconds of CPU), and the result only
    changes with vl-convert's version, so it is kept in the user's cache folder.
    """
    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    cached = _bundle_cache() / f"vega-bundle-{vl_convert.__version__}-vl{version}.js"
    with contextlib.suppress(OSError):
        return cached.read_text(encoding="utf-8")
    # Inline in a <script>: a closing tag inside the code would end it early.
    bundle = vl_convert.javascript_bundle(vl_version=version).replace("</script", "<\\/script")
    staging = cached.with_name(f".{cached.name}.{uuid.uuid4().hex}.tmp")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text(bundle, encoding="utf-8")
        os.replace(staging, cached)
    except OSError:  # a read-only home only costs the cache
        staging.unlink(missing_ok=True)
    return bundle


def _licence() -> str:
    return LICENCE_NOTE.format(
        vega=vl_convert.get_vega_version(),
        vega_lite=alt.SCHEMA_VERSION,
        embed=vl_convert.get_vega_embed_version(),
    )


def _json_for_script(value) -> str:
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _cell_class(cell: str) -> str:
    if cell == "FAILED":
        return ' class="failed"'
    # Long texts (check summaries) wrap anywhere, so the table stays in the page.
    return ' class="long"' if len(cell) > 40 else ""


def _section_html(section: Section, chart_ids: list[str]) -> str:
    parts = [f'<section id="{section.key}">', f"<h2>{html.escape(section.heading)}</h2>"]
    if section.intro:
        parts.append(f'<p class="intro">{html.escape(section.intro)}</p>')
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in section.notes]
    parts += [f'<div class="chart" id="{chart_id}"></div>' for chart_id in chart_ids]
    if section.table:
        header, *body = section.table
        # A "summary" column is long text: it gets its own full-width line under its row.
        summary = header[-1] == "summary"
        columns = header[:-1] if summary else header
        parts.append("<table><thead><tr>")
        parts += [f"<th>{html.escape(cell)}</th>" for cell in columns]
        parts.append("</tr></thead><tbody>")
        for row in body:
            cells = row[:-1] if summary else row
            parts.append('<tr class="has-summary">' if summary and row[-1] else "<tr>")
            parts += [f"<td{_cell_class(cell)}>{html.escape(cell)}</td>" for cell in cells]
            parts.append("</tr>")
            if summary and row[-1]:
                parts.append(
                    f'<tr class="summary"><td colspan="{len(columns)}">{html.escape(row[-1])}</td></tr>'
                )
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


def render(pub: Published, audience: str) -> tuple[str, list[Section], int]:
    sections = [spec.build(pub, audience) for spec in SECTIONS]
    figures = headline_rows(pub.con)
    period = pub.one(
        "SELECT min(cost_date) AS first, max(cost_date) AS last FROM marts.fct_ai_cost_daily"
    )
    specs: dict[str, dict] = {}
    bodies = []
    for section in sections:
        ids = []
        for n, chart in enumerate(section.charts, start=1):
            chart_id = f"chart-{section.key}-{n}"
            specs[chart_id] = chart.to_dict()
            ids.append(chart_id)
        bodies.append(_section_html(section, ids))
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    covered = (
        f"{period['first']} – {period['last']}" if period.get("first") else "no covered day yet"
    )
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.heading)}</a></li>' for s in sections)
    figures_html = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>" for label, value in figures
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI impact report, {html.escape(covered)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>AI impact report</h1>
<p class="meta">Covered days {html.escape(covered)}
 · from {html.escape(pub.path.name)} · generated {generated}</p>
<p><span class="audience {audience}">{html.escape(AUDIENCE_LINE[audience])}</span></p>
<noscript><p class="note">The charts need JavaScript (it is inside this file; nothing is
downloaded). Open the file in a web browser.</p></noscript>
<dl class="figures">{figures_html}</dl>
<p class="intro">{html.escape(NORMALIZED_DEPLOYMENT)}</p>
<nav><strong>Sections</strong><ol>{toc}</ol></nav>
</header>
<main>
{chr(10).join(bodies)}
</main>
<footer><p>{html.escape(_licence())}</p></footer>
<script type="application/json" id="aiw-specs">{_json_for_script(specs)}</script>
<script type="module">{javascript_bundle()}</script>
<script type="module">{EMBED_SCRIPT}</script>
</body>
</html>
"""
    return page, sections, len(specs)


def write_report(serving: Path, out: Path, audience: str = "wide") -> ReportResult:
    """Write the dashboard of `serving` to `out`, replacing it in one rename."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    pub = Published(serving)
    try:
        page, sections, charts = render(pub, audience)
    finally:
        pub.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        staging.write_text(page, encoding="utf-8")
        os.replace(staging, out)
    finally:
        staging.unlink(missing_ok=True)
    return ReportResult(
        path=out,
        audience=audience,
        charts=charts,
        sections=len(sections),
        missing=tuple(t for s in sections for t in s.missing),
        bytes=out.stat().st_size,
    )
