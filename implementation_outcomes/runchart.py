"""Run charts of session fidelity scores per counselor, with the run-chart rules for non-random signals.

Rules (Perla RJ, Provost LP, Murray SK (2011) The run chart: a simple analytical tool for learning from
variation in healthcare processes. BMJ Qual Saf 20:46-51):
  shift: >= 6 consecutive points all above or all below the median; points on the median neither add to
         nor break a shift;
  trend: >= 5 consecutive points all going up or all going down; repeated equal values are counted once;
  runs:  a run is a series of points on one side of the median (points on it are skipped); the count is
         reported with the number of useful observations so a reader can check the too-few/too-many table.
Drift (for fidelity) = a shift below the median or a downward trend.
The median is that of all points, or of the first ``baseline_points`` when given (a frozen baseline).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from implementation_outcomes.errors import RatingError

SHIFT_LENGTH = 6
TREND_LENGTH = 5


def _sides(scores: Sequence[float], median: float) -> list[int]:
    return [1 if s > median else -1 if s < median else 0 for s in scores]


def _shifts(sides: Sequence[int], length: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    current, members = 0, []
    for i, side in enumerate([*sides, 2]):  # 2 is a sentinel that closes the last run
        if side == 0:
            continue
        if side == current:
            members.append(i)
            continue
        if current and len(members) >= length:
            found.append({"direction": "above" if current == 1 else "below", "start": members[0],
                          "end": members[-1], "length": len(members)})
        current, members = side, [i]
    return found


def _trends(scores: Sequence[float], length: int) -> list[dict[str, Any]]:
    kept = [i for i in range(len(scores)) if i == 0 or scores[i] != scores[i - 1]]
    found: list[dict[str, Any]] = []
    start = 0
    direction = 0
    for j in range(1, len(kept) + 1):
        step = 0 if j == len(kept) else (1 if scores[kept[j]] > scores[kept[j - 1]] else -1)
        if j < len(kept) and (direction == 0 or step == direction):
            direction = step
            continue
        points = j - start
        if direction and points >= length:
            found.append({"direction": "up" if direction == 1 else "down", "start": kept[start],
                          "end": kept[j - 1], "length": points})
        start, direction = j - 1, step
    return found


def run_chart(scores: Sequence[float], baseline_points: int | None = None) -> dict[str, Any]:
    """Run-chart data for scores in session order.

    Returns ``{median, points: [{order (0-based), score, side ("above"|"below"|"on")}], shifts, trends,
    runs, useful_observations, drift}`` with shifts/trends as ``{direction, start, end, length}``
    (start/end are 0-based point indices).
    """
    values = [float(s) for s in scores]
    if any(np.isnan(v) for v in values):
        raise RatingError(f"scores: point {[np.isnan(v) for v in values].index(True)} is missing")
    if not values:
        return {"median": None, "points": [], "shifts": [], "trends": [], "runs": 0,
                "useful_observations": 0, "drift": False}
    base = values[:baseline_points] if baseline_points else values
    median = float(np.median(base))
    sides = _sides(values, median)
    useful = [s for s in sides if s != 0]
    runs = sum(1 for i, s in enumerate(useful) if i == 0 or s != useful[i - 1])
    shifts = _shifts(sides, SHIFT_LENGTH)
    trends = _trends(values, TREND_LENGTH)
    names = {1: "above", -1: "below", 0: "on"}
    return {
        "median": median,
        "points": [{"order": i, "score": v, "side": names[s]} for i, (v, s) in enumerate(zip(values, sides, strict=True))],
        "shifts": shifts,
        "trends": trends,
        "runs": runs,
        "useful_observations": len(useful),
        "drift": any(s["direction"] == "below" for s in shifts) or any(t["direction"] == "down" for t in trends),
    }


def run_charts_by_counselor(rows: Iterable[Mapping[str, Any]], baseline_points: int | None = None) -> dict[str, Any]:
    """One run chart per counselor from rows ``{counselor_id, order (int or date), score, session_id?}``.

    Points are sorted by ``order``; each chart point also carries the row's ``session_id`` and ``order``.
    """
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for i, row in enumerate(rows):
        if row.get("counselor_id") is None:
            raise RatingError(f"row {i}, field 'counselor_id': missing")
        if row.get("score") is None:
            raise RatingError(f"row {i}, field 'score': missing")
        grouped.setdefault(str(row["counselor_id"]), []).append(row)
    charts = {}
    for counselor, items in sorted(grouped.items()):
        items = sorted(items, key=lambda r: r["order"])
        chart = run_chart([r["score"] for r in items], baseline_points)
        for point, row in zip(chart["points"], items, strict=True):
            point["session_order"] = row["order"]
            point["session_id"] = row.get("session_id")
        charts[counselor] = chart
    return charts
