"""Server-rendered SVG charts for adoption funnels and stage timelines (pure: plain data in, SVG text out).

Charts only draw numbers the pure outcome modules computed (``adoption_funnel``, ``stage_scores``); they never
compute a metric. Every chart carries ``role="img"``, a <title> and a <desc>, and the page shows the same numbers
in a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

PHASE_COLOURS = {"pre_implementation": "#5b2a86", "implementation": "#0b57a4", "sustainability": "#1e6b34"}
BAR_COLOUR = "#5b2a86"
INK = "#1b1f24"
GRID = "#c9d1d9"


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def funnels_svg(
    chart_id: str,
    columns: Sequence[tuple[str, Sequence[Mapping[str, Any]]]],
    step_labels: Mapping[str, str],
    title: str,
) -> str:
    """Funnels side by side: one column per ``(heading, funnel)``; ``funnel`` rows as ``adoption_funnel`` returns.

    Bars are centred so each column reads as a funnel; bar width = count / invited count of that column.
    """
    label_w, col_w, row_h, top = 232, 150, 28, 34
    steps = [row["step"] for row in columns[0][1]] if columns else []
    width = label_w + col_w * max(1, len(columns))
    height = top + row_h * len(steps) + 8
    parts_desc = []
    for heading, funnel in columns:
        parts_desc.append(heading + ": " + ", ".join(f"{step_labels.get(r['step'], r['step'])} {r['count']}"
                                                     for r in funnel))
    out = _open(chart_id, width, height, title, "Counselors reaching each step. " + "; ".join(parts_desc) + ".")
    for i, step in enumerate(steps):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end">{escape(step_labels.get(step, step))}</text>')
    bar_max = col_w - 44
    for c, (heading, funnel) in enumerate(columns):
        centre = label_w + c * col_w + col_w / 2
        out.append(f'<text x="{centre:.1f}" y="18" text-anchor="middle" font-weight="700">{escape(heading)}</text>')
        base = funnel[0]["count"] if funnel else 0
        for i, row in enumerate(funnel):
            y = top + i * row_h
            w = bar_max * row["count"] / base if base else 0
            out.append(f'<rect x="{centre - w / 2:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                       f'fill="{BAR_COLOUR}" rx="2"/>')
            out.append(f'<text x="{centre + w / 2 + 4:.1f}" y="{y + 18}">{row["count"]}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _month_starts(first: date, last: date) -> list[date]:
    months, current = [], date(first.year, first.month, 1)
    if current < first:
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def stage_timeline_svg(chart_id: str, scores: Mapping[str, Any], title: str) -> str:
    """One row per stage: a line from its first to its last completed activity (the stage duration) and a dot
    per completed activity, on a shared date axis. ``scores`` is what ``stage_scores`` returns."""
    stages = scores["stages"]
    label_w, plot_w, row_h, top = 250, 460, 30, 12
    width, height = label_w + plot_w + 20, top + row_h * len(stages) + 40
    dated = [r["date"] for r in scores["timeline"]]
    summary = "; ".join(
        f"stage {s['number']} {s['label']}: {s['n_completed']} of {s['n_activities']} activities"
        + (f", {s['duration_days']} days" if s["duration_days"] is not None else "")
        for s in stages
    )
    out = _open(chart_id, width, height, title, f"Completed activities by date. {summary}.")
    if dated:
        first, last = min(dated), max(dated)
        span = max((last - first).days, 1)

        def x(d: date) -> float:
            return label_w + plot_w * (d - first).days / span

        axis_y = top + row_h * len(stages) + 4
        out.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" stroke="{INK}"/>')
        months = _month_starts(first, last)
        step = -(-len(months) // 8)  # at most 8 labelled ticks
        for i, m in enumerate(months[::step]):
            label = f"{m:%b %Y}" if i == 0 or m.month <= step else f"{m:%b}"
            out.append(f'<line x1="{x(m):.1f}" y1="{top}" x2="{x(m):.1f}" y2="{axis_y}" stroke="{GRID}"/>')
            out.append(f'<text x="{x(m):.1f}" y="{axis_y + 16}" text-anchor="middle">{label}</text>')
    for i, stage in enumerate(stages):
        y = top + i * row_h + row_h / 2
        colour = PHASE_COLOURS.get(stage["phase"], INK)
        out.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">{stage["number"]}. '
                   f'{escape(_short(stage["label"], 34))}</text>')
        if not dated or stage["first_date"] is None:
            continue
        out.append(f'<line x1="{x(stage["first_date"]):.1f}" y1="{y:.1f}" x2="{x(stage["last_date"]):.1f}" '
                   f'y2="{y:.1f}" stroke="{colour}" stroke-width="4" stroke-linecap="round"/>')
        for row in scores["timeline"]:
            if row["stage"] == stage["number"]:
                out.append(f'<circle cx="{x(row["date"]):.1f}" cy="{y:.1f}" r="5" fill="#ffffff" stroke="{colour}" '
                           f'stroke-width="2"><title>{row["date"].isoformat()}: {escape(row["activity_label"])}'
                           f'</title></circle>')
    out.append("</svg>")
    return "\n".join(out)
