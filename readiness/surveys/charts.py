"""Server-rendered SVG comparing clinic means on one subscale (pure: rows in, markup out).

Each clinic is a line of text (clinic, mean, n, rwg(j)) above a bar from the scale minimum to its mean, so the
chart is narrow enough to keep its 12 px text on a phone; a clinic with n < 3 gets no bar, only "not reported
(n < 3)". The background shows the profile's heuristic bands (:func:`readiness.profile.band_cuts`), labelled
as heuristics. Accessible: ``role="img"``, ``<title>``, ``<desc>``
listing every value; the page always puts a data table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from readiness.profile import band_cuts

#: narrow enough to be drawn at its own size (12 px text, no scaling down) in a 360 px phone's column, where the
#: old 640-wide layout (labels left, figures right) shrank to 7 px text; on wider screens it keeps this width
WIDTH = 320
PAD = 8
ROW_H = 44  # a line of text (clinic, mean, n, rwg(j)) above its bar
BAR_H = 14
TOP = 26
BOTTOM = 44
BAND_FILLS = (("concern", "#fde4e4"), ("developing", "#fff1dc"), ("strength", "#e3f4e8"))
BAR_FILL = "#5b2a86"
LOW_AGREEMENT_FILL = "#b36ad6"


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _agreement(rwg: float | None) -> str:
    return "rwg(j) n/a" if rwg is None else f"rwg(j) {rwg:.2f}"


def describe(row: dict) -> str:
    if row.get("suppression") == "complementary":
        return f"{row['label']}: withheld, n = {row['n']} (complementary suppression)"
    if row.get("mean") is None:
        return f"{row['label']}: not reported, n = {row['n']} (fewer than 3 respondents)"
    text = f"{row['label']}: mean {_fmt(row['mean'])}, n = {row['n']}, {_agreement(row.get('rwg_j'))}"
    return text + (", low agreement" if row.get("low_agreement") else "")


def clinic_means_svg(title: str, rows: Sequence[dict], scale_min: float, scale_max: float,
                     chart_id: str = "chart") -> str:
    """SVG markup; ``rows`` = ``[{label, n, mean (None = suppressed), rwg_j, low_agreement, suppression?}]``. Each clinic takes
    two lines: its label and figures, then its bar from the scale minimum, so the chart stays narrow (``WIDTH``)."""
    plot_w = WIDTH - 2 * PAD
    plot_bottom = TOP + ROW_H * max(len(rows), 1)
    height = plot_bottom + BOTTOM

    def x(value: float) -> float:
        return PAD + plot_w * (value - scale_min) / (scale_max - scale_min)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(describe(r) for r in rows) or "No responses yet.")}. '
        f'Background bands are heuristics, not validated cut-offs.</desc>',
    ]
    cuts = band_cuts(scale_min, scale_max)
    edges = (scale_min, *cuts, scale_max)
    for (name, fill), lo, hi in zip(BAND_FILLS, edges[:-1], edges[1:], strict=True):
        parts.append(f'<rect x="{x(lo):.1f}" y="{TOP - 4}" width="{x(hi) - x(lo):.1f}" '
                     f'height="{plot_bottom - TOP + 4}" fill="{fill}"/>')
        parts.append(f'<text x="{(x(lo) + x(hi)) / 2:.1f}" y="{TOP - 9}" text-anchor="middle">{name}*</text>')
    for i, row in enumerate(rows):
        y = TOP + i * ROW_H
        label = f'<tspan font-weight="700">{escape(str(row["label"]))}</tspan>'
        if row.get("suppression") == "complementary":
            parts.append(f'<text x="{PAD + 4}" y="{y + 16}">{label} withheld (n = {row["n"]}; complementary '
                         'suppression)</text>')
            continue
        if row.get("mean") is None:
            parts.append(f'<text x="{PAD + 4}" y="{y + 16}">{label} not reported (n = {row["n"]} &lt; 3)</text>')
            continue
        note = f"{_fmt(row['mean'])} · n={row['n']} · {_agreement(row.get('rwg_j'))}"
        if row.get("low_agreement"):
            note += " (low)"
        parts.append(f'<text x="{PAD + 4}" y="{y + 16}">{label} {escape(note)}</text>')
        fill = LOW_AGREEMENT_FILL if row.get("low_agreement") else BAR_FILL
        width = max(x(row["mean"]) - PAD, 1.0)
        parts.append(f'<rect x="{PAD}" y="{y + 22}" width="{width:.1f}" height="{BAR_H}" fill="{fill}"'
                     + (' stroke="#a4161a" stroke-width="2" stroke-dasharray="4 2"' if row.get("low_agreement")
                        else "") + "/>")
    axis_y = plot_bottom + 4
    parts.append(f'<line x1="{PAD}" y1="{axis_y}" x2="{PAD + plot_w}" y2="{axis_y}" stroke="#4a5561"/>')
    ticks = _ticks(scale_min, scale_max)
    for tick in ticks:
        anchor = "start" if tick == ticks[0] else ("end" if tick == ticks[-1] else "middle")
        parts.append(f'<line x1="{x(tick):.1f}" y1="{axis_y}" x2="{x(tick):.1f}" y2="{axis_y + 5}" '
                     f'stroke="#4a5561"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y + 18}" text-anchor="{anchor}">{tick:g}</text>')
    # on a line of its own below the tick labels: beside the last tick it read as part of it ("5* heuristic")
    parts.append(f'<text x="{WIDTH - PAD}" y="{axis_y + 36}" text-anchor="end">* heuristic bands</text>')
    parts.append("</svg>")
    return "".join(parts)


def clinic_profile_svg(title: str, rows: Sequence[dict], chart_id: str = "profile") -> str:
    """ONE chart of one clinic's profile: a row per subscale (``[{label, n, mean, rwg_j, low_agreement,
    suppression?, scale_min, scale_max}]``), each bar from its subscale's minimum over that subscale's heuristic
    bands, so subscales on different scales sit side by side. The x axis runs from each scale's minimum to its
    maximum (a shared numbered axis when every subscale has the same scale). Same row layout and 12 px text as
    :func:`clinic_means_svg`."""
    plot_w = WIDTH - 2 * PAD
    plot_bottom = TOP + ROW_H * max(len(rows), 1)
    height = plot_bottom + BOTTOM + 18
    scales = {(r["scale_min"], r["scale_max"]) for r in rows}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart profile-chart" role="img" viewBox="0 0 {WIDTH} '
        f'{height}" width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(describe(r) for r in rows) or "No responses yet.")}. '
        f'Background bands are heuristics, not validated cut-offs.</desc>',
    ]
    legend_x = PAD
    for name, fill in BAND_FILLS:
        parts.append(f'<rect x="{legend_x}" y="{TOP - 20}" width="12" height="12" fill="{fill}" stroke="#4a5561" '
                     f'stroke-width="0.5"/><text x="{legend_x + 16}" y="{TOP - 10}">{name}*</text>')
        legend_x += 16 + 8 * len(name) + 18
    for i, row in enumerate(rows):
        lo, hi = float(row["scale_min"]), float(row["scale_max"])
        y = TOP + i * ROW_H

        def x(value: float, lo: float = lo, hi: float = hi) -> float:
            return PAD + plot_w * (value - lo) / ((hi - lo) or 1.0)

        edges = (lo, *band_cuts(lo, hi), hi)
        for (_name, fill), a, b in zip(BAND_FILLS, edges[:-1], edges[1:], strict=True):
            parts.append(f'<rect x="{x(a):.1f}" y="{y + 20}" width="{x(b) - x(a):.1f}" height="{BAR_H + 4}" '
                         f'fill="{fill}"/>')
        label = f'<tspan font-weight="700">{escape(str(row["label"]))}</tspan>'
        if row.get("suppression") == "complementary":
            parts.append(f'<text x="{PAD + 4}" y="{y + 16}">{label} withheld (n = {row["n"]})</text>')
            continue
        if row.get("mean") is None:
            parts.append(f'<text x="{PAD + 4}" y="{y + 16}">{label} not reported (n = {row["n"]} &lt; 3)</text>')
            continue
        scale = "" if len(scales) == 1 else f" ({lo:g}–{hi:g})"
        parts.append(f'<text x="{PAD + 4}" y="{y + 16}">{label} {escape(_fmt(row["mean"]))}{escape(scale)} · '
                     f'n={row["n"]}</text>')
        fill = LOW_AGREEMENT_FILL if row.get("low_agreement") else BAR_FILL
        parts.append(f'<rect x="{PAD}" y="{y + 22}" width="{max(x(row["mean"]) - PAD, 1.0):.1f}" height="{BAR_H}" '
                     f'fill="{fill}"/>')
    axis_y = plot_bottom + 4
    parts.append(f'<line x1="{PAD}" y1="{axis_y}" x2="{PAD + plot_w}" y2="{axis_y}" stroke="#4a5561"/>')
    if len(scales) == 1:
        lo, hi = next(iter(scales))
        ticks = _ticks(float(lo), float(hi))
        for tick in ticks:
            tx = PAD + plot_w * (tick - lo) / ((hi - lo) or 1.0)
            anchor = "start" if tick == ticks[0] else ("end" if tick == ticks[-1] else "middle")
            parts.append(f'<text x="{tx:.1f}" y="{axis_y + 18}" text-anchor="{anchor}">{tick:g}</text>')
        axis_title = f"Subscale mean (scale {lo:g}–{hi:g})"
    else:
        parts.append(f'<text x="{PAD}" y="{axis_y + 18}">minimum</text>'
                     f'<text x="{PAD + plot_w}" y="{axis_y + 18}" text-anchor="end">maximum</text>')
        axis_title = "Subscale mean, from each scale's minimum to its maximum"
    parts.append(f'<text x="{WIDTH / 2:.1f}" y="{axis_y + 36}" text-anchor="middle">{escape(axis_title)}</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="{axis_y + 54}" text-anchor="end">* heuristic bands</text>')
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
