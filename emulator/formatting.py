"""Telegram text formatting: parse HTML, MarkdownV2 and Markdown like the Bot API.

The emulator needs the plain text a user would see (to check the documented
length limits "after entities parsing" and to let tests read what the bot
said) and it must reject markup Telegram rejects. Each parser returns the
plain text plus MessageEntity dicts with UTF-16 offsets, or raises
:class:`EntityParseError` whose message reads like the part of Telegram's
"Bad Request: can't parse entities: ..." description after the colon.

The parsers follow Telegram's documented rules ("Formatting options" in the
Bot API manual) and TDLib's error wording. Where Telegram is more lenient
than its own documentation (it silently keeps a bare ``&`` or ``>`` in HTML
text, ignores unknown attributes and drops entities nested inside ``code``),
these parsers are strict, because such text is a bug in the bot even when
Telegram happens to display something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, NoReturn

__all__ = [
    "PARSE_MODES",
    "EntityParseError",
    "ParsedText",
    "parse_text",
    "utf16_len",
]

#: The values the Bot API accepts for ``parse_mode``.
PARSE_MODES: Final[frozenset[str]] = frozenset({"HTML", "MarkdownV2", "Markdown"})


class EntityParseError(ValueError):
    """Text that Telegram would refuse to send because its markup is invalid."""


@dataclass(frozen=True)
class ParsedText:
    """Result of entity parsing: what the user sees, and where the formatting is."""

    text: str
    entities: tuple[dict[str, object], ...] = field(default_factory=tuple)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    # Characters outside the BMP take two code units; surrogatepass keeps lone
    # surrogates (possible in JSON input) from raising.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_text(text: str, parse_mode: str | None) -> ParsedText:
    """Parse ``text`` the way Telegram does for ``parse_mode``.

    ``None`` (or an empty string, which Telegram treats the same) returns the
    text unchanged. Raises :class:`EntityParseError` for invalid markup and
    :class:`ValueError` for an unknown parse mode.
    """
    if not parse_mode:
        return ParsedText(text)
    if parse_mode == "HTML":
        return _HtmlParser(text).parse()
    if parse_mode == "MarkdownV2":
        return _MarkdownV2Parser(text).parse()
    if parse_mode == "Markdown":
        return _MarkdownParser(text).parse()
    raise ValueError(f"unsupported parse_mode {parse_mode!r}")


def _byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``; Telegram reports errors in bytes."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


class _Output:
    """Accumulates plain text and entities while tracking the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos16 = 0
        self.entities: list[dict[str, object]] = []

    def emit(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos16 += utf16_len(chunk)

    def entity(self, kind: str, start16: int, **extra: object) -> None:
        # Telegram drops empty entities instead of failing.
        length = self.pos16 - start16
        if length <= 0:
            return
        item: dict[str, object] = {"type": kind, "offset": start16, "length": length}
        item.update({k: v for k, v in extra.items() if v is not None})
        self.entities.append(item)

    def result(self) -> ParsedText:
        ordered = sorted(self.entities, key=lambda e: (_as_int(e["offset"]), -_as_int(e["length"])))
        return ParsedText("".join(self.parts), tuple(ordered))


def _as_int(value: object) -> int:
    assert isinstance(value, int)
    return value


# --------------------------------------------------------------------------- HTML

_HTML_ENTITY_TYPES: Final[dict[str, str]] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}

# Attributes each tag may carry; anything else is reported instead of being
# silently ignored as Telegram does.
_HTML_ALLOWED_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "a": frozenset({"href"}),
    "span": frozenset({"class"}),
    "tg-emoji": frozenset({"emoji-id"}),
    "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
}

_NAMED_ENTITIES: Final[dict[str, str]] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE: Final = re.compile(
    r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z][a-zA-Z0-9]{0,31}));"
)
_HTML_SPECIAL_RE: Final = re.compile(r"[&<>]")
_TAG_NAME_RE: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_NAME_RE: Final = re.compile(r"[^\s=>/\"']+")
_LANGUAGE_CLASS_RE: Final = re.compile(r"language-[A-Za-z0-9_+#.-]+")


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    start16: int
    index: int


class _HtmlParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = _Output()
        self.stack: list[_OpenTag] = []

    def fail(self, message: str) -> NoReturn:
        raise EntityParseError(message)

    def at(self, index: int) -> int:
        return _byte_offset(self.text, index)

    def parse(self) -> ParsedText:
        text = self.text
        i = 0
        while i < len(text):
            char = text[i]
            if char == "&":
                decoded, i = self.entity(i, in_attribute=False)
                self.out.emit(decoded)
            elif char == "<":
                i = self.end_tag(i) if text.startswith("</", i) else self.start_tag(i)
            elif char == ">":
                self.fail(f'Character ">" at byte offset {self.at(i)} must be escaped as "&gt;"')
            else:
                # Copy a run of ordinary characters at once.
                special = _HTML_SPECIAL_RE.search(text, i + 1)
                j = len(text) if special is None else special.start()
                self.out.emit(text[i:j])
                i = j
        if self.stack:
            self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        return self.out.result()

    def entity(self, i: int, *, in_attribute: bool) -> tuple[str, int]:
        """Decode the character reference at ``i``; return it and the next index."""
        match = _ENTITY_RE.match(self.text, i)
        if match is None:
            if in_attribute:
                # A bare "&" inside a tag is part of the tag, which the manual allows.
                return "&", i + 1
            self.fail(f'Character "&" at byte offset {self.at(i)} must be escaped as "&amp;"')
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            replacement = _NAMED_ENTITIES.get(name)
            if replacement is None:
                self.fail(
                    f'Unsupported HTML entity "{match.group(0)}" at byte offset {self.at(i)}; '
                    "only &lt; &gt; &amp; &quot; and numeric entities are supported"
                )
            return replacement, match.end()
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            self.fail(f'Invalid numeric HTML entity "{match.group(0)}" at byte offset {self.at(i)}')
        return chr(code), match.end()

    def start_tag(self, begin: int) -> int:
        text = self.text
        name_match = _TAG_NAME_RE.match(text, begin + 1)
        if name_match is None:
            self.fail(f'Character "<" at byte offset {self.at(begin)} must be escaped as "&lt;"')
        name = name_match.group(0).lower()
        if name not in _HTML_ENTITY_TYPES:
            self.fail(f'Unsupported start tag "{name}" at byte offset {self.at(begin)}')
        attributes: dict[str, str] = {}
        i = name_match.end()
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                self.fail(f"Unclosed start tag at byte offset {self.at(begin)}")
            if text[i] == ">":
                i += 1
                break
            attr_match = _ATTR_NAME_RE.match(text, i)
            if attr_match is None:
                self.fail(
                    f'Empty attribute name in the tag "{name}" at byte offset {self.at(begin)}'
                )
            attr_name = attr_match.group(0).lower()
            i = attr_match.end()
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text) or text[i] != "=":
                if name == "blockquote" and attr_name == "expandable":
                    attributes[attr_name] = ""
                    continue
                self.fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {self.at(begin)}'
                )
            i += 1
            while i < len(text) and text[i].isspace():
                i += 1
            value, i = self.attribute_value(i, begin)
            attributes[attr_name] = value
        self.open(name, attributes, begin)
        return i

    def attribute_value(self, i: int, begin: int) -> tuple[str, int]:
        text = self.text
        if i >= len(text):
            self.fail(f"Unclosed start tag at byte offset {self.at(begin)}")
        quote = text[i]
        chars: list[str] = []
        if quote in "\"'":
            i += 1
            while i < len(text) and text[i] != quote:
                if text[i] == "&":
                    decoded, i = self.entity(i, in_attribute=True)
                    chars.append(decoded)
                else:
                    chars.append(text[i])
                    i += 1
            if i >= len(text):
                self.fail(f"Unclosed start tag at byte offset {self.at(begin)}")
            return "".join(chars), i + 1
        while i < len(text) and not text[i].isspace() and text[i] != ">":
            if text[i] == "&":
                decoded, i = self.entity(i, in_attribute=True)
                chars.append(decoded)
            else:
                chars.append(text[i])
                i += 1
        return "".join(chars), i

    def open(self, name: str, attributes: dict[str, str], begin: int) -> None:
        where = f"at byte offset {self.at(begin)}"
        allowed = _HTML_ALLOWED_ATTRIBUTES.get(name, frozenset())
        for attr in attributes:
            if attr not in allowed:
                self.fail(f'Unsupported attribute "{attr}" in the tag "{name}" {where}')
        if name == "a" and not attributes.get("href"):
            self.fail(f'Tag "a" must have a non-empty "href" attribute {where}')
        if name == "span" and attributes.get("class") != "tg-spoiler":
            self.fail(f'Tag "span" must have class "tg-spoiler" {where}')
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            self.fail(f'Tag "tg-emoji" must have a numeric "emoji-id" attribute {where}')
        parent = self.stack[-1].name if self.stack else None
        if "class" in attributes and name == "code":
            if parent != "pre":
                self.fail(
                    f'Attribute "class" of the tag "code" is allowed only inside "pre" {where}'
                )
            if not _LANGUAGE_CLASS_RE.fullmatch(attributes["class"]):
                self.fail(f'Class of the tag "code" must look like "language-python" {where}')
        # Telegram drops formatting nested in code blocks; report it instead.
        if parent == "code" or (parent == "pre" and name != "code"):
            self.fail(f'Tag "{name}" can\'t be nested inside "{parent}" {where}')
        if name == "blockquote" and any(t.name == "blockquote" for t in self.stack):
            self.fail(f'Tag "blockquote" can\'t be nested inside "blockquote" {where}')
        if name == "a" and any(t.name == "a" for t in self.stack):
            self.fail(f'Tag "a" can\'t be nested inside "a" {where}')
        self.stack.append(_OpenTag(name, attributes, self.out.pos16, begin))

    def end_tag(self, begin: int) -> int:
        text = self.text
        i = begin + 2
        name_start = i
        while i < len(text) and not text[i].isspace() and text[i] != ">":
            i += 1
        name = text[name_start:i].lower()
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != ">":
            self.fail(f"Unclosed end tag at byte offset {self.at(begin)}")
        if not self.stack:
            self.fail(f"Unexpected end tag at byte offset {self.at(begin)}")
        top = self.stack[-1]
        if top.name != name:
            self.fail(
                f"Unmatched end tag at byte offset {self.at(begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close(top)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        parent = self.stack[-1] if self.stack else None
        kind = _HTML_ENTITY_TYPES[tag.name]
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            language = tag.attributes.get("class", "").removeprefix("language-")
            parent.attributes["language"] = language
            return
        if tag.name == "pre":
            self.out.entity("pre", tag.start16, language=tag.attributes.get("language") or None)
        elif tag.name == "a":
            self.out.entity(kind, tag.start16, url=tag.attributes["href"])
        elif tag.name == "tg-emoji":
            self.out.entity(kind, tag.start16, custom_emoji_id=tag.attributes["emoji-id"])
        elif tag.name == "blockquote" and "expandable" in tag.attributes:
            self.out.entity("expandable_blockquote", tag.start16)
        else:
            self.out.entity(kind, tag.start16)


# ---------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED: Final[frozenset[str]] = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES: Final[dict[str, str]] = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}
_CUSTOM_EMOJI_URL_RE: Final = re.compile(r"tg://emoji\?id=(\d+)")


@dataclass
class _MdOpen:
    kind: str
    start16: int
    index: int
    language: str | None = None


class _MarkdownV2Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = _Output()
        self.stack: list[_MdOpen] = []
        self.quote_start16: int | None = None
        self.quote_expandable = False
        self.quote_end16 = 0

    def fail(self, message: str) -> NoReturn:
        raise EntityParseError(message)

    def reserved(self, i: int) -> NoReturn:
        self.fail(
            f"Character '{self.text[i]}' is reserved and must be escaped with the preceding '\\'"
        )

    def parse(self) -> ParsedText:
        text = self.text
        i = 0
        while i < len(text):
            top = self.stack[-1] if self.stack else None
            if top is not None and top.kind in ("code", "pre"):
                i = self.code_char(i, top)
                continue
            if i == 0 or text[i - 1] == "\n":
                i = self.line_start(i)
                if i >= len(text):
                    break
            char = text[i]
            if char == "\\" and i + 1 < len(text) and 0 < ord(text[i + 1]) <= 126:
                self.out.emit(text[i + 1])
                i += 2
                continue
            if char == "\n" and self.quote_start16 is not None:
                self.quote_end16 = self.out.pos16
            if char not in _MDV2_RESERVED:
                self.out.emit(char)
                i += 1
                continue
            i = self.close(i) if top is not None and self.ends(top, i) else self.open(i)
        if self.stack:
            top = self.stack[-1]
            name = _MDV2_NAMES[top.kind]
            self.fail(
                f"Can't find end of {name} entity at byte offset {_byte_offset(text, top.index)}"
            )
        self.finish_quote(self.out.pos16)
        return self.out.result()

    def line_start(self, i: int) -> int:
        """Handle blockquote markers, which Telegram recognises only at a line start."""
        text = self.text
        if text.startswith("**>", i) and not self.stack:
            self.finish_quote(self.quote_end16)
            self.quote_start16 = self.out.pos16
            self.quote_expandable = True
            return i + 3
        if text.startswith(">", i) and not self.stack:
            if self.quote_start16 is None:
                self.quote_start16 = self.out.pos16
                self.quote_expandable = False
            return i + 1
        if self.quote_start16 is not None:
            self.finish_quote(self.quote_end16)
        return i

    def finish_quote(self, end16: int) -> None:
        if self.quote_start16 is None:
            return
        kind = "expandable_blockquote" if self.quote_expandable else "blockquote"
        length = end16 - self.quote_start16
        if length > 0:
            self.out.entities.append({"type": kind, "offset": self.quote_start16, "length": length})
        self.quote_start16 = None
        self.quote_expandable = False

    def code_char(self, i: int, top: _MdOpen) -> int:
        text = self.text
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "`\\":
            self.out.emit(text[i + 1])
            return i + 2
        if top.kind == "pre" and text.startswith("```", i):
            self.stack.pop()
            self.out.entity("pre", top.start16, language=top.language)
            return i + 3
        if top.kind == "code" and char == "`":
            self.stack.pop()
            self.out.entity("code", top.start16)
            return i + 1
        self.out.emit(char)
        return i + 1

    def ends(self, top: _MdOpen, i: int) -> bool:
        text = self.text
        char = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if top.kind == "bold":
            return char == "*"
        if top.kind == "italic":
            return char == "_" and nxt != "_"
        if top.kind == "underline":
            return char == "_" and nxt == "_"
        if top.kind == "strikethrough":
            return char == "~"
        if top.kind == "spoiler":
            return char == "|" and nxt == "|"
        if top.kind in ("text_link", "custom_emoji"):
            return char == "]"
        return False

    def open(self, i: int) -> int:
        text = self.text
        char = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        start = _MdOpen("", self.out.pos16, i)
        if (
            char == "|"
            and nxt == "|"
            and self.quote_expandable
            and self.quote_start16 is not None
            and (i + 2 >= len(text) or text[i + 2] == "\n")
        ):
            # "||" at the end of a line closes an expandable blockquote.
            self.finish_quote(self.out.pos16)
            return i + 2
        if char == "_" and nxt == "_":
            start.kind, i = "underline", i + 2
        elif char == "_":
            start.kind, i = "italic", i + 1
        elif char == "*":
            start.kind, i = "bold", i + 1
        elif char == "~":
            start.kind, i = "strikethrough", i + 1
        elif char == "|" and nxt == "|":
            start.kind, i = "spoiler", i + 2
        elif char == "[":
            start.kind, i = "text_link", i + 1
        elif char == "!" and nxt == "[":
            start.kind, i = "custom_emoji", i + 2
        elif char == "`" and text.startswith("```", i):
            start.kind, i = "pre", i + 3
            line_end = text.find("\n", i)
            if line_end != -1 and not any(c.isspace() for c in text[i:line_end]):
                start.language = text[i:line_end] or None
                i = line_end + 1
        elif char == "`":
            start.kind, i = "code", i + 1
        else:
            self.reserved(i)
        start.start16 = self.out.pos16
        self.stack.append(start)
        return i

    def close(self, i: int) -> int:
        text = self.text
        top = self.stack.pop()
        if top.kind in ("text_link", "custom_emoji"):
            i += 1
            url: str | None = None
            if i < len(text) and text[i] == "(":
                url, i = self.url(i + 1, top)
            if top.kind == "custom_emoji":
                match = _CUSTOM_EMOJI_URL_RE.fullmatch(url or "")
                if match is None:
                    self.fail("Custom emoji entity must contain a tg://emoji URL")
                self.out.entity("custom_emoji", top.start16, custom_emoji_id=match.group(1))
            elif url:
                self.out.entity("text_link", top.start16, url=url)
            return i
        if top.kind == "underline":
            self.out.entity("underline", top.start16)
            return i + 2
        if top.kind == "spoiler":
            self.out.entity("spoiler", top.start16)
            return i + 2
        self.out.entity(top.kind, top.start16)
        return i + 1

    def url(self, i: int, top: _MdOpen) -> tuple[str, int]:
        text = self.text
        chars: list[str] = []
        while i < len(text) and text[i] != ")":
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ")\\":
                chars.append(text[i + 1])
                i += 2
            else:
                chars.append(text[i])
                i += 1
        if i >= len(text):
            self.fail(f"Can't find end of a URL at byte offset {_byte_offset(text, top.index)}")
        return "".join(chars), i + 1


# ------------------------------------------------------------------------ Markdown

_LEGACY_KINDS: Final[dict[str, str]] = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}


class _MarkdownParser:
    """Legacy Markdown: single-level *bold*, _italic_, `code`, ```pre``` and [links](url)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out = _Output()

    def parse(self) -> ParsedText:
        text = self.text
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
                self.out.emit(text[i + 1])
                i += 2
                continue
            if char not in _LEGACY_KINDS:
                self.out.emit(char)
                i += 1
                continue
            i = self.entity(i)
        return self.out.result()

    def entity(self, begin: int) -> int:
        text = self.text
        char = text[begin]
        end_char = "]" if char == "[" else char
        is_pre = text.startswith("```", begin)
        i = begin + (3 if is_pre else 1)
        language: str | None = None
        if is_pre:
            line_end = text.find("\n", i)
            if line_end != -1 and not any(c.isspace() for c in text[i:line_end]):
                language = text[i:line_end] or None
                i = line_end + 1
        start16 = self.out.pos16
        while i < len(text):
            if is_pre and text.startswith("```", i):
                break
            if not is_pre and text[i] == end_char:
                break
            self.out.emit(text[i])
            i += 1
        if i >= len(text):
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        if is_pre:
            self.out.entity("pre", start16, language=language)
            return i + 3
        i += 1
        if char != "[":
            self.out.entity(_LEGACY_KINDS[char], start16)
            return i
        if i < len(text) and text[i] == "(":
            close = text.find(")", i)
            if close == -1:
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, begin)}"
                )
            url = text[i + 1 : close]
            if url:
                self.out.entity("text_link", start16, url=url)
            return close + 1
        return i
