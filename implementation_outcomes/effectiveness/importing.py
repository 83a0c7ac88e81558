"""The database half of assessment imports (CSV or REDCap record export): map each row's study ID to a mother the
user may see, then record every row with the same rules as the entry form (``services.save_scores``), all rows or
none. Every refused row is named with its row, line and column."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_login import current_user

from app.db import db
from app.models import Clinic
from app.security import scoped
from implementation_outcomes.delivery.models import TrialParticipant
from implementation_outcomes.effectiveness import imports, services


def _participants(study_ids: set[str], user) -> dict[str, list[TrialParticipant]]:
    stmt = (sa.select(TrialParticipant).where(TrialParticipant.study_id.in_(study_ids),
                                              TrialParticipant.status.in_(services.SCHEDULED_STATUSES))
            .join(TrialParticipant.clinic))
    out: dict[str, list[TrialParticipant]] = {}
    for p in db.session.execute(scoped(stmt, TrialParticipant, user)).scalars():
        out.setdefault(p.study_id, []).append(p)
    return out


def import_assessments(data: bytes | str, fmt: str = "csv", event_map: Mapping[str, str] | None = None,
                       user=None, today: date | None = None) -> dict[str, Any]:
    """Parse (``imports.parse_assessments``), resolve study IDs within the user's scope, save every measure of every
    row; on any problem nothing is kept and ``AssessmentImportError`` lists them all. Returns counts."""
    user = current_user if user is None else user
    rows = imports.parse_assessments(data, fmt, event_map)
    source = "redcap" if fmt == "redcap" else "csv"
    by_study = _participants({r["study_id"] for r in rows}, user)
    errors: list[str] = []
    saved = 0
    for r in rows:
        where = f"row {r['row']} (line {r['line']})"
        candidates = by_study.get(r["study_id"], [])
        if r["clinic"]:
            candidates = [p for p in candidates if _clinic_code(p.clinic_id) == r["clinic"]]
        if not candidates:
            errors.append(f"{where}, column study_id: {r['study_id']!r} is not a consented or randomized mother "
                          f"you may see" + (f" at {r['clinic']}" if r["clinic"] else ""))
            continue
        if len(candidates) > 1:
            errors.append(f"{where}, column clinic: {r['study_id']!r} exists at "
                          f"{', '.join(sorted(_clinic_code(p.clinic_id) for p in candidates))}; add a clinic column")
            continue
        participant = candidates[0]
        for measure_key, raw in r["measures"].items():
            try:
                services.save_scores(participant, r["time_point"], measure_key, raw, r["assessed_on"],
                                     slot=r["coder_slot"], today=today, user=user, source=source, commit=False)
            except services.EffectivenessError as exc:
                errors.extend(f"{where}, column {_column(measure_key, field)}: {message}"
                              for field, message in exc.errors.items())
            else:
                saved += 1
    if errors:
        db.session.rollback()
        raise imports.AssessmentImportError(errors)
    db.session.commit()
    return {"rows": len(rows), "scores": saved, "mothers": len({r["study_id"] for r in rows})}


def _column(measure_key: str, field: str) -> str:
    if field == "assessed_on":
        return "assessed_on"
    if field in ("time_point", "coder_slot"):
        return field
    if not field:
        return measure_key
    return f"{measure_key}_{field}"



def _clinic_code(clinic_id: int) -> str:
    return db.session.get(Clinic, clinic_id).code
