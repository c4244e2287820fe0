"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing for the CSP to allow.

Pure functions from numbers to markup. Colours come from CSS classes (``static/app.css``:
``.c-answered``, ``.c-rate`` …), so the charts follow the panel's palette. Every chart has a
``<title>`` and an ``aria-label``; labels are escaped (they may contain anything).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 8, 16, 24
MAX_BAR = 44.0


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no figure (e.g. a rate of nothing), shown as "–"
    css: str  # class of its bars: c-answered, c-abandoned, …


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop ends at 10


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _axis(top: float, width: int, height: int, unit: str) -> list[str]:
    out = []
    for i in range(5):
        value = top * i / 4
        y = PAD_TOP + (height - PAD_TOP - PAD_BOTTOM) * (1 - i / 4)
        out.append(f'<line class="grid-line" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{PAD_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{_fmt(value)}{escape(unit)}</text>")
    return out


def _x_labels(labels: Sequence[str], width: int, height: int, every: int) -> list[str]:
    step = (width - PAD_LEFT - PAD_RIGHT) / max(1, len(labels))
    return [
        f'<text class="axis" x="{PAD_LEFT + step * (i + 0.5):.1f}" y="{height - 8}" text-anchor="middle">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, width: int = 640, height: int = 200,
    unit: str = "", top: float | None = None, target: float | None = None, label_every: int = 1,
) -> Markup:  # fmt: skip
    """Stacked vertical bars, one per label; ``target`` draws a dashed line (e.g. 100 %)."""
    totals = [sum(v or 0 for v in (s.values[i] for s in series)) for i in range(len(labels))]
    top = top or nice_max(max([*totals, target or 0, 0]))
    plot_h = height - PAD_TOP - PAD_BOTTOM
    step = (width - PAD_LEFT - PAD_RIGHT) / max(1, len(labels))
    bar_w = min(MAX_BAR, max(2.0, step * 0.7))
    parts = _axis(top, width, height, unit)
    for i, label in enumerate(labels):
        base = 0.0
        x = PAD_LEFT + step * i + (step - bar_w) / 2
        if all(s.values[i] is None for s in series) or (unit == "%" and totals[i] == 0):
            text = "–" if all(s.values[i] is None for s in series) else "0%"  # no figure, or a real zero
            parts.append(f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{PAD_TOP + plot_h - 3:.1f}" '
                         f'text-anchor="middle">{text}</text>')  # fmt: skip
            continue
        for s in series:
            value = float(s.values[i] or 0)
            if value <= 0:
                continue
            h = plot_h * value / top
            y = PAD_TOP + plot_h * (1 - (base + value) / top)
            parts.append(f'<rect class="{s.css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                         f"<title>{escape(label)} · {escape(s.name)}: {_fmt(value)}{escape(unit)}</title></rect>")  # fmt: skip
            if len(series) == 1 and unit == "%":
                parts.append(f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" '
                             f'text-anchor="middle">{_fmt(value)}%</text>')  # fmt: skip
            base += value
    if target is not None:
        y = PAD_TOP + plot_h * (1 - target / top)
        parts.append(f'<line class="target" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
    parts += _x_labels(labels, width, height, label_every)
    return _svg(title, width, height, parts)


def percentages(values: Sequence[float], digits: int = 0) -> list[float]:
    """Shares of ``values`` in percent, rounded to ``digits`` so that they add up to exactly 100
    (largest remainder: the units lost to rounding go to the largest fractions). All zero: zeros."""
    total = sum(values)
    if total <= 0:
        return [0.0 for _ in values]
    scale = 10**digits
    exact = [100 * scale * v / total for v in values]
    floors = [int(e) for e in exact]
    missing = 100 * scale - sum(floors)
    for i in sorted(range(len(values)), key=lambda i: (floors[i] - exact[i], i))[:missing]:
        floors[i] += 1
    return [f / scale for f in floors]


def share_bar(title: str, parts_in: Sequence[tuple[str, float, str]], *, width: int = 1280, height: int = 30) -> Markup:
    """One horizontal 100 % bar of shares (name, count, class), with the percentages written on it;
    the written percentages add up to 100."""
    total = sum(v for _, v, _ in parts_in) or 1.0
    whole = percentages([v for _, v, _ in parts_in])
    fine = percentages([v for _, v, _ in parts_in], 1)
    x, parts = 0.0, []
    for (name, value, css), share, exact in zip(parts_in, whole, fine, strict=True):
        if value <= 0:
            continue
        w = width * value / total
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}">'
                     f"<title>{escape(name)}: {_fmt(value)} ({exact:.1f}%)</title></rect>")  # fmt: skip
        if w > 44:
            parts.append(f'<text class="on-bar" x="{x + w / 2:.1f}" y="{height / 2 + 5:.1f}" '
                         f'text-anchor="middle">{share:.0f}%</text>')  # fmt: skip
        x += w
    return _svg(title, width, height, parts)


def legend(items: Sequence[tuple[str, str]]) -> Markup:
    """A legend row for the charts: (name, class) pairs."""
    return Markup("").join(
        Markup('<span class="lg"><i class="sw {}"></i>{}</span>').format(css, name) for name, css in items
    )


def _svg(title: str, width: int, height: int, parts: list[str]) -> Markup:
    head = (f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>')  # fmt: skip
    return Markup(head + "".join(parts) + "</svg>")
