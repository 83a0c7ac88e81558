"""Each mother's assessment schedule, in both arms alike: a target date and a window per time point, and where
she stands today.

Rules (time points from ``measures.time_points()``, windows overridable per study):
- target = anchor date + ``offset_days``; the anchor is the consent date for baseline (the screening date when
  consent was not dated) and the randomization date afterwards. The same offsets apply to MIO + TAU and TAU, so a
  date never reveals the arm to a blinded assessor.
- window = [target - ``window_before_days``, target + ``window_after_days``]; a baseline
  (``before_randomization``) window closes on the randomization day at the latest (baseline precedes allocation).
- status on ``today``: ``completed`` (an assessment was recorded), ``missed`` (recorded as missed, with its
  reason), ``withdrawn`` (she withdrew before the window closed), ``not_scheduled`` (no anchor date yet, e.g. not
  yet randomized), ``upcoming`` (window not yet open), ``due`` (window open, target not passed), ``overdue``
  (target passed, window still open), ``window_closed`` (window closed, nothing recorded: a missed assessment whose
  reason must be recorded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

STATUS_LABELS: dict[str, str] = {
    "completed": "Completed",
    "missed": "Missed (reason recorded)",
    "withdrawn": "Withdrawn",
    "not_scheduled": "Not scheduled yet",
    "upcoming": "Upcoming",
    "due": "Due",
    "overdue": "Overdue",
    "window_closed": "Missed: record why",
}
#: statuses trial staff must act on
ACTION_STATUSES = ("due", "overdue", "window_closed")
WINDOW_FIELDS = ("offset_days", "window_before_days", "window_after_days")


def merge_windows(time_points: Sequence[Mapping[str, Any]], overrides: Mapping[str, Mapping[str, int]] | None
                  ) -> list[dict[str, Any]]:
    """The time points with the study's window overrides applied (unknown keys ignored)."""
    merged = []
    for tp in time_points:
        row = dict(tp)
        for name in WINDOW_FIELDS:
            value = (overrides or {}).get(tp["key"], {}).get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                row[name] = value
        merged.append(row)
    return merged


def window(tp: Mapping[str, Any], consented_on: date | None, screened_on: date | None,
           randomized_on: date | None) -> dict[str, date] | None:
    """``{target, opens, closes}`` of one time point, or None without an anchor date."""
    anchor = (consented_on or screened_on) if tp["anchor"] == "consented_on" else randomized_on
    if anchor is None:
        return None
    target = anchor + timedelta(days=tp["offset_days"])
    opens = target - timedelta(days=tp["window_before_days"])
    closes = target + timedelta(days=tp["window_after_days"])
    if tp.get("before_randomization") and randomized_on is not None:
        closes = min(closes, randomized_on)
        target = min(target, closes)
    return {"target": target, "opens": opens, "closes": closes}


def entry_status(win: Mapping[str, date] | None, today: date, recorded: str | None,
                 withdrawn_on: date | None) -> str:
    """Status of one time point (rules in the module docstring); ``recorded`` is "completed", "missed" or None."""
    if recorded in ("completed", "missed"):
        return recorded
    if win is None:
        return "withdrawn" if withdrawn_on is not None else "not_scheduled"
    if withdrawn_on is not None and withdrawn_on <= win["closes"]:
        return "withdrawn"
    if today < win["opens"]:
        return "upcoming"
    if today <= win["target"]:
        return "due"
    if today <= win["closes"]:
        return "overdue"
    return "window_closed"


def mother_schedule(time_points: Sequence[Mapping[str, Any]], *, consented_on: date | None,
                    screened_on: date | None, randomized_on: date | None, today: date,
                    recorded: Mapping[str, str] | None = None, withdrawn_on: date | None = None
                    ) -> list[dict[str, Any]]:
    """One entry per time point: ``{time_point, label, target, opens, closes, status, status_label}``."""
    entries = []
    for tp in time_points:
        win = window(tp, consented_on, screened_on, randomized_on)
        status = entry_status(win, today, (recorded or {}).get(tp["key"]), withdrawn_on)
        entries.append({"time_point": tp["key"], "label": tp["label"], **(win or dict.fromkeys(("target", "opens",
                        "closes"))), "status": status, "status_label": STATUS_LABELS[status]})
    return entries


def status_counts(schedules: Sequence[Sequence[Mapping[str, Any]]], time_point_keys: Sequence[str]
                  ) -> dict[str, dict[str, int]]:
    """Counts per time point and status over many mothers' schedules (the clinic summary)."""
    counts = {k: dict.fromkeys(STATUS_LABELS, 0) for k in time_point_keys}
    for schedule in schedules:
        for entry in schedule:
            counts[entry["time_point"]][entry["status"]] += 1
    return counts
