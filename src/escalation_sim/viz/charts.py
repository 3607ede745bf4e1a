"""Small line charts of weekly outcomes as inline SVG, written directly.

Why not matplotlib here: re-rendering six matplotlib panels to PNG took most of the 100 ms a
redraw may take on a 2-core machine, and Altair would need vega from a CDN; writing the few
polylines, ticks and labels of a panel as SVG takes well under a millisecond. Tick values come
from matplotlib's ``MaxNLocator`` (integer ticks for counts); numbers carry thousands separators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from matplotlib.ticker import MaxNLocator

#: Line colours, in order of the series in a panel.
COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728")


@dataclass(frozen=True)
class Series:
    """One line of a chart: its label, values (one a week) and whether it is drawn as steps."""

    label: str
    values: np.ndarray
    steps: bool = False


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def date_ticks(start: dt.date, weeks: int, most: int = 5) -> list[tuple[float, str]]:
    """Week positions (fractional) of month starts to label on a date axis, and their labels."""
    end = start + dt.timedelta(weeks=max(weeks, 1))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    every = next(k for k in (1, 2, 3, 4, 6, 12, 24, 60) if months / k <= most)
    out: list[tuple[float, str]] = []
    year, month = start.year, start.month
    for _ in range(months + 1):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = dt.date(year, month, 1)
        if day > end:
            break
        if (month - 1) % every == 0:
            label = f"{day:%b %Y}" if month == 1 or every >= 12 or not out else f"{day:%b}"
            out.append(((day - start).days / 7, label))
    return out


def line_chart(
    title: str,
    series: Sequence[Series],
    start: dt.date,
    y_label: str,
    width: float = 300,
    height: float = 150,
    integer: bool = True,
    y_range: tuple[float, float] | None = None,
    marker_week: float | None = None,
    zero_line: bool = False,
) -> str:
    """A chart of weekly ``series`` against the date as an ``<svg>`` element.

    Args:
        title: Above the chart.
        series: The lines; all have one value a week from week 0.
        start: The date of week 0.
        y_label: The vertical axis' label, with its unit.
        width: Width in px (the SVG scales to its container).
        height: Height in px.
        integer: Whole-number ticks (counts).
        y_range: Fixed vertical range; by default from 0 (or the lowest value, if negative) to
            the highest value.
        marker_week: A dashed vertical line at this week (the Syrian collapse).
        zero_line: Draw a line at 0 (differences).
    """
    left, right, top, bottom = 46.0, 8.0, 18.0, 30.0
    pw, ph = width - left - right, height - top - bottom
    weeks = max((len(s.values) for s in series), default=1)
    span = max(weeks - 1, 1)
    values = [np.asarray(s.values, dtype=float) for s in series]
    if y_range is None:
        lo = min([0.0, *(float(v.min()) for v in values if len(v))])
        hi = max([1.0, *(float(v.max()) for v in values if len(v))])
    else:
        lo, hi = y_range
    ticks = [t for t in MaxNLocator(nbins=4, integer=integer).tick_values(lo, hi) if lo <= t <= hi]
    if y_range is None and ticks:
        hi = max(hi, ticks[-1])

    def px(week: float) -> float:
        return left + pw * week / span

    def py(value: float) -> float:
        return top + ph * (1 - (value - lo) / (hi - lo if hi > lo else 1.0))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        'width="100%" style="height:auto;display:block" font-family="sans-serif" font-size="9">',
        f'<text x="{left:.0f}" y="11" font-size="11" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw:.1f}" height="{ph:.1f}" fill="none" '
        'stroke="#BBBBBB"/>',
    ]
    for t in ticks:
        y = py(t)
        out.append(
            f'<line x1="{left}" x2="{left + pw:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#EEEEEE"/>'
            f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    for week, label in date_ticks(start, span):
        if week <= span:
            x = px(week)
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph:.1f}" y2="{top + ph + 3:.1f}" '
                f'stroke="#777777"/><text x="{x:.1f}" y="{top + ph + 12:.1f}" '
                f'text-anchor="middle">{label}</text>'
            )
    out.append(
        f'<text transform="translate(9 {top + ph / 2:.0f}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
        f'<text x="{left + pw / 2:.0f}" y="{height - 2:.0f}" text-anchor="middle">date (week '
        "start)</text>"
    )
    if zero_line and lo < 0 < hi:
        out.append(
            f'<line x1="{left}" x2="{left + pw:.1f}" y1="{py(0):.1f}" y2="{py(0):.1f}" '
            'stroke="#555555" stroke-width="0.8"/>'
        )
    if marker_week is not None and 0 <= marker_week <= span:
        x = px(marker_week)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph:.1f}" stroke="#555555" '
            'stroke-dasharray="4 3" class="collapse"/>'
        )
    for k, (s, v) in enumerate(zip(series, values, strict=True)):
        if not len(v):
            continue
        if s.steps:
            pts = [f"M{px(0):.1f} {py(v[0]):.1f}"]
            for week in range(1, len(v)):
                pts.append(f"H{px(week):.1f}V{py(v[week]):.1f}")
            d = "".join(pts)
        else:
            d = "M" + "L".join(f"{px(w):.1f} {py(x):.1f}" for w, x in enumerate(v))
        colour = "#8B0000" if s.steps else COLOURS[k % len(COLOURS)]
        out.append(
            f'<path class="series" d="{d}" fill="none" stroke="{colour}" stroke-width="1.4">'
            f"<title>{escape(s.label)}: {_fmt(float(v[-1]))} in the latest week</title></path>"
        )
        lx = left + 6 + 92 * k
        out.append(
            f'<line x1="{lx:.0f}" x2="{lx + 12:.0f}" y1="{top + 8}" y2="{top + 8}" '
            f'stroke="{colour}" stroke-width="2"/><text x="{lx + 15:.0f}" y="{top + 11}">'
            f"{escape(s.label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
