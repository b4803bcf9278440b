"""Telegram HTML / MarkdownV2 / Markdown parsing as the emulator performs it."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import EntityParseError, parse_text, utf16_len


def test_escaped_user_input_passes_and_unescapes() -> None:
    parsed = parse_text("<b>ชื่อ:</b> &lt;script&gt; &amp; &quot;x&quot; &#3585;&#x0E01;", "HTML")
    assert parsed.text == 'ชื่อ: <script> & "x" กก'
    assert parsed.entities == ({"type": "bold", "offset": 0, "length": 5},)


def test_html_escape_of_arbitrary_text_round_trips() -> None:
    nasty = "a < b && c > d <i>\"quoted\"</i> 'single' & &amp;"
    assert parse_text(html.escape(nasty), "HTML").text == nasty


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Tom & Jerry", 'Character "&" at byte offset 4 must be escaped as "&amp;"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a < b", 'Character "<" at byte offset 2 must be escaped as "&lt;"'),
        ("a > b", 'Character ">" at byte offset 2 must be escaped as "&gt;"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("line<br>next", 'Unsupported start tag "br" at byte offset 4'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a>link</a>", 'Tag "a" must have a non-empty "href" attribute'),
        ('<a href="x" target="_blank">l</a>', 'Unsupported attribute "target" in the tag "a"'),
        ("<code><b>x</b></code>", 'Tag "b" can\'t be nested inside "code"'),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "can't be nested"),
    ],
)
def test_invalid_html_is_rejected_like_telegram(text: str, problem: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_text(text, "HTML")
    assert problem in str(caught.value)


def test_byte_offsets_count_utf8_bytes() -> None:
    # "ก" is three bytes in UTF-8, so the "&" sits at byte 4, not character 2.
    with pytest.raises(EntityParseError, match="byte offset 4"):
        parse_text("ก & x", "HTML")


def test_all_supported_tags_and_entities() -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><a href="https://example.org/?a=1&amp;b=2">a</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
    )
    parsed = parse_text(text, "HTML")
    kinds = [e["type"] for e in parsed.entities]
    assert kinds.count("bold") == 2
    assert "expandable_blockquote" in kinds
    pre = next(e for e in parsed.entities if e["type"] == "pre")
    assert pre["language"] == "python"
    link = next(e for e in parsed.entities if e["type"] == "text_link")
    assert link["url"] == "https://example.org/?a=1&b=2"
    assert parsed.text == "bsieunskdpqa👍cx = 1qe"


def test_tag_names_are_case_insensitive() -> None:
    assert parse_text("<B>x</B>", "HTML").text == "x"


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("ab") == 2
    assert utf16_len("👍") == 2
    assert utf16_len("สวัสดี") == 6
    parsed = parse_text("👍<b>x</b>", "HTML")
    assert parsed.entities[0]["offset"] == 2


def test_markdown_v2_reserved_characters_must_be_escaped() -> None:
    assert parse_text(r"Done\. *bold* _it_ __u__ ~s~ ||sp|| `c`", "MarkdownV2").text == (
        "Done. bold it u s sp c"
    )
    with pytest.raises(EntityParseError, match=r"Character '\.' is reserved"):
        parse_text("Done.", "MarkdownV2")
    with pytest.raises(EntityParseError, match="Can't find end of Bold entity at byte offset 0"):
        parse_text("*open", "MarkdownV2")


def test_markdown_v2_links_code_blocks_and_quotes() -> None:
    parsed = parse_text("[site](https://example.org/a\\)b)\n```py\nx*2\n```\n>quoted", "MarkdownV2")
    assert parsed.text == "site\nx*2\n\nquoted"
    kinds = {e["type"]: e for e in parsed.entities}
    assert kinds["text_link"]["url"] == "https://example.org/a)b"
    assert kinds["pre"]["language"] == "py"
    assert kinds["blockquote"]["length"] == len("quoted")


def test_legacy_markdown() -> None:
    assert parse_text("*b* _i_ `c` [l](http://x.y)", "Markdown").text == "b i c l"
    with pytest.raises(EntityParseError, match="Can't find end of the entity"):
        parse_text("*open", "Markdown")


def test_no_parse_mode_keeps_text() -> None:
    assert parse_text("<b>&", None).text == "<b>&"


def test_markdown_v2_expandable_blockquote() -> None:
    parsed = parse_text("**>line one\n>line two||\nafter", "MarkdownV2")
    assert parsed.text == "line one\nline two\nafter"
    assert parsed.entities == ({"type": "expandable_blockquote", "offset": 0, "length": 17},)


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text: str) -> None:
    parsed = parse_text(html.escape(text, quote=False), "HTML")
    assert parsed.text == text
    assert parsed.entities == ()


@given(st.text(alphabet=st.sampled_from(list("ab <>/&;#x1_*[]()~`>|\\!.\n")), max_size=40))
@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2", "Markdown"])
def test_parsers_fail_only_with_entity_parse_errors(mode: str, text: str) -> None:
    try:
        parsed = parse_text(text, mode)
    except EntityParseError:
        return
    total = utf16_len(parsed.text)
    for entity in parsed.entities:
        offset, length = entity["offset"], entity["length"]
        assert isinstance(offset, int) and isinstance(length, int)
        assert offset >= 0 and length > 0 and offset + length <= total
