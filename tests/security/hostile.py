"""Hostile text: what people (and scripts) may type at any step."""

from __future__ import annotations

from hypothesis import strategies as st

LONG = "ก" * 5_000 + "x" * 5_000  # a 10,000-character message

SPECIMENS: tuple[str, ...] = (
    "๘๕",  # Thai digits
    "٨٥٫٥",  # Arabic-Indic digits with the Arabic decimal separator
    "۸۵",  # Extended Arabic-Indic digits
    "85 🎉",
    "😀" * 40,
    "\x00\x07\x1b[31mred\x08 ok",  # control characters
    "\u202eRTL override ١٢٣",  # a right-to-left override
    "مرحبا بالعالم 123",  # right-to-left text
    "<b>bold</b>",
    "</code>",
    "&amp; &lt; & <",
    "*bold* _it_ `code`",
    "[x](tg://user?id=1)",
    "'; DROP TABLE people; --",
    "\u200b\u200f",  # only invisible marks
    LONG,
)
"""Every class of hostile input the product must take calmly, one example each."""

_ALPHABET = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "S", "Z", "Cc", "Cf", "Mn"),
)

hostile_text = st.one_of(
    st.sampled_from(SPECIMENS),
    st.text(_ALPHABET, max_size=60),
    st.lists(st.sampled_from(SPECIMENS), min_size=1, max_size=3).map(" ".join),
    st.builds(
        lambda digits, junk: digits + junk,
        st.text("0123456789๐๑๒๓๔๕๖๗๘๙٠١٢٣٤٥٦٧٨٩.,%- ", max_size=12),
        st.text(_ALPHABET, max_size=6),
    ),
)
"""Specimens, random text over every character class, mixtures, and near-numbers."""
