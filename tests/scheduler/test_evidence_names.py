"""Names of local evidence copies: safe on disk whatever name a person's app sent."""

from __future__ import annotations

import pytest

from scheduler.evidence import MAX_NAME_BYTES, safe_file_name


@pytest.mark.parametrize(
    ("sent", "mime", "stored"),
    [
        ("รายงานกิจกรรม ภาคเรียนที่ 2.pdf", "application/pdf", "รายงานกิจกรรม ภาคเรียนที่ 2.pdf"),
        ("../../etc/passwd", None, "_._etc_passwd"),
        ("..\\..\\boot.ini", None, "_._boot.ini"),
        ("report\u202efdp.exe", None, "reportfdp.exe"),
        ("line\nbreak\x00.docx", None, "line break.docx"),
        ("...", "application/pdf", "document.pdf"),
        (None, "image/png", "document.png"),
        (None, None, "document"),
        ("  .hidden  ", None, "hidden"),
        ('a:b*c?"d"<e>|f.txt', None, "a_b_c__d__e__f.txt"),
    ],
)
def test_a_sent_name_becomes_one_safe_component(sent, mime, stored):
    assert safe_file_name(sent, kind="document", mime_type=mime) == stored


def test_a_photo_is_always_a_jpeg():
    assert safe_file_name("ignored.png", kind="photo", mime_type="image/png") == "photo.jpg"


def test_a_long_thai_name_is_cut_at_a_character_and_keeps_its_extension():
    sent = "ก" * 300 + ".xlsx"
    stored = safe_file_name(sent, kind="document", mime_type=None)
    assert stored == "ก" * ((MAX_NAME_BYTES - 5) // 3) + ".xlsx"
    assert len(stored.encode("utf-8")) <= MAX_NAME_BYTES
