"""Printable invites: an A4 sheet of cut-out cards, one per school, and single QR images.

Each card carries the school's Thai name, the role, a QR code of the deep
link (scanning it opens the bot and registers the person), the code in
groups of four for typing by hand, and the expiry date (Buddhist Era in
Thai). Thai is shaped with HarfBuzz and set in Noto Sans Thai, embedded, so
vowels and tone marks sit where they belong on any printer.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

import fontpkg_noto_sans_thai
import segno

from domain.calendar import BANGKOK, format_date
from domain.i18n import Lang, plain
from domain.invite_codes import format_code
from storage.services import IssuedInvite

if TYPE_CHECKING:
    from fpdf import FPDF

FONT: Final = "NotoSansThai"
PAGE_MARGIN: Final = 10.0  # mm
COLUMNS: Final = 2
ROWS: Final = 3
GAP: Final = 4.0  # mm between cards
QR_SIZE: Final = 46.0  # mm: large enough for an old phone camera at arm's length
ZERO_WIDTH_SPACE: Final = 0x200B


@cache
def font_path() -> Path:
    """The embedded Thai font (a variable font; weights are chosen per style)."""
    return Path(fontpkg_noto_sans_thai.__file__).parent / "files" / "NotoSansThai[wdth,wght].ttf"


def qr_png(link: str, *, scale: int = 10) -> bytes:
    """A QR code of ``link`` as PNG bytes, with the quiet zone scanners need."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _pdf() -> FPDF:
    # fpdf2 (with fontTools and numpy) loads on the first sheet, not when the
    # bot starts: importing it costs about 0.3 s before `tidtam run` polls.
    from fpdf import FPDF

    # fontTools narrates every subsetting step at INFO; the operator needs none of it
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
    pdf.add_font(FONT, "", font_path(), variations={"wght": 400.0})
    pdf.add_font(FONT, "B", font_path(), variations={"wght": 700.0})
    pdf.set_text_shaping(True)
    return pdf


def _card(
    pdf: FPDF,
    invite: IssuedInvite,
    *,
    x: float,
    y: float,
    width: float,
    height: float,
    bot_username: str,
    lang: Lang,
    tz: ZoneInfo,
) -> None:
    inner = width - 8
    with pdf.local_context():
        pdf.set_draw_color(150, 150, 150)
        pdf.set_dash_pattern(dash=1.5, gap=1.5)
        pdf.rect(x, y, width, height)
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_xy(x + 4, y + 3)
    pdf.cell(inner, 4.5, plain(lang, "onboarding.invite_sheet.title"))
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 13)
    pdf.set_xy(x + 4, y + 8)
    # the school's Thai name is what people recognise, whatever the sheet's language
    pdf.multi_cell(inner, 6.5, invite.school.name_th, max_line_height=6.5)
    pdf.set_font(FONT, "", 10.5)
    pdf.set_x(x + 4)
    role = plain(lang, f"value.role.{invite.role.value}")
    if invite.person is not None:  # a personal invite names who it is for
        role = f"{role} · {invite.person.full_name}"
    pdf.cell(inner, 5.5, plain(lang, "onboarding.invite_sheet.role", role=role))
    link = invite.link(bot_username)
    qr_top = y + 27
    pdf.image(io.BytesIO(qr_png(link)), x=x + 3, y=qr_top, w=QR_SIZE, h=QR_SIZE)
    text_x = x + 3 + QR_SIZE + 2
    text_width = width - (text_x - x) - 3
    pdf.set_xy(text_x, qr_top + 3)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(
        text_width,
        4.6,
        plain(lang, "onboarding.invite_sheet.scan", bot=f"@{bot_username}"),
        align="L",
        max_line_height=4.6,
    )
    pdf.set_xy(text_x, pdf.get_y() + 2)
    pdf.set_font(FONT, "B", 9)
    expires = format_date(invite.expires_at, lang, tz=tz)
    pdf.multi_cell(
        text_width,
        4.6,
        plain(lang, "onboarding.invite_sheet.expires", date=expires),
        align="L",
        max_line_height=4.6,
    )
    # the code in full width under the QR code, for typing it by hand
    pdf.set_xy(x + 4, qr_top + QR_SIZE + 1)
    pdf.set_font(FONT, "", 9)
    label = plain(lang, "onboarding.invite_sheet.code_label")
    pdf.cell(pdf.get_string_width(label) + 2, 7, label)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(inner - pdf.get_string_width(label) - 2, 7, format_code(invite.code))
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(FONT, "", 7)
    pdf.set_xy(x + 4, y + height - 7)
    pdf.cell(inner, 4, link)
    pdf.set_text_color(0, 0, 0)


def invite_sheet_pdf(
    invites: Sequence[IssuedInvite],
    *,
    bot_username: str,
    lang: Lang = "th",
    tz: ZoneInfo = BANGKOK,
) -> bytes:
    """An A4 PDF with one cut-out card per invite, six to a page."""
    pdf = _pdf()
    pdf.set_title(plain(lang, "onboarding.invite_sheet.document_title"))
    width = (210 - 2 * PAGE_MARGIN - (COLUMNS - 1) * GAP) / COLUMNS
    height = (297 - 2 * PAGE_MARGIN - (ROWS - 1) * GAP) / ROWS
    per_page = COLUMNS * ROWS
    if not invites:
        pdf.add_page()
    for index, invite in enumerate(invites):
        slot = index % per_page
        if slot == 0:
            pdf.add_page()
        column, row = slot % COLUMNS, slot // COLUMNS
        _card(
            pdf,
            invite,
            x=PAGE_MARGIN + column * (width + GAP),
            y=PAGE_MARGIN + row * (height + GAP),
            width=width,
            height=height,
            bot_username=bot_username,
            lang=lang,
            tz=tz,
        )
    _name_shaped_glyphs(pdf)
    return bytes(pdf.output())


def _name_shaped_glyphs(pdf: FPDF) -> None:
    """Give glyphs that shaping added a zero-width text, so copied text reads right.

    HarfBuzz splits SARA AM (ำ) into two glyphs; fpdf2 gives the cluster's text
    to the first and none to the second, which PDF readers then show as its
    raw code ("อำLรุง"). A zero-width space is what Thai text already uses
    between words, and invisible when the name is copied or searched.
    """
    for font in pdf.fonts.values():
        subset = getattr(font, "subset", None)
        if subset is None:
            continue
        for glyph, _ in list(subset.items()):
            if glyph is not None and glyph.unicode == ():
                glyph.unicode = (ZERO_WIDTH_SPACE,)
