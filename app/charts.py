"""Generic server-rendered SVG charts shared by the features (pure: plain data in, SVG markup out).

A chart only draws numbers already computed elsewhere; it carries ``role="img"``, a <title> and a <desc>, and the
page shows the same numbers in a table beside it. Feature-specific charts (funnels, run charts, CONSORT) live with
their features.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

INK = "#1b1f24"
BAR = "#0b57a4"
GRID = "#c9d1d9"
MUTED = "#57606a"


def bar_chart_svg(chart_id: str, title: str, bars: Sequence[tuple[str, float | None]], maximum: float = 1.0,
                  percent: bool = True) -> Markup:
    """Horizontal bars, one per ``(label, value)``; a value of None is drawn as "n/a" (undefined, not zero).

    With ``percent`` values are proportions 0..``maximum`` shown as percentages."""
    label_w, bar_w, row_h, top, right = 110, 300, 26, 10, 64
    width, height = label_w + bar_w + right, top + row_h * max(1, len(bars)) + 24

    def text(value: float | None) -> str:
        if value is None:
            return "n/a"
        return f"{100 * value:.0f}%" if percent else f"{value:.2f}"

    desc = "; ".join(f"{label}: {text(value)}" for label, value in bars) or "no clinics"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
           f'<title id="{chart_id}-title">{escape(title)}</title>', f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']
    base = top + row_h * max(1, len(bars))
    for k in range(5):
        x = label_w + bar_w * k / 4
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" fill="{MUTED}">'
                   f'{text(maximum * k / 4)}</text>')
    for i, (label, value) in enumerate(bars):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="12" fill="{INK}">'
                   f'{escape(label)}</text>')
        if value is not None:
            w = bar_w * max(0.0, min(value, maximum)) / maximum if maximum else 0
            out.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}"/>')
            out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12" fill="{INK}">{text(value)}</text>')
        else:
            out.append(f'<text x="{label_w + 6}" y="{y + 17}" font-size="12" fill="{MUTED}">n/a</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every label went through escape; numbers are formatted)
