"""Charts as inline SVG strings: grouped bars, lines (linear or log axes), stacked shares.

Reports must open offline, from a mail attachment or a CI artifact, years later; so the
charts are plain SVG written here, with no JavaScript, fonts or stylesheets to fetch.
Every chart is an ``<svg>`` with a stable ``id``, a ``<title>`` (what a screen reader and
a browser test read) and a ``<title>`` tooltip on each bar or point with its exact value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from html import escape

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 88  # plot margins (bottom: rotated labels + legend)

Format = Callable[[float], str]


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _open(svg_id: str, title: str, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg id="{escape(svg_id)}" class="chart" xmlns="http://www.w3.org/2000/svg"'
        f' role="img" aria-labelledby="{escape(svg_id)}-title" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}">',
        f'<title id="{escape(svg_id)}-title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.0f}" y="20" text-anchor="middle" font-size="14"'
        f' font-weight="bold" font-family="sans-serif">{escape(title)}</text>',
    ]


def _legend(names: Sequence[str], y: float, width: int = WIDTH, colors: Sequence[str] = ()) -> list[str]:
    parts, x = [], LEFT
    for i, name in enumerate(names):
        fill = colors[i] if i < len(colors) else color(i)
        if x + 24 + 7 * len(name) > width - RIGHT:
            x, y = LEFT, y + 16
        parts.append(f'<rect x="{x}" y="{y - 9:.0f}" width="10" height="10" fill="{fill}"/>')
        parts.append(
            f'<text x="{x + 14}" y="{y:.0f}" font-size="11" font-family="sans-serif">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return parts


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values spanning ``[low, high]`` (1, 2 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 12)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten covering ``[low, high]``; with 1-2-5 steps when the span is short
    (then only the steps inside the range, plus one on each side when needed)."""
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0**e for e in range(lo, hi + 1)]
    if hi - lo > 2:
        return decades
    steps = [m * d for d in decades for m in (1, 2, 5)]
    inside = [t for t in steps if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
    below = [t for t in steps if t < low][-1:] if not inside or inside[0] > low * (1 + 1e-9) else []
    above = [t for t in steps if t > high][:1] if not inside or inside[-1] < high * (1 - 1e-9) else []
    return below + inside + above


class _Axis:
    """Maps data values to pixels along one axis (linear or log10)."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool) -> None:
        self.log = log
        if log:
            low = max(low, 1e-9)
            high = high if high > low else low * 10
            self.ticks = log_ticks(low, high)
        else:
            self.ticks = nice_ticks(low, high)
        self.low, self.high = min(self.ticks[0], low), max(self.ticks[-1], high)
        self.start, self.end = start, end

    def _t(self, value: float) -> float:
        if self.log:
            return math.log10(max(value, 1e-12))
        return value

    def __call__(self, value: float) -> float:
        span = self._t(self.high) - self._t(self.low) or 1.0
        return self.start + (self._t(value) - self._t(self.low)) / span * (self.end - self.start)


def _y_grid(axis: _Axis, fmt: Format, width: int, label: str) -> list[str]:
    parts = []
    for tick in axis.ticks:
        y = axis(tick)
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10"'
            f' font-family="sans-serif">{escape(fmt(tick))}</text>'
        )
    middle = (axis.start + axis.end) / 2
    parts.append(
        f'<text x="14" y="{middle:.0f}" transform="rotate(-90 14 {middle:.0f})" text-anchor="middle"'
        f' font-size="11" font-family="sans-serif">{escape(label)}</text>'
    )
    return parts


def bar_chart(
    svg_id: str,
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    y_label: str = "",
    fmt: Format = percent,
    y_max: float | None = 1.0,
) -> str:
    """Grouped bars: one group per label in ``groups``, one bar per series within it."""
    names = list(series)
    width = max(WIDTH, LEFT + RIGHT + len(groups) * max(40, 14 * len(names) + 12))
    values = [v for vs in series.values() for v in vs if v is not None]
    top = y_max if y_max is not None else max(values, default=1.0) or 1.0
    axis = _Axis(0.0, top, HEIGHT - BOTTOM, TOP, log=False)
    parts = _open(svg_id, title, width) + _y_grid(axis, fmt, width, y_label)
    slot = (width - LEFT - RIGHT) / max(len(groups), 1)
    bar = min(24.0, (slot - 8) / max(len(names), 1))
    for g, group in enumerate(groups):
        x0 = LEFT + g * slot + (slot - bar * len(names)) / 2
        for s, name in enumerate(names):
            value = series[name][g] if g < len(series[name]) else None
            if value is None:
                continue
            y = axis(value)
            parts.append(
                f'<rect class="bar" x="{x0 + s * bar:.1f}" y="{y:.1f}" width="{bar - 1:.1f}"'
                f' height="{max(axis(0.0) - y, 0.5):.1f}" fill="{color(s)}">'
                f"<title>{escape(f'{name} · {group}: {fmt(value)}')}</title></rect>"
            )
        cx = LEFT + (g + 0.5) * slot
        parts.append(
            f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 12}" transform="rotate(30 {cx:.1f}'
            f' {HEIGHT - BOTTOM + 12})" font-size="10" font-family="sans-serif">{escape(group)}</text>'
        )
    parts += _legend(names, HEIGHT - 12, width)
    return "\n".join([*parts, "</svg>"])


def line_chart(
    svg_id: str,
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    x_label: str = "",
    y_label: str = "",
    log_x: bool = False,
    log_y: bool = False,
    x_fmt: Format = number,
    y_fmt: Format = number,
    y_range: tuple[float, float] | None = None,
    points: bool = True,
    colors: Mapping[str, str] | None = None,
    dashed: Collection[str] = (),
) -> str:
    """One polyline per series over shared axes (optionally log10 on either axis);
    ``colors`` and ``dashed`` pair related series (a p50 solid, its p95 dashed)."""
    xs = [x for pts in series.values() for x, _ in pts] or [1.0]
    ys = [y for pts in series.values() for _, y in pts] or [1.0]
    low_y, high_y = y_range if y_range is not None else (min(0.0, min(ys)) if not log_y else min(ys), max(ys))
    x_axis = _Axis(min(xs), max(xs), LEFT, WIDTH - RIGHT, log_x)
    y_axis = _Axis(low_y, high_y, HEIGHT - BOTTOM, TOP, log_y)
    parts = _open(svg_id, title) + _y_grid(y_axis, y_fmt, WIDTH, y_label)
    for tick in x_axis.ticks:
        x = x_axis(tick)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#f0f0f0"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" font-size="10"'
            f' font-family="sans-serif">{escape(x_fmt(tick))}</text>'
        )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - BOTTOM + 32}" text-anchor="middle"'
        f' font-size="11" font-family="sans-serif">{escape(x_label)}</text>'
    )
    shade = {name: (colors or {}).get(name, color(s)) for s, name in enumerate(series)}
    for name, pts in series.items():
        coords = [(x_axis(x), y_axis(y)) for x, y in pts]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            dash = ' stroke-dasharray="6 4"' if name in dashed else ""
            parts.append(
                f'<polyline class="line" fill="none" stroke="{shade[name]}" stroke-width="2"{dash}'
                f' points="{path}"><title>{escape(name)}</title></polyline>'
            )
        if points:
            for (x, y), (vx, vy) in zip(coords, pts, strict=True):
                parts.append(
                    f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{shade[name]}">'
                    f"<title>{escape(f'{name}: {x_fmt(vx)} → {y_fmt(vy)}')}</title></circle>"
                )
    parts += _legend(list(series), HEIGHT - 12, colors=list(shade.values()))
    return "\n".join([*parts, "</svg>"])


def share_chart(
    svg_id: str, title: str, groups: Sequence[str], counts: Mapping[str, Mapping[str, int]],
    order: Sequence[str] = (),
) -> str:
    """One horizontal bar per group split into the shares of its keys (e.g. routes)."""
    every = list(order) + sorted({k for c in counts.values() for k in c} - set(order))
    keys = [k for k in every if any(counts.get(g, {}).get(k) for g in groups)]
    shade = {k: color(every.index(k)) for k in keys}  # a key keeps its colour in every chart
    row = 22
    height = TOP + row * len(groups) + 56
    label_w = min(260, 8 + 6 * max((len(g) for g in groups), default=4))
    parts = _open(svg_id, title, WIDTH, height)
    span = WIDTH - RIGHT - label_w - 8
    for g, group in enumerate(groups):
        y = TOP + g * row
        parts.append(
            f'<text x="{label_w}" y="{y + 14}" text-anchor="end" font-size="10"'
            f' font-family="sans-serif">{escape(group)}</text>'
        )
        total = sum(counts.get(group, {}).values()) or 1
        x = label_w + 8.0
        for key in keys:
            n = counts.get(group, {}).get(key, 0)
            if not n:
                continue
            w = span * n / total
            parts.append(
                f'<rect class="share" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}"'
                f' fill="{shade[key]}"><title>{escape(f"{group}: {key} {n}/{total}")}</title></rect>'
            )
            x += w
    parts += _legend(keys, height - 12, colors=[shade[k] for k in keys])
    return "\n".join([*parts, "</svg>"])
