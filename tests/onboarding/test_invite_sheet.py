"""The printable invite sheet: Thai names as text, QR codes that scan to the deep links."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from domain.invite_codes import format_code
from domain.values import Role
from onboarding.invite_sheet import invite_sheet_pdf, qr_png
from storage.sample import load_sample
from storage.services import IssuedInvite, issue_invite

USERNAME = "tidtam_demo_bot"


@pytest.fixture
async def invites(database, clock) -> list[IssuedInvite]:
    async with database.transaction() as repos:
        await load_sample(repos, now=clock())
        schools = await repos.schools.list()
        return [
            await issue_invite(repos, school=school, role=Role.REPORTER, now=clock())
            for school in schools[:8]
        ]


def decoded_links(pdf: bytes) -> list[list[str]]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=3).to_pil()
            pages.append(sorted(barcode.text for barcode in zxingcpp.read_barcodes(image)))
        return pages
    finally:
        document.close()


def test_every_qr_code_on_the_sheet_decodes_to_its_deep_link(invites):
    pdf = invite_sheet_pdf(invites, bot_username=USERNAME)
    pages = decoded_links(pdf)
    assert len(pages) == 2  # six cards to an A4 page
    assert [link for page in pages for link in page] == sorted(
        f"https://t.me/{USERNAME}?start={invite.code}" for invite in invites[:6]
    ) + sorted(f"https://t.me/{USERNAME}?start={invite.code}" for invite in invites[6:])


def test_the_sheet_is_a4_and_its_text_carries_thai_names_codes_and_be_expiry(invites):
    reader = PdfReader(io.BytesIO(invite_sheet_pdf(invites, bot_username=USERNAME)))
    first = reader.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    # shaped Thai carries zero-width spaces after split vowels (see invite_sheet)
    text = "".join(page.extract_text() for page in reader.pages).replace("\u200b", "")
    for invite in invites:
        assert invite.school.name_th in text
        assert format_code(invite.code) in text
    assert "ครูผู้รับผิดชอบ" in text
    assert "ใช้ได้ถึง 19 ม.ค. 2570" in text  # 14 days after 5 Jan 2027, Buddhist Era


def test_an_english_sheet_keeps_the_thai_school_name_and_uses_the_common_era(invites):
    reader = PdfReader(io.BytesIO(invite_sheet_pdf(invites[:1], bot_username=USERNAME, lang="en")))
    text = reader.pages[0].extract_text()
    assert invites[0].school.name_th in text
    assert "Valid until 19 Jan 2027" in text


def test_a_single_qr_image_decodes_to_the_link():
    from PIL import Image

    link = f"https://t.me/{USERNAME}?start=ABCDEFGHJKLMNPQR"
    image = Image.open(io.BytesIO(qr_png(link)))
    assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [link]
