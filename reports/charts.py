"""Charts as PNG, drawn with matplotlib (Agg, no display) in the Thai font.

One function draws any :class:`~reports.document.Chart`: horizontal bars
for many labelled items (schools, KPIs), vertical bars or lines for a few
(rounds). Values are the document's; a missing value is drawn as nothing,
never as zero.
"""

from __future__ import annotations

import io
import threading
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Final

from reports.document import Chart, shown
from reports.fonts import thai_font_path

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

_COLOURS: Final = ("#1F4E79", "#E07B00", "#2E8B57", "#8E44AD", "#C0392B", "#16A085", "#7F8C8D")
_LABEL_LIMIT: Final = 38
# matplotlib's font cache is shared; drawing from two threads at once is not safe
_LOCK = threading.Lock()


@cache
def _font() -> FontProperties:
    # matplotlib loads on the first chart, not when the bot starts: importing
    # it costs about 0.4 s that `tidtam run` would pay before it polls.
    import matplotlib
    from matplotlib import font_manager

    # Figures are drawn without pyplot; the Agg backend makes sure nothing ever
    # looks for a display on the server.
    matplotlib.use("Agg")
    path = thai_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_LIMIT else label[: _LABEL_LIMIT - 1] + "…"


def _number(value: Decimal | None) -> float:
    return float("nan") if value is None else float(value)


def render_chart_png(chart: Chart, *, dpi: int = 110) -> bytes:
    """The chart as PNG bytes."""
    with _LOCK:
        return _draw(chart, dpi)


def _draw(chart: Chart, dpi: int) -> bytes:
    font = _font()
    from matplotlib.figure import Figure

    count = max(1, len(chart.labels))
    size = (8.27, max(3.0, 1.2 + 0.28 * count)) if chart.horizontal else (8.27, 4.2)
    figure = Figure(figsize=size, dpi=dpi)
    axes = figure.add_subplot()
    positions = list(range(len(chart.labels)))
    series_count = max(1, len(chart.series))
    thickness = 0.8 / series_count
    peak = 0.0
    for index, series in enumerate(chart.series):
        values = [_number(v) for v in series.values]
        peak = max([peak, *[v for v in values if v == v]])
        colour = _COLOURS[index % len(_COLOURS)]
        if chart.line:
            axes.plot(positions, values, marker="o", color=colour, label=series.name)
            continue
        offsets = [p - 0.4 + thickness * (index + 0.5) for p in positions]
        if chart.horizontal:
            bars = axes.barh(offsets, values, height=thickness, color=colour, label=series.name)
        else:
            bars = axes.bar(offsets, values, width=thickness, color=colour, label=series.name)
        labels = ["" if v is None else shown(v) for v in series.values]
        axes.bar_label(bars, labels=labels, padding=2, fontproperties=font, fontsize=7)
    if chart.reference is not None:
        draw = axes.axvline if chart.horizontal else axes.axhline
        draw(
            float(chart.reference),
            color="#C0392B",
            linestyle="--",
            linewidth=1,
            label=f"{chart.reference_label} {shown(chart.reference)}".rstrip(),
        )
        peak = max(peak, float(chart.reference))
    limit = max(100.0, peak * 1.12) if chart.percent else max(1.0, peak * 1.15)
    labels = [_short(label) for label in chart.labels]
    if chart.horizontal:
        axes.set_yticks(positions, labels, fontproperties=font, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, limit)
    else:
        axes.set_xticks(positions, labels, fontproperties=font, fontsize=8)
        axes.set_ylim(0, limit)
    for tick in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        tick.set_fontproperties(font)
    axes.set_title(chart.title, fontproperties=font, fontsize=12)
    if len(chart.series) > 1 or chart.reference is not None:
        # below the plot, where it never hides a bar
        axes.legend(
            prop=font, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False
        )
    if chart.note:
        figure.text(0.01, 0.005, chart.note, fontproperties=font, fontsize=8, color="#555555")
    axes.grid(axis="x" if chart.horizontal else "y", alpha=0.3)
    figure.tight_layout(rect=(0, 0.03 if chart.note else 0, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
