"""The Thai font every rendered file embeds: Noto Sans Thai (SIL Open Font License).

It ships as one variable font; the PDF takes its regular and bold weights
as variations, and the charts draw with the same file, so Thai looks the
same in the PDF's tables and in its charts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import fontpkg_noto_sans_thai

FAMILY: Final = "Noto Sans Thai"
REGULAR_WEIGHT: Final = 400
BOLD_WEIGHT: Final = 700


@cache
def thai_font_path() -> Path:
    """The variable TrueType file of Noto Sans Thai (weight and width axes)."""
    folder = Path(fontpkg_noto_sans_thai.__file__).parent / "files"
    found = sorted(folder.glob("NotoSansThai*.ttf"))
    if not found:
        raise FileNotFoundError(f"Noto Sans Thai is missing from {folder}")
    return found[0]
