"""Horizontal bar charts as plain SVG, laid out here and drawn by templates/audit/_bar_chart.html.

Bars are sized in percent of the chart's width and labels in pixels, so the chart stays legible
from a 390px phone to a wide screen without scaling its text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .metrics import MeasureRow

SERIES = (("standard", "Standard", "#0d6efd"), ("expedited", "Expedited", "#b35c00"))
LEGEND_HEIGHT = 28
GROUP_HEIGHT = 62
BAR_HEIGHT = 16
BAR_GAP = 4
MAX_BAR_PCT = 66  # leaves room after the longest bar for its value


@dataclass(frozen=True)
class Bar:
    series: str
    color: str
    y: int
    width: str  # percent of the chart width, formatted for an SVG attribute
    text: str
    text_y: int


@dataclass(frozen=True)
class Group:
    label: str
    label_y: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    height: int
    groups: tuple[Group, ...]
    legend: tuple[tuple[str, str], ...] = tuple((label, color) for _, label, color in SERIES)


def display(value: float | int | None, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "hours":
        return f"{value:.1f} h"
    return str(value)


def bar_chart(title: str, rows: list[MeasureRow], *, scale_max: float | None = None) -> BarChart:
    """One group of two bars (standard, expedited) per row, on a shared scale."""
    values = [v for row in rows for v in row.values if v is not None]
    top = scale_max or max(values, default=0) or 1
    groups = tuple(_group(row, i, top) for i, row in enumerate(rows))
    summary = "; ".join(
        f"{row.label}: "
        + ", ".join(
            f"{label.lower()} {display(v, row.unit)}"
            for (_, label, _), v in zip(SERIES, row.values, strict=True)
        )
        for row in rows
    )
    return BarChart(
        title=title,
        description=summary,
        height=LEGEND_HEIGHT + GROUP_HEIGHT * len(rows),
        groups=groups,
    )


def _group(row: MeasureRow, index: int, top: float) -> Group:
    y = LEGEND_HEIGHT + index * GROUP_HEIGHT
    bars = []
    for n, ((_key, label, color), value) in enumerate(zip(SERIES, row.values, strict=True)):
        bar_y = y + 20 + n * (BAR_HEIGHT + BAR_GAP)
        width = MAX_BAR_PCT * min(float(value or 0), top) / top
        bars.append(
            Bar(
                series=label,
                color=color,
                y=bar_y,
                width=f"{width:.2f}",
                text=f"{display(value, row.unit)} · {label.lower()}",
                text_y=bar_y + BAR_HEIGHT - 3,
            )
        )
    return Group(label=row.label, label_y=y + 14, bars=tuple(bars))
