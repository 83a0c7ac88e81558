"""Server-rendered SVG: the CONSORT-style flow diagram and per-counselor run charts.

Pure functions from the dicts of ``reach.consort_flow`` and ``runchart.run_chart`` to SVG markup (``Markup``: every
interpolated text is escaped here, so templates insert it as is). Every chart has ``role="img"``, a <title> and a <desc>, and is always shown next to a
data table carrying the same numbers. Colours are SVG presentation attributes (allowed by the CSP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

INK = "#1f2328"
MUTED = "#57606a"
LINE = "#8b949e"
BOX_FILL = "#f6f8fa"
MIO_FILL = "#e6f0ff"
ABOVE = "#1a7f37"
BELOW = "#cf222e"
REFERENCE = "#8a4b00"  # reference lines (the adequacy line): not a signal colour
FONT = 12
LINE_HEIGHT = 15
MAX_REASONS = 5

# (node id, column): column 0 is the main flow, 1 the side boxes leaving it
_MAIN_FLOW: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("screened", ("excluded", "lost_undetermined")),
    ("eligible", ("not_offered",)),
    ("offered", ("declined",)),
    ("enrolled", ("consented_not_randomized",)),
    ("randomized", ()),
)


def _svg(markup: str) -> Markup:
    """Every text and attribute value interpolated into the chart went through ``escape``; numbers are formatted."""
    return Markup(markup)  # noqa: S704


def _text_lines(node: Mapping[str, Any]) -> list[tuple[str, bool]]:
    lines = [(f"{node['label']} (n = {node['count']})", True)]
    reasons = list(node.get("reasons") or [])
    for r in reasons[:MAX_REASONS]:
        lines.append((f"• {r['reason']}: {r['count']}", False))
    if len(reasons) > MAX_REASONS:
        rest = sum(r["count"] for r in reasons[MAX_REASONS:])
        lines.append((f"• {len(reasons) - MAX_REASONS} other reasons: {rest}", False))
    return lines


def _wrap(text: str, width_chars: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width_chars:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines or [""]


def _box(x: float, y: float, width: float, node: Mapping[str, Any], fill: str = BOX_FILL) -> tuple[str, float]:
    """One box; returns (markup, height)."""
    chars = int(width / 6.6)
    rendered: list[tuple[str, bool]] = []
    for text, bold in _text_lines(node):
        rendered.extend((part, bold) for part in _wrap(text, chars))
    height = 10 + LINE_HEIGHT * len(rendered)
    parts = [f'<g data-node="{escape(node["id"])}">',
             f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="4" fill="{fill}" stroke="{LINE}"/>']
    for i, (text, bold) in enumerate(rendered):
        weight = ' font-weight="700"' if bold else ""
        parts.append(f'<text x="{x + 8}" y="{y + 4 + LINE_HEIGHT * (i + 1) - 3}"{weight}>{escape(text)}</text>')
    parts.append("</g>")
    return "".join(parts), height


def _arrow(x1: float, y1: float, x2: float, y2: float, marker: str) -> str:
    return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" stroke-width="1.5" '
            f'marker-end="url(#{marker})"/>')


def consort_svg(flow: Mapping[str, Any], title: str, chart_id: str = "consort") -> Markup:
    """A CONSORT 2010-style flow diagram (Moher et al. 2010) of one clinic's screening log.

    ``flow`` is one ``{"nodes", "edges"}`` entry of ``reach.consort_flow``; main boxes run down the left, boxes
    for those leaving the flow (excluded with reasons, lost, not offered, declined with reasons, consented not
    randomized) sit to the right, and the two arms and "started MIO" close the diagram.
    """
    nodes = {n["id"]: n for n in flow["nodes"]}
    marker = f"{chart_id}-arrow"
    main_x, main_w, side_x, side_w, gap = 10, 300, 360, 340, 18
    body: list[str] = []
    y = 10.0
    for main_id, side_ids in _MAIN_FLOW:
        box, height = _box(main_x, y, main_w, nodes[main_id])
        body.append(box)
        bottom = y + height
        side_y = bottom + gap / 2 if side_ids else bottom
        for side_id in side_ids:
            side_box, side_height = _box(side_x, side_y, side_w, nodes[side_id])
            body.append(side_box)
            body.append(_arrow(main_x + main_w / 2, side_y + 12, side_x - 2, side_y + 12, marker))
            side_y += side_height + gap / 2
        next_y = max(bottom + gap, side_y + gap / 2)
        if main_id != "randomized":
            body.append(_arrow(main_x + main_w / 2, bottom, main_x + main_w / 2, next_y - 2, marker))
        y = next_y
    randomized_bottom = y - gap
    arm_y = y + gap
    mio_box, mio_height = _box(main_x, arm_y, main_w, nodes["arm_mio_tau"], MIO_FILL)
    tau_box, tau_height = _box(side_x, arm_y, side_w, nodes["arm_tau"])
    body += [mio_box, tau_box,
             _arrow(main_x + main_w / 2, randomized_bottom, main_x + main_w / 2, arm_y - 2, marker),
             f'<line x1="{main_x + main_w / 2}" y1="{randomized_bottom + gap / 2}" x2="{side_x + side_w / 2}" '
             f'y2="{randomized_bottom + gap / 2}" stroke="{INK}" stroke-width="1.5"/>',
             _arrow(side_x + side_w / 2, randomized_bottom + gap / 2, side_x + side_w / 2, arm_y - 2, marker)]
    started_y = arm_y + max(mio_height, tau_height) + gap
    started_box, started_height = _box(main_x, started_y, main_w, nodes["started_mio"], MIO_FILL)
    body += [started_box, _arrow(main_x + main_w / 2, arm_y + mio_height, main_x + main_w / 2, started_y - 2, marker)]
    height = started_y + started_height + 10
    width = side_x + side_w + 10
    summary = "; ".join(f"{n['label']}: {n['count']}" for n in flow["nodes"])
    return _svg(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart consort" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>'
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/></marker></defs>'
        + "".join(body) + "</svg>"
    )


def run_chart_svg(chart: Mapping[str, Any], title: str, y_range: Sequence[float], chart_id: str,
                  x_labels: Sequence[str] | None = None, y_title: str = "Adherence score (group mean)",
                  references: Sequence[tuple[float, str]] = ()) -> Markup:
    """A run chart (Perla, Provost & Murray 2011): scores in session order, the median line, and the points of any
    shift or trend marked (red when the signal is drift: a shift below the median or a downward trend). Both axes
    carry a title; ``references`` are ``(value, label)`` lines drawn across (the adequacy line of the score)."""
    points = chart["points"]
    width, height = 640, 236
    left, right, top, bottom = 62, 12, 14, 40
    lo, hi = float(y_range[0]), float(y_range[1])
    span = (hi - lo) or 1.0
    n = len(points)

    def px(i: int) -> float:
        return left + (width - left - right) * (i / (n - 1) if n > 1 else 0.5)

    def py(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / span)

    signal: dict[int, str] = {}
    for shift in chart.get("shifts", []):
        for i in range(shift["start"], shift["end"] + 1):
            if points[i]["side"] != "on":
                signal[i] = BELOW if shift["direction"] == "below" else ABOVE
    for trend in chart.get("trends", []):
        for i in range(trend["start"], trend["end"] + 1):
            signal[i] = BELOW if trend["direction"] == "down" else signal.get(i, ABOVE)
    parts = [f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{LINE}"/>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="{LINE}"/>']
    steps = int(span) if span <= 10 and float(span).is_integer() else 4
    for k in range(steps + 1):
        value = lo + span * k / steps
        parts.append(f'<text x="{left - 6}" y="{py(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
        parts.append(f'<line x1="{left - 3}" y1="{py(value):.1f}" x2="{left}" y2="{py(value):.1f}" stroke="{LINE}"/>')
    parts.append(f'<text transform="translate(14 {(top + height - bottom) / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle" fill="{MUTED}">{escape(y_title)}</text>')
    for value, label in references:
        if lo <= value <= hi:
            r = py(value)
            parts.append(f'<line x1="{left}" y1="{r:.1f}" x2="{width - right}" y2="{r:.1f}" stroke="{REFERENCE}" '
                         f'stroke-width="1.5" stroke-dasharray="8 3" class="reference-line"/>')
            parts.append(f'<text x="{left + 6}" y="{r - 4:.1f}" fill="{REFERENCE}">{escape(label)}</text>')
    if chart.get("median") is not None:
        m = py(chart["median"])
        parts.append(f'<line x1="{left}" y1="{m:.1f}" x2="{width - right}" y2="{m:.1f}" stroke="{MUTED}" '
                     f'stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{width - right}" y="{m - 4:.1f}" text-anchor="end" fill="{MUTED}">'
                     f'median {chart["median"]:.2f}</text>')
    if n:
        path = " ".join(f"{'M' if i == 0 else 'L'} {px(i):.1f} {py(p['score']):.1f}" for i, p in enumerate(points))
        parts.append(f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="1.2"/>')
    for i, p in enumerate(points):
        colour = signal.get(i, INK)
        label = x_labels[i] if x_labels and i < len(x_labels) else str(i + 1)
        parts.append(f'<circle cx="{px(i):.1f}" cy="{py(p["score"]):.1f}" r="3.5" fill="{colour}">'
                     f'<title>{escape(label)}: {p["score"]:.2f}</title></circle>')
    tick_every = max(1, n // 12)
    for i in range(0, n, tick_every):
        parts.append(f'<text x="{px(i):.1f}" y="{height - bottom + 14}" text-anchor="middle">{i + 1}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">'
                 "rated sessions in date order</text>")
    signals = [f"shift {s['direction']} the median, points {s['start'] + 1}-{s['end'] + 1}" for s in chart.get("shifts", [])]
    signals += [f"trend {t['direction']}, points {t['start'] + 1}-{t['end'] + 1}" for t in chart.get("trends", [])]
    median = f"{chart['median']:.2f}" if chart.get("median") is not None else "n/a"
    desc = (f"{y_title} of {n} rated sessions in date order, median {median}; "
            + "".join(f"{label}; " for _v, label in references)
            + ("; ".join(signals) if signals else "no shift or trend signal")
            + (" (drift)" if chart.get("drift") else ""))
    return _svg(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart run-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        + "".join(parts) + "</svg>"
    )
