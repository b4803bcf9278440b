"""The Thai and English catalogs agree, and rendering escapes user text."""

from __future__ import annotations

import re
from pathlib import Path

from domain.i18n import LANGUAGES, Html, as_language, catalog, check_catalogs, plain, t

ROOT = Path(__file__).resolve().parents[2]


def test_thai_and_english_have_the_same_keys_and_placeholders():
    assert check_catalogs() == []
    assert len(catalog("th")) > 100


def test_every_catalog_key_used_in_the_code_exists():
    used: set[str] = set()
    pattern = re.compile(
        r"""\b(?:t|plain|refuse|UserError|InvalidInput|NotAllowed|NotFound|Conflict|InviteProblem)\(\s*(?:[\w.]+,\s*){0,2}["']([a-z_]+\.[a-z_.0-9]+)["']"""
    )
    for folder in ("bot", "handlers", "reports", "storage", "scheduler", "domain"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys"
    missing = sorted(key for key in used if key not in catalog("th"))
    assert missing == []


def test_placeholder_values_are_escaped_but_catalog_markup_is_kept():
    text = t("en", "start.registered", name="<i>Eve</i> & co", role="x", school="y")
    assert "&lt;i&gt;Eve&lt;/i&gt; &amp; co" in text
    assert "<b>y</b>" in text


def test_html_fragments_are_not_escaped_twice():
    text = t("en", "summary.title", round=Html("<b>R</b>"))
    assert "<b>R</b>" in text


def test_plain_text_unescapes_entities_for_buttons():
    assert plain("th", "common.confirm") == "✅ ยืนยัน"


def test_telegram_language_codes_map_to_catalogs():
    assert as_language("en-GB") == "en"
    assert as_language("th") == "th"
    assert as_language("fr") == "th"
    assert as_language(None, "en") == "en"
    assert set(LANGUAGES) == {"th", "en"}
