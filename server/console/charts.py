"""Charts as inline SVG, drawn on the server: no JavaScript, no library, nothing fetched.

Two shapes cover the dashboard: horizontal stacked bars (a label per row: provinces,
obstacle groups) and vertical columns over time (weeks, months), optionally stacked, with
an optional line on a second scale. Colours come from CSS classes ``c0``..``c7`` so the
Content-Security-Policy needs no inline styles. In right-to-left pages the bar charts are
mirrored (labels on the right, bars growing leftwards); time axes run left to right in
both languages, as Persian statistical charts usually do.

Every chart carries ``role="img"``, a ``<title>`` and a ``<desc>`` listing its numbers,
and each bar a ``<title>`` tooltip, so the values are readable without seeing the picture.
"""

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from server.console.i18n import join, localize_digits

# Sizes in SVG units. A chart is drawn about as wide as a dashboard card, so text at FONT_PX
# shows near that size in pixels; drawn wider, the browser shrank it to 9 px on a laptop.
FONT_PX = 13
ROW_H = 28
LABEL_W = 190
BAR_AREA = 250
PAD = 10
PLOT_W = 440     # column charts: the plot's width, wider only when many categories need it
MAX_TICKS = 5
MIN_SLOT = 18
MAX_BAR = 44


# Each obstacle area keeps one colour on every chart and list, whatever its rank: a supervisor
# learns that blue is technical. An area a new taxonomy adds takes a spare colour by its code.
AREA_COLOURS = {"technical": "c4", "finance": "c1", "legal": "c5", "market": "c6"}
SPARE_COLOURS = ("c7", "c3", "c0", "c2")


def area_colour(code: str | None) -> str:
    if not code:
        return "cx"
    return AREA_COLOURS.get(code) or SPARE_COLOURS[sum(map(ord, code)) % len(SPARE_COLOURS)]


@dataclass
class Series:
    name: str
    css: str          # "c0".."c7", or "cx" for "other"
    values: list      # one number per row/category


def _fmt(value, lang: str) -> str:
    return localize_digits(value, lang)


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _axis(value: float) -> tuple[int, int]:
    """(top, step) of a value axis: whole 1/2/5×10ⁿ steps, at most ``MAX_TICKS`` of them, the
    top the first step at or above ``value``. Four fixed steps left a bar of 9 on an axis of 20."""
    if value <= 0:
        return 1, 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if value <= step * MAX_TICKS:
                return step * math.ceil(value / step), step
        magnitude *= 10


def _ticks(top: int, step: int) -> list[int]:
    return list(range(0, top + 1, step))


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css_id: str) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(css_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'direction="ltr" xmlns="http://www.w3.org/2000/svg" aria-labelledby="{escape(css_id)}-t {escape(css_id)}-d">'
        f'<title id="{escape(css_id)}-t">{escape(title)}</title><desc id="{escape(css_id)}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def legend(series: list[Series]) -> Markup:
    items = "".join(f'<li><i class="{s.css}"></i>{escape(s.name)}</li>' for s in series)
    return Markup(f'<ul class="legend">{items}</ul>')


def _linked(markup: str, url: str | None) -> str:
    """A piece of a chart that opens the list behind it (an SVG link)."""
    return f'<a href="{escape(url)}" class="chart-link">{markup}</a>' if url else markup


def hbars(css_id: str, title: str, labels: list[str], series: list[Series], lang: str, rtl: bool,
          link=None) -> Markup:
    """One row per label; the series stack left to right (right to left when ``rtl``).
    ``link(row, series_index)`` gives the address a bar opens (``series_index`` None: the
    row's label)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top, step = _axis(max(totals, default=0))
    width = LABEL_W + BAR_AREA + 50
    height = PAD * 2 + ROW_H * max(1, len(labels)) + 20
    body, desc = [], []

    def x_of(offset: float, length: float) -> float:
        # Positions along the bar area, mirrored in right-to-left pages.
        start = LABEL_W + offset if not rtl else width - LABEL_W - offset - length
        return round(start, 1)

    for value in _ticks(top, step):
        x = x_of(BAR_AREA * value / top, 0)
        body.append(f'<line class="grid-line" x1="{x}" x2="{x}" y1="{PAD}" y2="{height - 20}"/>')
        body.append(f'<text class="value" x="{x}" y="{height - 5}" text-anchor="middle">'
                    f'{_fmt(value, lang)}</text>')
    for i, label in enumerate(labels):
        y = PAD + i * ROW_H
        # The SVG is laid out left to right (direction="ltr"); Persian text still renders right.
        label_x, label_anchor = (LABEL_W - 8, "end") if not rtl else (width - 4, "end")
        body.append(_linked(f'<text x="{label_x}" y="{y + ROW_H / 2 + FONT_PX / 3:.1f}" '
                            f'text-anchor="{label_anchor}">{escape(_short(label, 22))}<title>{escape(label)}</title>'
                            '</text>', link(i, None) if link else None))
        offset = 0.0
        parts = []
        for k, s in enumerate(series):
            value = s.values[i] or 0
            if value <= 0:
                continue
            length = BAR_AREA * value / top
            body.append(_linked(f'<rect class="bar {s.css}" x="{x_of(offset, length)}" y="{y + 4}" '
                                f'width="{length:.1f}" height="{ROW_H - 8}"><title>{escape(label)} — '
                                f'{escape(s.name)}: {_fmt(value, lang)}</title></rect>', link(i, k) if link else None))
            offset += length
            parts.append(f"{s.name} {_fmt(value, lang)}")
        total_x = x_of(offset + 4, 0)
        anchor = "start" if not rtl else "end"
        body.append(f'<text class="value" x="{total_x}" y="{y + ROW_H / 2 + FONT_PX / 3:.1f}" '
                    f'text-anchor="{anchor}">{_fmt(totals[i], lang)}</text>')
        desc.append(f"{label}: {join(parts, lang) or _fmt(0, lang)}")
    return _svg(width, height, title, join(desc, lang, 1), body, css_id)


def columns(css_id: str, title: str, categories: list[str], series: list[Series], lang: str,
            line: Series | None = None, link=None) -> Markup:
    """Stacked columns per category (weeks, months), left to right; ``line`` on its own scale.
    ``link(category, series_index)`` gives the address a column opens."""
    n = max(1, len(categories))
    left, right, bottom, top_pad = 44, 44 if line else 12, 46, 12
    plot_w = max(PLOT_W, MIN_SLOT * n)
    slot = plot_w / n
    bar_w = min(slot * 0.7, MAX_BAR)
    width = round(left + right + plot_w)
    height = 260
    plot_h = height - bottom - top_pad
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    top, step = _axis(max(totals, default=0))
    body, desc = [], []
    for value in _ticks(top, step):
        y = top_pad + plot_h - plot_h * value / top
        body.append(f'<line class="grid-line" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(f'<text class="value" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                    f'{_fmt(value, lang)}</text>')
    base_y = top_pad + plot_h
    body.append(f'<line class="axis" x1="{left}" x2="{width - right}" y1="{base_y}" y2="{base_y}"/>')
    every = -(-n // 8)  # at most eight category labels, so they never overlap
    for i, category in enumerate(categories):
        x = left + i * slot
        stacked = 0.0
        parts = []
        for k, s in enumerate(series):
            value = s.values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / top
            y = top_pad + plot_h - stacked - h
            body.append(_linked(f'<rect class="bar {s.css}" x="{x + (slot - bar_w) / 2:.1f}" y="{y:.1f}" '
                                f'width="{bar_w:.1f}" height="{h:.1f}"><title>{escape(category)} — '
                                f'{escape(s.name)}: {_fmt(value, lang)}</title></rect>',
                                link(i, k) if link else None))
            stacked += h
            parts.append(f"{s.name} {_fmt(value, lang)}")
        if i % every == 0:
            body.append(f'<text x="{x + slot / 2:.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle">'
                        f'{escape(category)}</text>')
        desc.append(f"{category}: {join(parts, lang) or _fmt(0, lang)}")
    if line is not None:
        line_top, line_step = _axis(max((v or 0 for v in line.values), default=0))
        points = []
        for i, value in enumerate(line.values):
            x = left + i * slot + slot / 2
            y = top_pad + plot_h - plot_h * (value or 0) / line_top
            points.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle class="{line.css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                        f'<title>{escape(categories[i])} — {escape(line.name)}: '
                        f'{_fmt(value or 0, lang)}</title></circle>')
        body.insert(0, f'<polyline class="line {line.css}" points="{" ".join(points)}" fill="none"/>')
        for value in _ticks(line_top, line_step):
            y = top_pad + plot_h - plot_h * value / line_top
            body.append(f'<text class="value" x="{width - right + 4}" y="{y + 4:.1f}" text-anchor="start">'
                        f'{_fmt(value, lang)}</text>')
        desc.extend(f"{categories[i]}: {line.name} {_fmt(v or 0, lang)}" for i, v in enumerate(line.values))
    return _svg(width, height, title, join(desc, lang, 1), body, css_id)
