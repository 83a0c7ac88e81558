"""Server-rendered SVG of the effectiveness page: trajectories per arm, the forest plot of arm effects, the mediation
diagram and the CONSORT follow-up boxes. Pure: numbers computed by ``aim1``, ``mediation`` and ``consort`` in,
markup out; every text is escaped here; each chart has ``role="img"``, a <title> and a <desc>, and the page shows
the same numbers in a table beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

INK, MUTED, GRID = "#1f2328", "#57606a", "#d0d7de"
ARM_COLOURS = {"mio_tau": "#0b57a4", "tau": "#8a6d00"}
FONT = 12


def _svg(chart_id: str, title: str, desc: str, width: float, height: float, body: Sequence[str],
         css: str = "chart") -> Markup:
    return Markup(  # noqa: S704  (every interpolated text went through escape; numbers are formatted)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-size="{FONT}"><title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def _fmt(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def trajectories_svg(describe: Mapping[str, Mapping[str, Mapping[str, Any]]], time_points: Sequence[Mapping[str, str]],
                     arm_labels: Mapping[str, str], title: str, chart_id: str) -> Markup:
    """Observed mean per arm and time point with its 95 % CI (t interval), arms side by side."""
    width, height, left, right, top, bottom = 460, 230, 52, 110, 14, 40
    values = [v for arm in describe.values() for e in arm.values()
              for v in (e.get("ci_low"), e.get("ci_high"), e.get("mean")) if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    n = len(time_points)

    def px(i: int, offset: float = 0) -> float:
        return left + (width - left - right) * ((i + 0.5) / n) + offset

    def py(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    body = [f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{GRID}"/>']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        body.append(f'<text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end" fill="{MUTED}">{v:.3g}</text>')
        body.append(f'<line x1="{left}" y1="{py(v):.1f}" x2="{width - right}" y2="{py(v):.1f}" stroke="{GRID}"/>')
    for i, tp in enumerate(time_points):
        body.append(f'<text x="{px(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(tp["label"])}'
                    "</text>")
    desc = []
    for j, (arm, colour) in enumerate(ARM_COLOURS.items()):
        offset = -6 if j == 0 else 6
        points = []
        for i, tp in enumerate(time_points):
            e = describe.get(arm, {}).get(tp["key"], {})
            if e.get("mean") is None:
                continue
            x, y = px(i, offset), py(e["mean"])
            points.append((x, y))
            if e.get("ci_low") is not None:
                body.append(f'<line x1="{x:.1f}" y1="{py(e["ci_low"]):.1f}" x2="{x:.1f}" y2="{py(e["ci_high"]):.1f}" '
                            f'stroke="{colour}" stroke-width="1.5"/>')
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(arm_labels[arm])}, '
                        f'{escape(tp["label"])}: {_fmt(e["mean"])} (n = {e["n"]})</title></circle>')
            desc.append(f"{arm_labels[arm]} {tp['label']}: mean {_fmt(e['mean'])} "
                        f"[{_fmt(e.get('ci_low'))}, {_fmt(e.get('ci_high'))}], n = {e['n']}")
        if len(points) > 1:
            path = " ".join(f"{'M' if k == 0 else 'L'} {x:.1f} {y:.1f}" for k, (x, y) in enumerate(points))
            body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        ly = top + 14 + 18 * j
        body.append(f'<rect x="{width - right + 12}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{width - right + 27}" y="{ly}">{escape(arm_labels[arm])}</text>')
    return _svg(chart_id, title, "; ".join(desc) or "no values", width, height, body, "chart trajectories")


def forest_svg(rows: Sequence[Mapping[str, Any]], title: str, chart_id: str, axis_label: str) -> Markup:
    """One line per ``{label, estimate, ci_low, ci_high}`` (None estimates drawn as n/a), a zero line."""
    label_w, plot_w, row_h, top, bottom = 290, 300, 24, 10, 40
    width, height = label_w + plot_w + 90, top + row_h * max(1, len(rows)) + bottom
    values = [v for r in rows for v in (r.get("ci_low"), r.get("ci_high")) if v is not None] + [0.0]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or 0.5
    lo, hi = lo - pad, hi + pad

    def px(v: float) -> float:
        return label_w + plot_w * (v - lo) / (hi - lo)

    base = top + row_h * max(1, len(rows))
    body = [f'<line x1="{px(0):.1f}" y1="{top}" x2="{px(0):.1f}" y2="{base}" stroke="{MUTED}" '
            'stroke-dasharray="4 3"/>']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        body.append(f'<text x="{px(v):.1f}" y="{base + 14}" text-anchor="middle" fill="{MUTED}">{v:.2f}</text>')
    body.append(f'<text x="{label_w + plot_w / 2}" y="{base + 32}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(axis_label)}</text>")
    desc = []
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        body.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(r["label"])}</text>')
        if r.get("estimate") is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 4:.1f}" fill="{MUTED}">n/a</text>')
            desc.append(f"{r['label']}: n/a")
            continue
        body.append(f'<line x1="{px(r["ci_low"]):.1f}" y1="{y:.1f}" x2="{px(r["ci_high"]):.1f}" y2="{y:.1f}" '
                    f'stroke="{INK}" stroke-width="1.5"/>')
        body.append(f'<rect x="{px(r["estimate"]) - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{INK}"/>')
        body.append(f'<text x="{label_w + plot_w + 8}" y="{y + 4:.1f}">{_fmt(r["estimate"])} '
                    f'[{_fmt(r["ci_low"])}, {_fmt(r["ci_high"])}]</text>')
        desc.append(f"{r['label']}: {_fmt(r['estimate'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]")
    return _svg(chart_id, title, "; ".join(desc) or "no estimates", width, height, body, "chart forest")


def mediation_svg(result: Mapping[str, Any], title: str, chart_id: str) -> Markup:
    """The triangle X -> M -> Y with a, b, the direct effect c' and the indirect effect a x b [95 % CI]."""
    width, height = 640, 230
    boxes = {"x": (10, 150, result["exposure_label"]), "m": (230, 20, result["mediator_label"]),
             "y": (450, 150, result["outcome_label"])}
    body = [f'<defs><marker id="{chart_id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/></marker>'
            "</defs>"]
    for x, y, label in boxes.values():
        body.append(f'<rect x="{x}" y="{y}" width="180" height="56" rx="4" fill="#f6f8fa" stroke="{GRID}"/>')
        words, lines, cur = str(label).split(), [], ""
        for w in words:
            if cur and len(cur) + len(w) > 28:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}".strip()
        lines.append(cur)
        for k, line in enumerate(lines[:3]):
            body.append(f'<text x="{x + 6}" y="{y + 16 + 14 * k}" font-size="12">{escape(line)}</text>')

    def arrow(x1, y1, x2, y2, text, tx, ty):
        body.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" stroke-width="1.5" '
                    f'marker-end="url(#{chart_id}-arrow)"/>')
        body.append(f'<text x="{tx}" y="{ty}" text-anchor="middle">{escape(text)}</text>')

    arrow(150, 150, 240, 78, f"a = {_fmt(result.get('a'))}", 160, 105)
    arrow(400, 78, 490, 150, f"b = {_fmt(result.get('b'))}", 480, 105)
    arrow(192, 180, 448, 180, f"c' = {_fmt(result.get('direct'))} [{_fmt(result.get('direct_ci_low'))}, "
          f"{_fmt(result.get('direct_ci_high'))}]", 320, 172)
    indirect = (f"indirect a x b = {_fmt(result.get('indirect'), 3)} [{_fmt(result.get('indirect_ci_low'), 3)}, "
                f"{_fmt(result.get('indirect_ci_high'), 3)}]; n = {result['n']} mothers, {result['clusters']} "
                "counselors")
    body.append(f'<text x="320" y="222" text-anchor="middle">{escape(indirect)}</text>')
    return _svg(chart_id, title, indirect, width, height, body, "chart mediation")


def followup_svg(flow: Mapping[str, Any], time_points: Sequence[Mapping[str, str]], title: str,
                 chart_id: str) -> Markup:
    """CONSORT follow-up and analysis boxes: one column per arm, one box per time point, then analysis."""
    col_w, gap, box_h = 330, 20, 86
    labels = flow["arm_labels"]
    body, desc = [], []
    rows = len(time_points) + 2
    height = 10 + rows * (box_h + gap)
    for j, arm in enumerate(("mio_tau", "tau")):
        data = flow[arm]
        x = 10 + j * (col_w + gap)
        lines_per_box = [[f"Allocated to {labels[arm]} (n = {data['allocated']})"]]
        for tp in time_points:
            t = data["time_points"].get(tp["key"], {})
            reasons = ", ".join(f"{r['reason']} {r['count']}" for r in t.get("lost_reasons", [])[:3])
            lines_per_box.append([f"{tp['label']}: assessed n = {t.get('assessed', 0)}",
                                  f"Lost to follow-up n = {t.get('lost', 0)}" + (f" ({reasons})" if reasons else ""),
                                  f"Withdrawn n = {t.get('withdrawn', 0)}; window still open n = {t.get('open', 0)}"])
        lines_per_box.append([f"Analysed (ITT, {flow['primary_measure']}) n = {data['analysed']}",
                              f"Excluded: data use withdrawn n = {data['excluded_data_withdrawn']}"])
        for i, lines in enumerate(lines_per_box):
            y = 10 + i * (box_h + gap)
            body.append(f'<rect x="{x}" y="{y}" width="{col_w}" height="{box_h}" rx="4" fill="#f6f8fa" '
                        f'stroke="{GRID}"/>')
            wrapped: list[str] = []
            for line in lines:
                while len(line) > 52:
                    cut = line.rfind(" ", 0, 52)
                    cut = cut if cut > 0 else 52
                    wrapped.append(line[:cut])
                    line = line[cut:].strip()
                wrapped.append(line)
            for k, line in enumerate(wrapped[:5]):
                weight = ' font-weight="700"' if k == 0 else ""
                body.append(f'<text x="{x + 8}" y="{y + 17 + 15 * k}"{weight}>{escape(line)}</text>')
            if i:
                body.append(f'<line x1="{x + col_w / 2}" y1="{y - gap}" x2="{x + col_w / 2}" y2="{y}" '
                            f'stroke="{INK}"/>')
            desc.append(f"{labels[arm]}: " + "; ".join(lines))
    return _svg(chart_id, title, " | ".join(desc), 10 + 2 * col_w + gap + 10, height, body, "chart consort")
