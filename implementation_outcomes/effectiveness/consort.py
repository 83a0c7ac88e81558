"""The follow-up and analysis boxes of the CONSORT 2010 flow diagram, per arm (Moher et al. 2010, BMJ 340:c869,
flow diagram items "Follow-up" and "Analysis").

Per arm and time point after baseline: allocated (randomized to the arm); assessed (a completed visit); lost to
follow-up (the window closed without an assessment, or the visit was recorded as missed), with the recorded
reasons ("reason not recorded" when the window closed unrecorded); withdrawn (withdrew before the window closed and
was not assessed); still open (window not yet closed). Analysis: analysed = mothers contributing at least one value
to the ITT model of the primary outcome; excluded from analysis = mothers whose withdrawal forbids the use of their
data (they are never analysed, whatever they contributed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ARMS = ("mio_tau", "tau")
NO_REASON = "reason not recorded"


def followup_flow(participants: Iterable[Mapping[str, Any]], schedules: Mapping[Any, Sequence[Mapping[str, Any]]],
                  missed_reasons: Mapping[tuple[Any, str], str], analysed: Iterable[Any],
                  reason_labels: Mapping[str, str], time_points: Sequence[str]) -> dict[str, Any]:
    """``participants``: ``{id, arm, data_use (None | "may_use" | "must_not_use")}`` of randomized mothers;
    ``schedules``: id -> ``schedule.mother_schedule`` entries; ``missed_reasons``: (id, time point) -> reason
    key; ``analysed``: ids in the primary ITT model. Returns per arm ``{allocated, time_points: {t: {assessed,
    lost, lost_reasons: [{reason, count}], withdrawn, open}}, analysed, excluded_data_withdrawn}``."""
    analysed = set(analysed)
    out: dict[str, Any] = {}
    for arm in ARMS:
        members = [p for p in participants if p["arm"] == arm]
        arm_out: dict[str, Any] = {"allocated": len(members), "time_points": {},
                                   "analysed": sum(1 for p in members if p["id"] in analysed
                                                   and p.get("data_use") != "must_not_use"),
                                   "excluded_data_withdrawn": sum(1 for p in members
                                                                  if p.get("data_use") == "must_not_use")}
        for t in time_points:
            counts = {"assessed": 0, "lost": 0, "withdrawn": 0, "open": 0}
            reasons: dict[str, int] = {}
            for p in members:
                entry = next((e for e in schedules.get(p["id"], []) if e["time_point"] == t), None)
                status = entry["status"] if entry else "not_scheduled"
                if status == "completed":
                    counts["assessed"] += 1
                elif status in ("missed", "window_closed"):
                    counts["lost"] += 1
                    key = missed_reasons.get((p["id"], t))
                    label = reason_labels.get(key, key) if key else NO_REASON
                    reasons[label] = reasons.get(label, 0) + 1
                elif status == "withdrawn":
                    counts["withdrawn"] += 1
                else:
                    counts["open"] += 1
            counts["lost_reasons"] = [{"reason": r, "count": n} for r, n in sorted(reasons.items(),
                                                                                 key=lambda kv: (-kv[1], kv[0]))]
            arm_out["time_points"][t] = counts
        out[arm] = arm_out
    return out
