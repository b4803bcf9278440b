"""One entry point for every format: a report in, a named file out.

``text`` is the chat summary as plain text (every page); ``xlsx``, ``csv``,
``pdf`` and ``html`` lay out the report's document; ``png`` is its first
chart. The same report object feeds them all.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum

from domain.i18n import Lang
from reports.chat import chat_pages
from reports.csv import render_csv
from reports.documents import document_of
from reports.engine import Report, ReportKind
from reports.html_public import render_html


class Format(StrEnum):
    """The formats a report is rendered in."""

    TEXT = "text"
    XLSX = "xlsx"
    PDF = "pdf"
    CSV = "csv"
    PNG = "png"
    HTML = "html"

    @property
    def mime_type(self) -> str:
        return _MIME[self]

    @property
    def extension(self) -> str:
        return "txt" if self is Format.TEXT else self.value


_MIME = {
    Format.TEXT: "text/plain",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PDF: "application/pdf",
    Format.CSV: "text/csv",
    Format.PNG: "image/png",
    Format.HTML: "text/html",
}
_TAG = re.compile(r"<[^>]+>")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class NoChart(LookupError):
    """The report has no chart to draw (e.g. the problems digest)."""


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """A rendered report: a file name people can keep, its type and its bytes."""

    name: str
    mime_type: str
    content: bytes


def plain_text(pages: list[str]) -> str:
    """Chat HTML pages as plain text, pages separated by a blank line."""
    return "\n\n".join(html.unescape(_TAG.sub("", page)) for page in pages) + "\n"


def file_name(kind: str, scope: str, fmt: Format) -> str:
    """``tidtam-<kind>-<scope>.<ext>`` with only characters safe in any file system."""
    safe_scope = _UNSAFE.sub("-", scope).strip("-") or "report"
    return f"tidtam-{kind}-{safe_scope}.{fmt.extension}"


def render(
    report: Report, fmt: Format, lang: Lang, *, office: str, kind: ReportKind, scope: str
) -> RenderedFile:
    """Render a report; its kind and ``scope`` (a round or fiscal-year code) name the file.

    Raises :class:`NoChart` for ``png`` when the report has no chart.
    """
    if fmt is Format.TEXT:
        content = plain_text([str(page) for page in chat_pages(report, lang)]).encode("utf-8")
    else:
        document = document_of(report, lang, office)
        # The file renderers import openpyxl, fpdf2 and matplotlib, about half a
        # second that `tidtam run` would pay before it polls; they load on the
        # first file asked for instead.
        match fmt:
            case Format.XLSX:
                from reports.xlsx import render_xlsx

                content = render_xlsx(document)
            case Format.PDF:
                from reports.pdf import render_pdf

                content = render_pdf(document)
            case Format.CSV:
                content = render_csv(document)
            case Format.HTML:
                content = render_html(document)
            case Format.PNG:
                charts = [chart for chart in document.charts if chart.labels]
                if not charts:
                    raise NoChart(document.kind)
                from reports.charts import render_chart_png

                content = render_chart_png(charts[0])
    return RenderedFile(file_name(kind.value, scope, fmt), fmt.mime_type, content)
