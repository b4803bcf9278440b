"""A document as one static HTML page: the public edition for the office's website.

Self-contained (styles inline, charts as embedded PNG), so the file can be
uploaded anywhere as it is. Every text is escaped. Figures are formatted by
:func:`reports.document.format_cell`, like the PDF.
"""

from __future__ import annotations

import base64
import html

from reports.charts import render_chart_png
from reports.document import ColumnKind, Document, Sheet, format_cell

_STYLE = """
body{font-family:'Noto Sans Thai','Sarabun',system-ui,sans-serif;max-width:62em;margin:2em auto;
padding:0 1em;color:#222;line-height:1.6}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin-top:2em;color:#1F4E79}
.office{color:#555}.scope{margin:.2em 0}.generated{color:#777;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.92em}
th{background:#1F4E79;color:#fff;text-align:left;padding:.35em .5em}
td{border-bottom:1px solid #ddd;padding:.3em .5em}td.n{text-align:right;white-space:nowrap}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}dt{color:#555}
dd{margin:0;font-weight:600}img{max-width:100%;height:auto;margin:1em 0}
"""


def _table(sheet: Sheet) -> str:
    head = "".join(f"<th>{html.escape(column.title)}</th>" for column in sheet.columns)
    body = []
    for row in sheet.rows:
        cells = []
        for cell, column in zip(row, sheet.columns, strict=True):
            css = ' class="n"' if column.kind.numeric or column.kind is ColumnKind.FLAG else ""
            cells.append(f"<td{css}>{html.escape(format_cell(cell, column))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<h2>{html.escape(sheet.title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def render_html(document: Document) -> bytes:
    """The page as UTF-8 bytes."""
    parts = [
        "<!doctype html>",
        f'<html lang="{document.lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(document.title)}</title><style>{_STYLE}</style></head><body>",
        f'<p class="office">{html.escape(document.office)}</p>',
        f"<h1>{html.escape(document.title)}</h1>",
        *(f'<p class="scope">{html.escape(line)}</p>' for line in document.scope),
        f'<p class="generated">{html.escape(document.generated_label)}</p>',
    ]
    if document.highlights:
        items = "".join(
            f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>"
            for label, value in document.highlights
        )
        parts.append(f"<dl>{items}</dl>")
    for chart in document.charts:
        if not chart.labels:
            continue
        encoded = base64.b64encode(render_chart_png(chart)).decode("ascii")
        parts.append(
            f'<img alt="{html.escape(chart.title)}" src="data:image/png;base64,{encoded}">'
        )
    parts += [_table(sheet) for sheet in document.sheets]
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
