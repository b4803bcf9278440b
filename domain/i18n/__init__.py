"""Thai and English message catalogs.

Catalogs are TOML files under ``domain/i18n/<lang>/``; every file of a language
is merged, and a table ``[kpi]`` with a key ``ask`` becomes the key ``kpi.ask``.
Each language must define exactly the same keys with the same placeholders
(``{name}`` in :meth:`str.format` syntax); :func:`check_catalogs` proves it.

Texts are Telegram HTML. Placeholder values are HTML-escaped when rendered,
unless they are :class:`Html` (already-safe markup built from the catalogs).
"""

from __future__ import annotations

import html
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

Lang: TypeAlias = Literal["th", "en"]
LANGUAGES: Final[tuple[Lang, ...]] = ("th", "en")
DEFAULT_LANGUAGE: Final[Lang] = "th"

_ROOT = Path(__file__).parent
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


class Html(str):
    """Text that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


def escape(text: object) -> Html:
    """Escape any value for Telegram HTML."""
    if isinstance(text, Html):
        return text
    return Html(html.escape(str(text), quote=False))


def as_language(code: str | None, default: Lang = DEFAULT_LANGUAGE) -> Lang:
    """Map a Telegram ``language_code`` (``"th"``, ``"en-US"``…) to a catalog language."""
    if code:
        base = code.split("-", 1)[0].lower()
        for lang in LANGUAGES:
            if base == lang:
                return lang
    return default


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str], source: Path) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Mapping):
            _flatten(key, value, out, source)
        elif isinstance(value, str):
            if key in out:
                raise ValueError(f"catalog key {key!r} defined twice (again in {source.name})")
            out[key] = value
        else:
            raise ValueError(f"catalog key {key!r} in {source.name} is not text")


@cache
def catalog(lang: Lang) -> Mapping[str, str]:
    """All texts of one language, by key."""
    merged: dict[str, str] = {}
    for path in sorted((_ROOT / lang).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), merged, path)
    return merged


def placeholders(text: str) -> frozenset[str]:
    """The placeholder names a catalog text uses."""
    return frozenset(
        field.split(".", 1)[0].split("[", 1)[0]
        for _, field, _, _ in string.Formatter().parse(text)
        if field
    )


def check_catalogs() -> list[str]:
    """Every difference between the languages' keys and placeholders (empty when consistent)."""
    problems: list[str] = []
    reference = catalog(LANGUAGES[0])
    for lang in LANGUAGES[1:]:
        other = catalog(lang)
        for key in sorted(reference.keys() - other.keys()):
            problems.append(f"{key}: missing in {lang}")
        for key in sorted(other.keys() - reference.keys()):
            problems.append(f"{key}: missing in {LANGUAGES[0]}")
        for key in sorted(reference.keys() & other.keys()):
            if placeholders(reference[key]) != placeholders(other[key]):
                ours, theirs = (
                    sorted(placeholders(reference[key])),
                    sorted(placeholders(other[key])),
                )
                problems.append(f"{key}: placeholders differ ({ours} vs {theirs})")
    return problems


def t(lang: Lang, key: str, /, **params: object) -> Html:
    """Render the catalog text ``key`` in ``lang`` with escaped ``params``."""
    try:
        text = catalog(lang)[key]
    except KeyError:
        raise KeyError(f"no catalog text {key!r} in {lang!r}") from None
    if not params:
        return Html(text)
    return Html(text.format_map({name: escape(value) for name, value in params.items()}))


def plain(lang: Lang, key: str, /, **params: object) -> str:
    """Render a catalog text for places that are not HTML (button labels, alerts, CLI, files).

    The catalog's own tags are dropped (an alert would show ``<b>`` literally);
    parameters are inserted as they are.
    """
    text = _TAG.sub("", catalog(lang)[key])
    rendered = text.format_map({name: str(value) for name, value in params.items()})
    return html.unescape(rendered)


@dataclass(frozen=True, slots=True)
class Translator:
    """Catalog access bound to one language, handed to renderers."""

    lang: Lang

    def __call__(self, key: str, /, **params: object) -> Html:
        return t(self.lang, key, **params)

    def plain(self, key: str, /, **params: object) -> str:
        return plain(self.lang, key, **params)
