"""A document as CSV: every sheet in turn, for other systems and quick checks.

Each table starts with a line holding its title and is followed by an empty
line; numbers are plain digits (``1234.5``, no grouping, no ``%``), exactly
the engine's figures. UTF-8 with a byte-order mark, so Excel opens Thai
text correctly.
"""

from __future__ import annotations

import csv
import io

from reports.document import Document, raw_cell


def render_csv(document: Document, *, sheet_key: str | None = None) -> bytes:
    """All sheets (or the one named by ``sheet_key``) as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    sheets = document.sheets if sheet_key is None else (document.sheet(sheet_key),)
    for index, sheet in enumerate(sheets):
        if index:
            writer.writerow([])
        writer.writerow([sheet.title])
        writer.writerow([column.title for column in sheet.columns])
        for row in sheet.rows:
            writer.writerow(
                [raw_cell(cell, column) for cell, column in zip(row, sheet.columns, strict=True)]
            )
    return out.getvalue().encode("utf-8-sig")
