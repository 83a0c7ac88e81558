"""Implementation activities (Aim 2): dated completions per clinic scored per stage and phase.

Scoring is ``implementation_outcomes.stages.stage_scores`` (Chamberlain, Brown & Saldana 2011: per stage, duration =
days from first to last completed activity, proportion = completed / activities). The catalogue is the versioned
data file ``data/activity_catalogue.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.models import Clinic
from app.security import scoped
from implementation_outcomes.implementation.models import ActivityCompletion
from implementation_outcomes.implementation.services.common import (
    FieldErrors,
    acting_user,
    add_error,
    check_not_future,
    clinic_info,
    recorded_by_id,
    visible_clinics,
)
from implementation_outcomes.stages import load_activity_catalogue, stage_scores


@functools.cache
def catalogue() -> dict[str, Any]:
    """The packaged catalogue, read and validated once per process (on first use, not at import)."""
    return load_activity_catalogue()


def activity_index() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """``{activity_key: (stage, activity)}`` in catalogue order."""
    return {a["key"]: (s, a) for s in catalogue()["stages"] for a in s["activities"]}


def completions_by_clinic(clinic_ids: Sequence[int], user=None) -> dict[int, dict[str, ActivityCompletion]]:
    stmt = sa.select(ActivityCompletion).where(ActivityCompletion.clinic_id.in_(list(clinic_ids)))
    out: dict[int, dict[str, ActivityCompletion]] = {cid: {} for cid in clinic_ids}
    for row in db.session.execute(scoped(stmt, ActivityCompletion, acting_user(user))).scalars():
        out[row.clinic_id][row.activity_key] = row
    return out


def _scores(clinic: Clinic, rows: Mapping[str, ActivityCompletion]) -> dict[str, Any]:
    index = activity_index()
    known = {k: r.completed_on for k, r in rows.items() if k in index}
    # a key dropped from a later catalogue version is shown, never silently scored
    unknown = sorted(k for k in rows if k not in index)
    scores = stage_scores(catalogue(), known)
    notes = {k: r.note for k, r in rows.items() if r.note}
    for item in scores["timeline"]:
        item["note"] = notes.get(item["activity_key"])
    return {"clinic": clinic_info(clinic), **scores, "unknown_activities": unknown}


def stages_by_clinic(clinics: Sequence[Clinic], user=None) -> list[dict[str, Any]]:
    """``stage_scores`` of each clinic plus ``clinic`` and ``unknown_activities`` (one query in all)."""
    rows = completions_by_clinic([c.id for c in clinics], user)
    return [_scores(c, rows[c.id]) for c in clinics]


def clinic_stages(clinic_id: int, user=None) -> dict[str, Any] | None:
    """Plain-dict stage scores of one clinic for other pages (the director overview); None when not visible.

    ``{clinic: {...}, stages: [{number, key, label, phase, n_activities, n_completed, proportion, first_date,
    last_date, duration_days}], phases: [...], current_stage, timeline: [{date, activity_key, activity_label, stage,
    stage_label, phase, note}], unknown_activities: [...]}``.
    """
    clinics = visible_clinics(user, [clinic_id])
    return stages_by_clinic(clinics, user)[0] if clinics else None


def save_completions(clinic: Clinic, entries: Mapping[str, tuple[date | None, str | None]], user=None,
                     today: date | None = None) -> dict[str, int]:
    """Replace a clinic's completion dates with ``entries`` = ``{activity_key: (date or None, note)}``.

    A date of None removes the completion. Every entry is checked first (known activity, not after today); on any
    error ``FieldErrors`` keyed ``date_<activity_key>`` is raised and nothing is written. Returns counts of
    ``added``, ``changed`` and ``removed`` completions.
    """
    index = activity_index()
    errors: dict[str, list[str]] = {}
    for key, (when, _note) in entries.items():
        if key not in index:
            add_error(errors, f"date_{key}", f"{key!r} is not an activity of catalogue {catalogue()['catalogue_id']}.")
        elif when is not None:
            stage, activity = index[key]
            check_not_future(when, f"date_{key}", f"Stage {stage['number']}, “{activity['label']}”", errors, today)
    if errors:
        raise FieldErrors(errors)
    existing = completions_by_clinic([clinic.id], user)[clinic.id]
    counts = {"added": 0, "changed": 0, "removed": 0}
    by = recorded_by_id(user)
    for key, (when, note) in entries.items():
        note = (note or "").strip() or None
        row = existing.get(key)
        if when is None:
            if row is not None:
                db.session.delete(row)
                counts["removed"] += 1
        elif row is None:
            db.session.add(ActivityCompletion(clinic_id=clinic.id, activity_key=key, completed_on=when, note=note,
                                              recorded_by_id=by))
            counts["added"] += 1
        elif (row.completed_on, row.note) != (when, note):
            row.completed_on, row.note, row.recorded_by_id = when, note, by
            counts["changed"] += 1
    db.session.commit()
    return counts
