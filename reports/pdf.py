"""A document as an A4 PDF with Thai text that is shaped, embedded and searchable.

Layout: a title page (office, report, fiscal year and round, when it was
made — Buddhist Era in Thai — and the headline figures), the charts, then
each table with its heading repeated on every page; wide tables turn the
page to landscape. Every page carries its number. Long lists stop at the
sheet's ``pdf_limit`` with a note, and detail tables meant for the
spreadsheet are only named, so a district of a thousand schools gives a
report of pages one reads, not thousands.
"""

from __future__ import annotations

import io
import logging
from typing import Final

from fpdf import FPDF
from fpdf.enums import PageOrientation
from fpdf.fonts import FontFace

from domain.i18n import Lang, plain
from reports.charts import render_chart_png
from reports.document import Column, ColumnKind, Document, Sheet, format_cell
from reports.fonts import BOLD_WEIGHT, REGULAR_WEIGHT, thai_font_path

FONT: Final = "NotoSansThai"
# fontTools narrates every font instance and subset at INFO; that is noise in the bot's log
logging.getLogger("fontTools").setLevel(logging.WARNING)
_WIDE: Final = 7  # tables with more columns than this are printed in landscape
_MIN_SPACE: Final = 45  # mm a table needs below the previous one, else it starts a page
_HEADING_FILL: Final = (31, 78, 121)
_GOOD: Final = FontFace(color=(0, 97, 0), fill_color=(198, 239, 206))
_BAD: Final = FontFace(color=(156, 0, 6), fill_color=(255, 199, 206))
_HEADINGS: Final = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_HEADING_FILL)


class _Pdf(FPDF):
    """FPDF with the Thai font, shaped text and a numbered footer."""

    def __init__(self, lang: Lang, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.reader_lang: Lang = lang
        self.report_title = title
        path = thai_font_path()
        self.add_font(FONT, "", path, variations={"wght": float(REGULAR_WEIGHT)})
        self.add_font(FONT, "B", path, variations={"wght": float(BOLD_WEIGHT)})
        self.set_text_shaping(True)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(14, 14, 14)
        self.set_title(title)
        self.set_creator("Tidtam")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 8)
        self.set_text_color(110, 110, 110)
        page = plain(self.reader_lang, "reports.pdf.page", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.report_title} · {page}", align="C")
        self.set_text_color(0, 0, 0)


def _title_page(pdf: _Pdf, document: Document) -> None:
    pdf.add_page()
    pdf.set_y(40)
    pdf.set_font(FONT, "", 13)
    pdf.multi_cell(0, 8, document.office, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 22)
    pdf.multi_cell(0, 11, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 13)
    for line in document.scope:
        pdf.multi_cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 7, document.generated_label, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    if document.highlights:
        pdf.ln(10)
        pdf.set_font(FONT, "B", 13)
        pdf.cell(
            0, 8, plain(document.lang, "reports.pdf.highlights"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font(FONT, "", 11)
        with pdf.table(
            col_widths=(3, 4),
            first_row_as_headings=False,
            line_height=7,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for label, value in document.highlights:
                row = table.row()
                row.cell(label)
                row.cell(value)


def _png_size(png: bytes) -> tuple[int, int]:
    # width and height sit at fixed places of the IHDR chunk of every PNG
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _charts(pdf: _Pdf, document: Document) -> None:
    """Charts at full width, as many to a page as fit."""
    first = True
    for chart in document.charts:
        if not chart.labels:
            continue
        png = render_chart_png(chart, dpi=150)
        width, height = _png_size(png)
        shown_height = pdf.epw * height / width
        if first or pdf.get_y() + shown_height > pdf.page_break_trigger:
            pdf.add_page(orientation="portrait")
            first = False
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=pdf.epw, h=shown_height)
        pdf.ln(4)


def _align(column: Column) -> str:
    if column.kind.numeric:
        return "RIGHT"
    return "CENTER" if column.kind is ColumnKind.FLAG else "LEFT"


def _sheet(pdf: _Pdf, document: Document, sheet: Sheet) -> None:
    """A table below the previous one, on a new page when the orientation changes or space ends."""
    wide = len(sheet.columns) > _WIDE
    orientation = PageOrientation.LANDSCAPE if wide else PageOrientation.PORTRAIT
    if pdf.cur_orientation is not orientation or pdf.get_y() > pdf.page_break_trigger - _MIN_SPACE:
        pdf.add_page(orientation=orientation.value)
    else:
        pdf.ln(8)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, sheet.title, new_x="LMARGIN", new_y="NEXT")
    rows = sheet.rows
    if sheet.pdf_limit is not None and len(rows) > sheet.pdf_limit:
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(90, 90, 90)
        note = plain(document.lang, "reports.pdf.limited", shown=sheet.pdf_limit, total=len(rows))
        pdf.multi_cell(0, 6, note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        rows = rows[: sheet.pdf_limit]
    if not rows:
        pdf.set_font(FONT, "", 11)
        pdf.cell(0, 8, plain(document.lang, "reports.pdf.empty"), new_x="LMARGIN", new_y="NEXT")
        return
    pdf.ln(2)
    pdf.set_font(FONT, "", 8 if wide else 9)
    with pdf.table(
        col_widths=tuple(column.width for column in sheet.columns),
        text_align=tuple(_align(column) for column in sheet.columns),
        headings_style=_HEADINGS,
        line_height=5.2,
        padding=(0.8, 1.2),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for column in sheet.columns:
            heading.cell(column.title)
        for values in rows:
            row = table.row()
            for cell, column in zip(values, sheet.columns, strict=True):
                text = format_cell(cell, column)
                if column.kind is ColumnKind.FLAG and cell is not None:
                    row.cell(text, style=_GOOD if cell else _BAD)
                else:
                    row.cell(text)


def _spreadsheet_only(pdf: _Pdf, document: Document) -> None:
    left_out = [sheet.title for sheet in document.sheets if not sheet.in_pdf]
    if not left_out:
        return
    pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(90, 90, 90)
    note = plain(document.lang, "reports.pdf.spreadsheet_only", sheets=", ".join(left_out))
    pdf.multi_cell(0, 6, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


class _DrawnWithPrevious(tuple[int, ...]):
    """The text of a glyph that only completes a character an earlier glyph stands for.

    Shaping draws some Thai characters with two glyphs (SARA AM is a ring and
    SARA AA; a tone mark before it moves to a small form). fpdf2 maps the
    first glyph to the character and leaves the second out of the PDF's
    ToUnicode map, so text extraction shows a stray control character. This
    empty text with a length of one makes fpdf2 map the second glyph to
    nothing, and the extracted text is exactly what was written.
    """

    __slots__ = ()

    def __len__(self) -> int:
        return 1


def _map_every_glyph(pdf: FPDF) -> None:
    for font in pdf.fonts.values():
        subset = getattr(font, "subset", None)
        if subset is None:
            continue
        for glyph, _ in subset.items():
            if glyph is not None and isinstance(glyph.unicode, tuple) and not glyph.unicode:
                glyph.unicode = _DrawnWithPrevious()


def render_pdf(document: Document) -> bytes:
    """The PDF as bytes."""
    pdf = _Pdf(document.lang, document.title)
    _title_page(pdf, document)
    _charts(pdf, document)
    for sheet in document.sheets:
        if sheet.in_pdf:
            _sheet(pdf, document, sheet)
    _spreadsheet_only(pdf, document)
    _map_every_glyph(pdf)
    return bytes(pdf.output())
