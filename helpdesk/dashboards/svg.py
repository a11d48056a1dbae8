"""Charts drawn on the server as inline SVG: no JavaScript, readable at 360 px, and they print.

The drawing is 360 units wide (a phone's width) and scales with its box. Colours come from presentation
attributes and classes, never `style=` (the site's CSP forbids inline styles). Every chart carries a `<title>`
and its numbers also appear in a table next to it, for screen readers and for print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
OPENED, SOLVED, OPEN = "#2563eb", "#16a34a", "#b45309"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str = ""
    note: str = ""  # text after the value, e.g. "%"


def _svg(height: int, title: str, body: str, css: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet"><title>{}</title>{}</svg>',
        css, WIDTH, height, title, title, mark_safe(body),  # noqa: S308 - body is built from escaped parts
    )


def hbars(bars: Sequence[Bar], *, title: str, maximum: float | None = None, target: float | None = None) -> SafeString:
    """Horizontal bars, the label above each bar so long names fit a phone."""
    top = max([b.value for b in bars] + [maximum or 0, target or 0, 1])
    row, bar_h, left, right = 34, 12, 2, 56
    span = WIDTH - left - right
    parts: list[str] = []
    for i, b in enumerate(bars):
        y = i * row
        length = max(0.0, b.value) / top * span
        text = escape(b.label)
        label = f'<text x="{left}" y="{y + 12}" class="lbl">{text}</text>'
        if b.href:
            label = f'<a href="{escape(b.href)}">{label}</a>'
        parts.append(label)
        parts.append(f'<rect x="{left}" y="{y + 17}" width="{length:.1f}" height="{bar_h}" rx="2" fill="{OPENED}"/>')
        parts.append(f'<text x="{left + length + 4:.1f}" y="{y + 27}" class="val">{_num(b.value)}{escape(b.note)}</text>')
    height = max(row * len(bars), row)
    if target is not None:
        x = left + target / top * span
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" stroke="#dc2626" stroke-dasharray="4 3"/>')
    return _svg(height, title, "".join(parts), "hbars")


def month_chart(months: Sequence[dict[str, int | str]], *, title: str, labels: dict[str, str]) -> SafeString:
    """Opened and solved per month as bars, tickets open at each month's end as a line."""
    n = max(len(months), 1)
    height, base, left, top_pad = 190, 150, 28, 8
    top = max([int(m["opened"]) for m in months] + [int(m["solved"]) for m in months]
              + [int(m["open_end"]) for m in months] + [1])
    step = (WIDTH - left - 4) / n
    bar_w = max(1.0, step * 0.38)
    scale = (base - top_pad) / top
    parts = [f'<line x1="{left}" x2="{WIDTH}" y1="{base}" y2="{base}" stroke="#9ca3af"/>',
             f'<text x="{left - 4}" y="{top_pad + 4}" class="axis" text-anchor="end">{top}</text>',
             f'<text x="{left - 4}" y="{base}" class="axis" text-anchor="end">0</text>']
    every = 1 if n <= 12 else (2 if n <= 24 else 6)
    points: list[str] = []
    for i, m in enumerate(months):
        x = left + i * step
        for j, (key, colour) in enumerate((("opened", OPENED), ("solved", SOLVED))):
            h = int(m[key]) * scale
            parts.append(f'<rect x="{x + 1 + j * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(labels[key])} {escape(str(m["month"]))}: {m[key]}</title></rect>')
        points.append(f"{x + step / 2:.1f},{base - int(m['open_end']) * scale:.1f}")
        if i % every == 0:
            month = str(m["month"])
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 13}" class="axis" text-anchor="middle">'
                         f'{escape(month[5:7])}</text>')
            if month.endswith("-01") or i == 0:
                parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 25}" class="axis" text-anchor="middle">'
                             f'{escape(month[:4])}</text>')
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{OPEN}" stroke-width="2"/>')
    legend_y = height - 4
    for k, (key, colour) in enumerate((("opened", OPENED), ("solved", SOLVED), ("open_end", OPEN))):
        x = left + k * 72
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{legend_y}" class="axis">{escape(labels[key])}</text>')
    return _svg(height, title, "".join(parts), "months")


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
