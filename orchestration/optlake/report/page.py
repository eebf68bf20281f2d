"""The report's one static HTML page: plotly.js inlined once, one section per panel (pure)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from plotly.offline import get_plotlyjs

from optlake.report.figures import Panel
from optlake.report.queries import Choice

_STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2em; }
.meta { color: #666; margin-top: 0; }
section { margin: 2em 0; }
.source { color: #666; font-size: 0.9em; margin: 0.2em 0 0.6em; }
.chart { min-height: 300px; }
.missing { border: 1px dashed #c66; background: #fff6f6; color: #933; padding: 2em; min-height: 0; }
"""


def chart_id(panel: Panel) -> str:
    return f"chart-{panel.key}"


def section(panel: Panel) -> str:
    """A panel's section: the figure's div (no plotly.js: the page holds it once) or the missing message."""
    head = f'<h2>{html.escape(panel.title)}</h2>\n<p class="source">from {html.escape(panel.source)}</p>\n'
    if panel.figure is None:
        text = html.escape(panel.missing or "no data")
        return (
            f'<section>{head}<div id="{chart_id(panel)}" class="chart missing" data-missing="true">'
            f"Not available: {text}</div></section>"
        )
    div = panel.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=chart_id(panel),
        config={"responsive": True, "displaylogo": False},
    )
    return f'<section>{head}<div class="chart">{div}</div></section>'


def render(panels: Sequence[Panel], c: Choice, generated: dt.datetime) -> str:
    """The whole page: works offline from file:// (no server, no CDN)."""
    day = c.day.isoformat() if c.day else "latest"
    meta = (
        f"schema {html.escape(c.schema)} · underlying {html.escape(c.underlying)} · day {day} · "
        f"symbol {html.escape(c.symbol)} · generated {generated:%Y-%m-%d %H:%M} UTC"
    )
    body = "\n".join(section(p) for p in panels)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        "<title>optlake report</title>\n"
        f"<style>{_STYLE}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head><body>\n<h1>Options lakehouse report</h1>\n"
        f'<p class="meta">{meta}</p>\n{body}\n</body></html>\n'
    )
