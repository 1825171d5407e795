"""Small inline SVG charts: no script and no network, so a report file opens anywhere, offline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 236, 64, 42, 34


def _number(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def _frame(title: str, body: list[str], *, height: int = HEIGHT, label: str = "") -> str:
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label or title)}" '
            f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
            f'<title>{escape(title)}</title><text x="10" y="18" font-size="13" font-weight="bold" fill="#333">'
            f"{escape(title)}</text>{''.join(body)}</svg>")


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], bottom: float) -> list[str]:
    every = max(1, len(labels) // 10)
    shown = [i for i in range(len(labels)) if i % every == 0]
    if shown[-1] != len(labels) - 1 and len(labels) - 1 - shown[-1] >= max(every // 2, 1) + 1:
        shown.append(len(labels) - 1)
    return [f'<text x="{x_of(i):.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">{escape(labels[i][-5:])}'
            "</text>" for i in shown]


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, unit: str = "") -> str:
    """Vertical bars (negative values go below the axis), e.g. value saved per day."""
    if not labels:
        return _frame(title, ['<text x="20" y="48" fill="#777">No runs in this period.</text>'], height=60)
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    high, low = max(0.0, *values), min(0.0, *values)
    span = (high - low) or 1.0
    y_of = lambda v: bottom - (v - low) / span * (bottom - top)  # noqa: E731
    slot = (WIDTH - PAD_LEFT - 10) / len(labels)
    x_of = lambda i: PAD_LEFT + slot * (i + 0.5)  # noqa: E731
    body = [f'<line x1="{PAD_LEFT}" x2="{WIDTH - 10}" y1="{y_of(0):.1f}" y2="{y_of(0):.1f}" stroke="#999"/>']
    for tick in (low, (low + high) / 2, high):
        body.append(f'<text x="{PAD_LEFT - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end" fill="#555">'
                    f"{escape(_number(tick))}</text>")
    for i, (lab, value) in enumerate(zip(labels, values)):
        y0, y1 = sorted((y_of(0), y_of(value)))
        color = "#2e7d32" if value >= 0 else "#c62828"
        body.append(f'<rect x="{x_of(i) - slot * 0.4:.1f}" y="{y0:.1f}" width="{max(slot * 0.8, 1):.1f}" '
                    f'height="{max(y1 - y0, 0.5):.1f}" fill="{color}"><title>{escape(lab)}: '
                    f"{escape(_number(value))} {escape(unit)}</title></rect>")
    body += _x_labels(labels, x_of, bottom)
    return _frame(title, body)


def rate_chart(labels: Sequence[str], rates: Sequence[float | None], *, title: str) -> str:
    """A line of rates between 0 and 100%, with gaps where nothing finished."""
    if not labels:
        return _frame(title, ['<text x="20" y="48" fill="#777">No runs in this period.</text>'], height=60)
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    slot = (WIDTH - PAD_LEFT - 10) / len(labels)
    x_of = lambda i: PAD_LEFT + slot * (i + 0.5)  # noqa: E731
    y_of = lambda r: bottom - r * (bottom - top)  # noqa: E731
    body = []
    for tick in (0.0, 0.5, 1.0):
        body.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - 10}" y1="{y_of(tick):.1f}" y2="{y_of(tick):.1f}" '
                    f'stroke="#ddd"/><text x="{PAD_LEFT - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end" '
                    f'fill="#555">{tick * 100:.0f}%</text>')
    points = [(x_of(i), y_of(r), lab, r) for i, (lab, r) in enumerate(zip(labels, rates)) if r is not None]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    for x, y, lab, rate in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1565c0"><title>{escape(lab)}: '
                    f"{rate * 100:.1f}%</title></circle>")
    body += _x_labels(labels, x_of, bottom)
    return _frame(title, body)


def hbar_chart(labels: Sequence[str], values: Sequence[float], *, title: str) -> str:
    """Horizontal bars, largest first, e.g. failed items by reason."""
    if not labels:
        return _frame(title, ['<text x="20" y="48" fill="#777">No failures in this period.</text>'], height=60)
    row, left = 22, 260
    height = PAD_TOP + row * len(labels) + 10
    high = max(values) or 1
    body = []
    for i, (lab, value) in enumerate(zip(labels, values)):
        y = PAD_TOP + i * row
        width = (WIDTH - left - 60) * value / high
        body.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" fill="#333">{escape(lab[:40])}</text>'
                    f'<rect x="{left}" y="{y + 3}" width="{max(width, 1):.1f}" height="{row - 8}" fill="#ef6c00">'
                    f"<title>{escape(lab)}: {value:,.0f}</title></rect>"
                    f'<text x="{left + width + 6:.1f}" y="{y + 14}" fill="#333">{value:,.0f}</text>')
    return _frame(title, body, height=height)
