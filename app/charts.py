"""Generic server-rendered SVG charts shared by the features (pure: plain data in, SVG markup out).

A chart only draws numbers already computed elsewhere; it carries ``role="img"``, a <title> and a <desc>, and the
page shows the same numbers in a table beside it. Feature-specific charts (funnels, run charts, CONSORT) live with
their features.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from app import formatting

INK = "#1b1f24"
BAR = "#0b57a4"
GRID = "#c9d1d9"
MUTED = "#57606a"
REFERENCE = "#8a4b00"  # reference lines (targets, adequacy): dashed, labelled


def bar_chart_svg(chart_id: str, title: str, bars: Sequence[tuple[str, float | None]], maximum: float = 1.0,
                  percent: bool = True, axis_title: str | None = None,
                  reference: tuple[float, str] | None = None) -> Markup:
    """Horizontal bars, one per ``(label, value)``; a value of None is drawn as "n/a" (undefined, not zero).

    With ``percent`` values are proportions 0..``maximum`` shown as percentages (``app.formatting``). The x axis
    carries ``axis_title`` (default: "Share of clinic (%)" / "Value"); ``reference`` = ``(value, label)`` draws a
    dashed line across every bar (a director's target). Text is 12 px at the drawn size, and the viewBox scales the
    chart down on a phone only as far as the page's CSS allows (``.chart`` keeps a minimum width)."""
    # 320 wide: drawn at its own size (12 px text) in a 360 px phone's column, never scaled below it
    label_w, bar_w, row_h, top, right = 80, 190, 26, 22 if reference else 10, 50
    rows_h = row_h * max(1, len(bars))
    width, height = label_w + bar_w + right, top + rows_h + 44

    def text(value: float | None) -> str:
        if value is None:
            return "n/a"
        return formatting.pct(value) if percent else formatting.number(value, "num")

    desc = "; ".join(f"{label}: {text(value)}" for label, value in bars) or "no clinics"
    if reference:
        desc += f"; {reference[1]}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
           f'<title id="{chart_id}-title">{escape(title)}</title>', f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']
    base = top + rows_h
    for k in range(5):
        x = label_w + bar_w * k / 4
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" font-size="12" fill="{MUTED}">'
                   f'{text(maximum * k / 4)}</text>')
    out.append(f'<text x="{label_w + bar_w / 2:.1f}" y="{base + 36}" text-anchor="middle" font-size="12" '
               f'fill="{MUTED}">{escape(axis_title or ("Share (%)" if percent else "Value"))}</text>')
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
    if reference and maximum:
        x = label_w + bar_w * max(0.0, min(reference[0], maximum)) / maximum
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{base}" stroke="{REFERENCE}" stroke-width="2" '
                   f'stroke-dasharray="6 3" class="reference-line"/>')
        out.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="middle" font-size="12" fill="{REFERENCE}">'
                   f'{escape(reference[1])}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every label went through escape; numbers are formatted)
