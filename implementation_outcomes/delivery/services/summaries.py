"""Stored fidelity figures (issue 15): what is expensive and changes rarely, kept in ``fidelity_summary`` rows.

Two kinds of row, each holding exactly what the live computation returns (JSON text, so the pure modules' floats,
None and nested dicts come back unchanged):

- ``clinic:<id>``: one clinic's entry of :func:`by_clinic.fidelity_by_clinic` (adequacy of primary ratings,
  ICC(2,1) of trial sessions with its CI and band, the training-case ICC apart), for the director's overview;
- ``all``: the statewide ``reliability`` of :func:`fidelity_figures.overview_figures` (every double-coded session
  of every clinic), for the all-clinics fidelity page.

**Freshness is checked on every read, never assumed.** Each row stores the *fingerprint* of its inputs at the
time it was computed: the current scheme version and, over the clinic's (or every) fidelity ratings and coding
assignments, the row count, the highest id and the latest ``updated_at``. Any insert, delete or update (ORM or
Core: ``updated_at`` has ``onupdate``) changes it. A row whose fingerprint differs from the inputs' current one
is stale and is not used: the figures are computed live for those clinics (the fingerprints are two grouped
queries over the small rating and assignment tables). So a page shows the stored figures only when they are what
the live computation would give now.

Rows are written (a) in the same transaction as the writes that change them: ``save_rating`` and
``assign_coding`` call :func:`refresh_clinics` for the clinics they touched; (b) by ``mio refresh-fidelity-summaries``
and the job ``fidelity.refresh_summaries`` (after a bulk load, a scheme change, and for the statewide row, which a
single rating makes stale and which costs a second to compute). Period-filtered figures are always live.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.jobs import job
from app.models import Role
from app.security import visible_agency_ids
from implementation_outcomes.delivery.models import CodingAssignment, FidelityRating, FidelitySummary
from implementation_outcomes.delivery.services.common import current_scheme

ALL = "all"
#: computes stored figures over every agency (a stored row is the same for every user who may see its clinic)
SYSTEM = SimpleNamespace(is_authenticated=True, role=Role.ADMIN, agency_id=None, id=None)


def _key(clinic_id: int) -> str:
    return f"clinic:{clinic_id}"


def _stamp(count: int, max_id: int | None, max_updated: Any) -> str:
    if isinstance(max_updated, datetime):
        max_updated = max_updated.astimezone(UTC).isoformat() if max_updated.tzinfo else max_updated.isoformat()
    return f"{count}:{max_id}:{max_updated}"


def fingerprints(clinic_ids: Sequence[int] | None) -> dict[Any, str]:
    """``{clinic_id: fingerprint}`` of the clinics' fidelity inputs (``clinic_ids`` None: ``{ALL: fingerprint}``
    over every clinic). Two grouped queries, whatever the number of clinics."""
    version, _scheme = current_scheme()
    parts: dict[Any, list[str]] = {}
    for model in (FidelityRating, CodingAssignment):
        columns = (sa.func.count(), sa.func.max(model.id), sa.func.max(model.updated_at))
        if clinic_ids is None:
            rows = [(ALL, *db.session.execute(sa.select(*columns)).one())]
        else:
            rows = db.session.execute(sa.select(model.clinic_id, *columns)
                                      .where(model.clinic_id.in_(list(clinic_ids))).group_by(model.clinic_id)).all()
        stamps = {key: _stamp(count, max_id, updated) for key, count, max_id, updated in rows}
        for key in ([ALL] if clinic_ids is None else clinic_ids):
            parts.setdefault(key, []).append(stamps.get(key, "0:None:None"))
    return {key: f"v{version}|" + "|".join(stamp) for key, stamp in parts.items()}


def _stored(keys: list[str]) -> dict[str, FidelitySummary]:
    if not keys:
        return {}
    rows = db.session.execute(sa.select(FidelitySummary).where(FidelitySummary.key.in_(keys))).scalars()
    return {row.key: row for row in rows}


def _write(key: str, clinic_id: int | None, fingerprint: str, figures: Any, now: datetime,
           existing: FidelitySummary | None) -> None:
    text = json.dumps(figures)
    if existing is None:
        db.session.add(FidelitySummary(key=key, clinic_id=clinic_id, fingerprint=fingerprint, figures=text,
                                       computed_at=now))
    else:
        existing.fingerprint, existing.figures, existing.computed_at = fingerprint, text, now


def clinic_figures(clinic_ids: Sequence[int], user=None) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """``fidelity_by_clinic(clinic_ids, user)`` (no period), from the stored rows that are fresh and live for the
    rest. ``clinic_ids`` must be clinics ``user`` may see (the overview's scoped clinic list). Returns the figures
    and the freshness ``{stored, live, oldest}`` (clinics read from rows, clinics computed now, oldest row time)."""
    from implementation_outcomes.delivery.services.by_clinic import fidelity_by_clinic

    ids = list(clinic_ids)
    current = fingerprints(ids)
    stored = _stored([_key(cid) for cid in ids])
    out: dict[int, dict[str, Any]] = {}
    stale: list[int] = []
    times = []
    for cid in ids:
        row = stored.get(_key(cid))
        if row is not None and row.fingerprint == current[cid]:
            out[cid] = json.loads(row.figures)
            times.append(row.computed_at)
        else:
            stale.append(cid)
    if stale:
        out.update(fidelity_by_clinic(stale, user))
    return {cid: out[cid] for cid in ids}, {"stored": len(ids) - len(stale), "live": len(stale),
                                           "oldest": min(times) if times else None}


def statewide_reliability(compute, user=None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The all-clinics page's ``reliability``: the stored ``all`` row when fresh and the user sees every agency;
    else ``compute()`` (live). Returns it with its freshness ``{stored: bool, computed_at}``."""
    from flask_login import current_user

    if visible_agency_ids(current_user if user is None else user) is None:
        row = _stored([ALL]).get(ALL)
        if row is not None and row.fingerprint == fingerprints(None)[ALL]:
            return json.loads(row.figures), {"stored": True, "computed_at": row.computed_at}
    return compute(), {"stored": False, "computed_at": None}


def refresh_clinics(clinic_ids: Sequence[int]) -> int:
    """Recompute and store the rows of these clinics in the caller's transaction (the caller commits); returns how
    many were written. Called by the services that write ratings and assignments, before their commit."""
    from implementation_outcomes.delivery.services.by_clinic import fidelity_by_clinic

    ids = sorted(set(clinic_ids))
    if not ids:
        return 0
    db.session.flush()
    current = fingerprints(ids)
    figures = fidelity_by_clinic(ids, SYSTEM)
    stored = _stored([_key(cid) for cid in ids])
    now = datetime.now(UTC)
    for cid in ids:
        _write(_key(cid), cid, current[cid], figures[cid], now, stored.get(_key(cid)))
    return len(ids)


def refresh_statewide() -> None:
    """Recompute and store the statewide reliability row (the caller commits)."""
    from implementation_outcomes.delivery.services.fidelity_figures import statewide_reliability_live

    db.session.flush()
    fingerprint = fingerprints(None)[ALL]
    _write(ALL, None, fingerprint, statewide_reliability_live(SYSTEM), datetime.now(UTC), _stored([ALL]).get(ALL))


def refresh_all(batch: int = 100, progress=None) -> dict[str, int]:
    """Every active and inactive clinic's row, then the statewide row (the caller commits)."""
    from app.models import Clinic

    ids = list(db.session.execute(sa.select(Clinic.id).order_by(Clinic.id)).scalars())
    for start in range(0, len(ids), batch):
        refresh_clinics(ids[start:start + batch])
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    refresh_statewide()
    return {"clinics": len(ids)}


@job("fidelity.refresh_summaries")
def refresh_job(ctx, **_payload) -> dict[str, int]:
    return refresh_all(progress=lambda done, total: ctx.progress(done, total, "clinics"))
