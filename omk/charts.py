"""Charts of a comparison as SVG, drawn by leather (MIT; no script, no style attributes).

Kept outside omk/compare (pure figures, no drawing). Each chart gets a ``<title>`` and
``<desc>`` (leather has none) and is served as an image, so no markup of it is ever inserted
into a page; every chart on a page has a data table beside it. Pure functions over plain
numbers: the caller passes translated texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import leather

#: Colours with contrast on white (WCAG 1.4.11: ≥ 3:1 for graphics).
GREY = "#6b6b6b"
HIGHLIGHT = "#b3003c"
MEDIAN = "#004b76"

WIDTH, HEIGHT = 640, 220

#: The UI's font stack. A chart served as an image cannot use the page's web font, and
#: leather names "Monaco", which most systems lack, so browsers fell back to a serif font.
FONT_FAMILY = "'Fira Sans', 'Noto Sans', 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Point:
    """A member's value on the strip; highlighted members are drawn larger, in colour."""

    value: float
    highlighted: bool


def _accessible(svg: str, title: str, desc: str, height: int = HEIGHT) -> str:
    """Add role, ``<title>`` and ``<desc>`` (and a viewBox, so the image scales)."""
    head, sep, rest = svg.partition(">")
    if not sep:
        raise ValueError("not an SVG document")
    head = head.replace("<svg ", f'<svg role="img" viewBox="0 0 {WIDTH} {height}" ', 1)
    rest = re.sub(r'font-family="[^"]*"', f'font-family="{FONT_FAMILY}"', rest)
    return f"{head}>" + f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + rest


#: How an axis writes a number; the caller passes the reader's (German by default).
NumberFormat = Callable[[float], str]


def german_number(value: float) -> str:
    """An axis tick as German readers write it: ``1 234,5`` (thin space, decimal comma)."""
    return f"{value:,.1f}".replace(",", "\u2009").replace(".", ",")


def strip(
    points: Sequence[Point],
    median: float | None,
    *,
    title: str,
    desc: str,
    axis_label: str,
    labels: tuple[str, str, str] = ("Kommunen", "ausgewählt", "Median"),
    number: NumberFormat = german_number,
) -> str:
    """A strip plot of the members' values (one dot each), highlighted members and the
    median as a vertical line."""
    chart = leather.Chart()
    others = [(p.value, 0.5 + ((i * 37) % 11 - 5) / 20) for i, p in enumerate(points)]
    chosen = [(p.value, 0.5) for p in points if p.highlighted]
    values = [p.value for p in points] or [0.0]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.05
    chart.add_x_scale(low - pad, high + pad)
    chart.add_y_scale(0, 1)
    chart.add_x_axis(name=axis_label, tick_formatter=lambda v, i, n: number(v))
    chart.add_y_axis(ticks=[0.5], name="", tick_formatter=lambda v, i, n: "")
    chart.add_dots(
        [o for o, p in zip(others, points, strict=True) if not p.highlighted] or [(low, -9)],
        name=labels[0],
        fill_color=GREY,
        radius=3,
    )
    if chosen:
        chart.add_dots(chosen, name=labels[1], fill_color=HIGHLIGHT, radius=6)
    if median is not None:
        chart.add_line(
            [(median, 0.05), (median, 0.95)], name=labels[2], stroke_color=MEDIAN, width=2
        )
    return _accessible(chart.to_svg(width=WIDTH, height=HEIGHT), title, desc)


def trend(
    cycles: Sequence[str],
    median: Sequence[float | None],
    lines: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    desc: str,
    axis_label: str,
    median_label: str = "Median der Vergleichsgruppe",
    number: NumberFormat = german_number,
) -> str:
    """Lines over the cycles: the peer group's median and each highlighted member."""
    chart = leather.Chart()
    xs = list(range(len(cycles)))
    present = [v for v in median if v is not None]
    present += [v for _, vs in lines for v in vs if v is not None]
    low, high = (min(present), max(present)) if present else (0.0, 1.0)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    chart.add_x_scale(-0.2, max(len(cycles) - 0.8, 0.2))
    chart.add_y_scale(low - pad, high + pad)
    chart.add_x_axis(
        ticks=xs,
        name="",
        tick_formatter=lambda v, i, n: cycles[int(v)] if 0 <= v < len(cycles) else "",
    )
    chart.add_y_axis(name=axis_label, tick_formatter=lambda v, i, n: number(v))
    series = [(median_label, list(median), MEDIAN)]
    palette = [HIGHLIGHT, "#5a3a00", "#2d5a00", "#4b0082"]
    series += [(name, list(vs), palette[i % len(palette)]) for i, (name, vs) in enumerate(lines)]
    for name, vs, colour in series:
        data = [(x, v) for x, v in zip(xs, vs, strict=True) if v is not None]
        if not data:
            continue
        if len(data) > 1:
            chart.add_line(data, name=name, stroke_color=colour, width=2)
        else:  # a single cycle: a dot (a line needs two points)
            chart.add_dots(data, name=name, fill_color=colour, radius=4)
    return _accessible(chart.to_svg(width=WIDTH, height=HEIGHT), title, desc)


def bars(
    values: Sequence[tuple[str, float]],
    *,
    title: str,
    desc: str,
    axis_label: str,
    maximum: float = 100.0,
    number: NumberFormat = german_number,
) -> str:
    """Horizontal bars, one per label (e.g. the share of municipalities per recommendation),
    on a scale from 0 to ``maximum``, in the order given (top to bottom)."""
    chart = leather.Chart()
    height = max(HEIGHT, 28 * len(values) + 60)
    chart.add_x_scale(0, max(maximum, *(v for _, v in values)) if values else maximum)
    chart.add_x_axis(name=axis_label, tick_formatter=lambda v, i, n: number(v))
    chart.add_y_axis(name="")
    data = [(value, label) for label, value in reversed(values)] or [(0.0, "")]
    chart.add_bars(data, fill_color=MEDIAN)
    return _accessible(chart.to_svg(width=WIDTH, height=height), title, desc, height)


def box(
    values: Sequence[float],
    *,
    title: str,
    desc: str,
    axis_label: str,
    labels: tuple[str, str, str] = ("Quartile und Spannweite", "Median", "Ausreißer"),
    number: NumberFormat = german_number,
) -> str:
    """A box plot of many values: the box from the first to the third quartile with the
    median, whiskers to the most extreme values within 1.5 × IQR, and the outliers as dots
    (a strip of hundreds of dots says less and weighs more)."""
    from omk.compare import stats

    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    q1, median, q3 = (stats.percentile(ordered, q) for q in (25, 50, 75))
    fence = 1.5 * (q3 - q1)
    inside = [v for v in ordered if q1 - fence <= v <= q3 + fence]
    low, high = inside[0], inside[-1]
    outliers = [v for v in ordered if v < q1 - fence or v > q3 + fence]
    lo, hi = ordered[0], ordered[-1]
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    chart = leather.Chart()
    chart.add_x_scale(max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad)  # counts: from 0
    chart.add_y_scale(0, 1)
    chart.add_x_axis(name=axis_label, tick_formatter=lambda v, i, n: number(v))
    chart.add_y_axis(ticks=[0.5], name="", tick_formatter=lambda v, i, n: "")
    top, bottom = 0.75, 0.25
    gap: tuple[float | None, float | None] = (None, None)  # leather starts a new path here
    shape: list[tuple[float | None, float | None]] = [
        *[(q1, bottom), (q1, top), (q3, top), (q3, bottom), (q1, bottom), gap],
        *[(low, 0.5), (q1, 0.5), gap, (q3, 0.5), (high, 0.5), gap],
        *[(low, 0.4), (low, 0.6), gap, (high, 0.4), (high, 0.6)],
    ]
    chart.add_line(shape, name=labels[0], stroke_color=MEDIAN, width=2)
    chart.add_line(
        [(median, bottom), (median, top)], name=labels[1], stroke_color=HIGHLIGHT, width=3
    )
    if outliers:
        chart.add_dots([(v, 0.5) for v in outliers], name=labels[2], fill_color=GREY, radius=3)
    return _accessible(chart.to_svg(width=WIDTH, height=HEIGHT), title, desc)
