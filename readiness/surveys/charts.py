"""Server-rendered SVG comparing clinic means on one subscale (pure: rows in, markup out).

Each clinic is a row: a bar from the scale minimum to its mean, labelled with the mean, n and rwg(j); a clinic
with n < 3 gets no bar, only "not reported (n < 3)". The background shows the profile's heuristic bands
(:func:`readiness.profile.band_cuts`), labelled as heuristics. Accessible: ``role="img"``, ``<title>``, ``<desc>``
listing every value; the page always puts a data table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from readiness.profile import band_cuts

WIDTH = 640
LABEL_W = 90
RIGHT_W = 190
ROW_H = 30
TOP = 38
BOTTOM = 34
BAND_FILLS = (("concern", "#fde4e4"), ("developing", "#fff1dc"), ("strength", "#e3f4e8"))
BAR_FILL = "#5b2a86"
LOW_AGREEMENT_FILL = "#b36ad6"


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _agreement(rwg: float | None) -> str:
    return "rwg(j) n/a" if rwg is None else f"rwg(j) {rwg:.2f}"


def describe(row: dict) -> str:
    if row.get("mean") is None:
        return f"{row['label']}: not reported, n = {row['n']} (fewer than 3 respondents)"
    text = f"{row['label']}: mean {_fmt(row['mean'])}, n = {row['n']}, {_agreement(row.get('rwg_j'))}"
    return text + (", low agreement" if row.get("low_agreement") else "")


def clinic_means_svg(title: str, rows: Sequence[dict], scale_min: float, scale_max: float,
                     chart_id: str = "chart") -> str:
    """SVG markup; ``rows`` = ``[{label, n, mean (None = suppressed), rwg_j, low_agreement}]``."""
    plot_w = WIDTH - LABEL_W - RIGHT_W
    height = TOP + ROW_H * max(len(rows), 1) + BOTTOM

    def x(value: float) -> float:
        return LABEL_W + plot_w * (value - scale_min) / (scale_max - scale_min)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(describe(r) for r in rows) or "No responses yet.")}. '
        f'Background bands are heuristics, not validated cut-offs.</desc>',
    ]
    cuts = band_cuts(scale_min, scale_max)
    edges = (scale_min, *cuts, scale_max)
    plot_bottom = TOP + ROW_H * max(len(rows), 1)
    for (name, fill), lo, hi in zip(BAND_FILLS, edges[:-1], edges[1:], strict=True):
        parts.append(f'<rect x="{x(lo):.1f}" y="{TOP - 4}" width="{x(hi) - x(lo):.1f}" '
                     f'height="{plot_bottom - TOP + 4}" fill="{fill}"/>')
        parts.append(f'<text x="{(x(lo) + x(hi)) / 2:.1f}" y="{TOP - 10}" text-anchor="middle">{name}*</text>')
    for i, row in enumerate(rows):
        y = TOP + i * ROW_H
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + ROW_H / 2 + 4:.1f}" text-anchor="end">'
                     f'{escape(str(row["label"]))}</text>')
        if row.get("mean") is None:
            parts.append(f'<text x="{LABEL_W + 6}" y="{y + ROW_H / 2 + 4:.1f}">not reported (n = {row["n"]} &lt; 3)'
                         f'</text>')
            continue
        fill = LOW_AGREEMENT_FILL if row.get("low_agreement") else BAR_FILL
        width = max(x(row["mean"]) - LABEL_W, 1.0)
        parts.append(f'<rect x="{LABEL_W}" y="{y + 6}" width="{width:.1f}" height="{ROW_H - 12}" fill="{fill}"'
                     + (' stroke="#a4161a" stroke-width="2" stroke-dasharray="4 2"' if row.get("low_agreement")
                        else "") + "/>")
        note = f"{_fmt(row['mean'])} · n={row['n']} · {_agreement(row.get('rwg_j'))}"
        if row.get("low_agreement"):
            note += " (low)"
        parts.append(f'<text x="{LABEL_W + plot_w + 6}" y="{y + ROW_H / 2 + 4:.1f}">{escape(note)}</text>')
    axis_y = plot_bottom + 4
    parts.append(f'<line x1="{LABEL_W}" y1="{axis_y}" x2="{LABEL_W + plot_w}" y2="{axis_y}" stroke="#4a5561"/>')
    ticks = _ticks(scale_min, scale_max)
    for tick in ticks:
        parts.append(f'<line x1="{x(tick):.1f}" y1="{axis_y}" x2="{x(tick):.1f}" y2="{axis_y + 5}" '
                     f'stroke="#4a5561"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y + 18}" text-anchor="middle">{tick:g}</text>')
    # right-aligned at the edge: starting just after the last tick it read as part of that tick ("5* heuristic")
    parts.append(f'<text x="{WIDTH - 4}" y="{axis_y + 18}" text-anchor="end">* heuristic bands</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = 1.0 if span <= 10 else (5.0 if span <= 50 else 10.0)
    ticks, value = [], lo
    while value <= hi + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks
