"""A scatter plot as inline SVG (pure: plain data in, markup out), accessible (role="img", <title>, <desc>); the
page always shows the data table beside it."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 560, 320, 56, 16, 16, 48
COLOURS = ("#1b6ca8", "#c0392b", "#2e8b57", "#8e44ad", "#b9770e", "#555555")


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) * (b - a) / span


def scatter_svg(title: str, points: list[dict], x_label: str, y_label: str, chart_id: str,
                x_range: tuple[float, float] | None = None, y_range: tuple[float, float] | None = None) -> str:
    """``points``: ``[{x, y, label, group}]`` (points with a missing x or y are left out and counted in the
    description); one colour per group, shown in a legend."""
    shown = [p for p in points if p["x"] is not None and p["y"] is not None]
    xs, ys = [p["x"] for p in shown] or [0.0], [p["y"] for p in shown] or [0.0]
    x_lo, x_hi = x_range or (min(xs), max(xs))
    y_lo, y_hi = y_range or (min(ys), max(ys))
    sx = _scale(x_lo, x_hi, PAD_L, WIDTH - PAD_R)
    sy = _scale(y_lo, y_hi, HEIGHT - PAD_B, PAD_T)
    groups = sorted({p["group"] for p in shown})
    colour = {g: COLOURS[i % len(COLOURS)] for i, g in enumerate(groups)}
    desc = f"{len(shown)} points; {len(points) - len(shown)} without both values left out."
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 20 * ((len(groups) + 3) // 4)}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
             f'<line x1="{PAD_L}" y1="{HEIGHT - PAD_B}" x2="{WIDTH - PAD_R}" y2="{HEIGHT - PAD_B}" stroke="#444"/>',
             f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{HEIGHT - PAD_B}" stroke="#444"/>']
    for value, anchor in ((x_lo, "start"), (x_hi, "end")):
        parts.append(f'<text x="{sx(value):.1f}" y="{HEIGHT - PAD_B + 16}" font-size="12" text-anchor="{anchor}">'
                     f'{value:g}</text>')
    for value in (y_lo, y_hi):
        parts.append(f'<text x="{PAD_L - 6}" y="{sy(value) + 4:.1f}" font-size="12" text-anchor="end">'
                     f'{value:g}</text>')
    parts.append(f'<text x="{(PAD_L + WIDTH - PAD_R) / 2:.1f}" y="{HEIGHT - 8}" font-size="12" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text x="14" y="{(PAD_T + HEIGHT - PAD_B) / 2:.1f}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(PAD_T + HEIGHT - PAD_B) / 2:.1f})">{escape(y_label)}</text>')
    for p in shown:
        parts.append(f'<circle cx="{sx(p["x"]):.1f}" cy="{sy(p["y"]):.1f}" r="5" fill="{colour[p["group"]]}" '
                     f'fill-opacity="0.8"><title>{escape(p["label"])}: {p["x"]:g}, {p["y"]:.2f}</title></circle>')
    for i, g in enumerate(groups):
        x, y = PAD_L + (i % 4) * 130, HEIGHT + 8 + 20 * (i // 4)
        parts.append(f'<circle cx="{x}" cy="{y}" r="5" fill="{colour[g]}"/>'
                     f'<text x="{x + 10}" y="{y + 4}" font-size="12">{escape(str(g))}</text>')
    parts.append("</svg>")
    return "".join(parts)
