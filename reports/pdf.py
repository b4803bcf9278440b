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
from collections.abc import Sequence
from typing import Final

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, PageOrientation

from domain.i18n import Lang, plain
from reports.charts import render_chart_png
from reports.document import Cell, Column, ColumnKind, Document, Sheet, format_cell
from reports.fonts import BOLD_WEIGHT, REGULAR_WEIGHT, thai_font_path

FONT: Final = "NotoSansThai"
# fontTools narrates every font instance and subset at INFO; that is noise in the bot's log
logging.getLogger("fontTools").setLevel(logging.WARNING)
_WIDE: Final = 7  # tables with more columns than this are printed in landscape
_MIN_SPACE: Final = 45  # mm a table needs below the previous one, else it starts a page
_HEADING_FILL: Final = (31, 78, 121)
_GOOD: Final = ((198, 239, 206), (0, 97, 0))  # fill, text
_BAD: Final = ((255, 199, 206), (156, 0, 6))
_BOTTOM: Final = 16  # mm kept free for the page number


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
        self.set_auto_page_break(auto=True, margin=_BOTTOM)
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
    _Table(pdf, sheet.columns, size=8 if wide else 9).draw(rows, orientation.value)


class _Table:
    """A bordered table drawn cell by cell, its heading repeated on every page.

    fpdf2's own table lays every cell out twice through multi_cell; a district
    of a thousand schools needs tens of thousands of cells, so rows that fit
    one line are drawn with plain cells and only long texts wrap. Cells of
    plain ASCII (numbers, codes) skip text shaping, which they do not need.
    """

    _PAD: Final = 1.0  # mm inside each cell, left and right
    _TOP: Final = 0.7  # mm above and below the text

    def __init__(self, pdf: _Pdf, columns: Sequence[Column], *, size: int) -> None:
        self.pdf = pdf
        self.columns = columns
        self.size = size
        self.line = size * 0.52  # mm per line of text: the font's size with Thai marks' room
        total = sum(column.width for column in columns)
        self.widths = [pdf.epw * column.width / total for column in columns]
        self.aligns = [_align(column) for column in columns]

    def _lines(self, text: str, width: float) -> list[str]:
        room = width - 2 * self._PAD
        if self.pdf.get_string_width(text) <= room:
            return [text]
        lines = self.pdf.multi_cell(
            room, self.line, text, dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(lines, list)
        return [str(line) for line in lines] or [text]

    def _heading(self) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B", self.size)
        titles = [
            self._lines(column.title, width)
            for column, width in zip(self.columns, self.widths, strict=True)
        ]
        height = max(len(lines) for lines in titles) * self.line + 2 * self._TOP
        y = pdf.get_y()
        pdf.set_fill_color(*_HEADING_FILL)
        pdf.set_text_color(255, 255, 255)
        x = pdf.l_margin
        for lines, width, align in zip(titles, self.widths, self.aligns, strict=True):
            pdf.rect(x, y, width, height, style="DF")
            for index, line in enumerate(lines):
                pdf.set_xy(x + self._PAD, y + self._TOP + index * self.line)
                pdf.cell(width - 2 * self._PAD, self.line, line, align=align)
            x += width
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", self.size)
        pdf.set_y(y + height)

    def draw(self, rows: Sequence[Sequence[Cell]], orientation: str) -> None:
        pdf = self.pdf
        pdf.set_auto_page_break(auto=False)
        shaping = pdf.text_shaping
        self._heading()
        for values in rows:
            texts = [format_cell(c, col) for c, col in zip(values, self.columns, strict=True)]
            lines = [
                self._lines(text, width) if column.kind is ColumnKind.TEXT else [text]
                for text, width, column in zip(texts, self.widths, self.columns, strict=True)
            ]
            height = max(len(cell_lines) for cell_lines in lines) * self.line + 2 * self._TOP
            # auto page break is off while the table draws: the bottom margin is ours to keep
            if pdf.get_y() + height > pdf.h - _BOTTOM:
                pdf.add_page(orientation=orientation)
                self._heading()
            y = pdf.get_y()
            x = pdf.l_margin
            for value, column, cell_lines, width, align in zip(
                values, self.columns, lines, self.widths, self.aligns, strict=True
            ):
                flag = column.kind is ColumnKind.FLAG and value is not None
                if flag:
                    fill, colour = _GOOD if value else _BAD
                    pdf.set_fill_color(*fill)
                    pdf.set_text_color(*colour)
                pdf.rect(x, y, width, height, style="DF" if flag else "D")
                for index, line in enumerate(cell_lines):
                    pdf.text_shaping = None if line.isascii() else shaping
                    pdf.set_xy(x + self._PAD, y + self._TOP + index * self.line)
                    pdf.cell(width - 2 * self._PAD, self.line, line, align=align)
                pdf.text_shaping = shaping
                if flag:
                    pdf.set_text_color(0, 0, 0)
                x += width
            pdf.set_y(y + height)
        pdf.set_auto_page_break(auto=True, margin=_BOTTOM)


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
