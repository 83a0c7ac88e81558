"""Set-based figures for many clinics at once (the director's overview): a few grouped queries for every clinic in
scope instead of one clinic page's queries per clinic, then the same pure functions and helpers as the clinic pages
(``reach_cascade`` + ``reach_figures``, ``dose_summary`` + ``duration_window_share``, the primary-rating adequacy and
``reliability`` of ``fidelity_figures``), so a clinic's row equals its pages for the same period.

Period (``date_from`` / ``date_to``, either optional), as on the clinic pages: mothers screened in it, sessions dated
in it, and the ratings and coding assignments of those sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.security import scoped
from implementation_outcomes._values import proportion
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    MioSession,
    TrainingCaseSession,
    TrialParticipant,
)
from implementation_outcomes.delivery.services.common import (
    current_scheme,
    in_period,
    schemes_by_version,
    settings,
)
from implementation_outcomes.delivery.services.fidelity_figures import (
    ICC_FORM,
    RatingRow,
    _adequacy,
    _primary_ratings,
    reliability,
)
from implementation_outcomes.delivery.services.screening import reach_figures
from implementation_outcomes.metrics import dose_summary, duration_window_share, reach_cascade_counted

_RANDOMIZED = ("randomized", "started")


def reach_by_clinic(clinic_ids: Sequence[int], user=None, date_from: date | None = None,
                    date_to: date | None = None) -> dict[int, dict[str, Any]]:
    """``{clinic_id: {cascade, reach}}`` from one query over the screening logs (``clinic_reach``'s figures)."""
    columns = (TrialParticipant.clinic_id, TrialParticipant.status, TrialParticipant.reason, TrialParticipant.arm)
    stmt = (sa.select(*columns, sa.func.count()).where(TrialParticipant.clinic_id.in_(list(clinic_ids)))
            .group_by(*columns))
    stmt = in_period(stmt, TrialParticipant.screened_on, date_from, date_to)
    rows: dict[int, list[tuple[dict[str, Any], int]]] = {cid: [] for cid in clinic_ids}
    # the log arrives counted (a few rows per clinic, not one per mother): ``reach_cascade_counted`` adds each
    # distinct row's count (the figures of ``reach_cascade`` over the expanded log)
    for clinic_id, status, reason, arm, count in db.session.execute(scoped(stmt, TrialParticipant, user)):
        rows[clinic_id].append(({"status": status, "reason": reason, "arm": arm}, count))
    out = {}
    for cid, log in rows.items():
        cascade = reach_cascade_counted(log)
        out[cid] = {"cascade": cascade, "reach": reach_figures(cascade)}
    return out


def _mio_mothers_where(clinic_ids: Sequence[int], date_from: date | None, date_to: date | None) -> list:
    """Mothers randomized to MIO + TAU at these clinics (screened in the period), as ``clinic_feasibility``."""
    # ``clinic_id + 0``: no index on this term, so SQLite reads the sessions in table order and looks each mother
    # up by primary key (one sequential pass) rather than fetching every session by random index access
    where = [(TrialParticipant.clinic_id + 0).in_(list(clinic_ids)), TrialParticipant.arm == "mio_tau",
             TrialParticipant.status.in_(_RANDOMIZED)]
    if date_from is not None:
        where.append(TrialParticipant.screened_on >= date_from)
    if date_to is not None:
        where.append(TrialParticipant.screened_on <= date_to)
    return where


def feasibility_by_clinic(clinic_ids: Sequence[int], user=None, date_from: date | None = None,
                          date_to: date | None = None) -> dict[int, dict[str, Any]]:
    """``{clinic_id: {n_mothers, mean_dose, completed, completion_share, not_started, completion_threshold,
    share_in_duration_window}}`` (``clinic_feasibility``'s summary figures) from two grouped queries: attended
    sessions per MIO + TAU mother (her dose, ``feasibility.session_dose``) and attended sessions per clinic and
    length."""
    threshold = settings().completion_threshold
    ids = list(clinic_ids)
    join = sa.and_(MioSession.participant_id == TrialParticipant.id, MioSession.status == "attended")
    if date_from is not None:
        join = sa.and_(join, MioSession.session_date >= date_from)
    if date_to is not None:
        join = sa.and_(join, MioSession.session_date <= date_to)
    mothers = _mio_mothers_where(ids, date_from, date_to)
    per_mother = (sa.select(TrialParticipant.clinic_id.label("clinic_id"), sa.func.count(MioSession.id).label("dose"))
                  .outerjoin(MioSession, join).where(*mothers)
                  .group_by(TrialParticipant.id, TrialParticipant.clinic_id))
    per_mother = scoped(per_mother, TrialParticipant, user).subquery()
    # how many mothers had each dose, per clinic (at most 13 rows a clinic instead of one per mother)
    stmt = (sa.select(per_mother.c.clinic_id, per_mother.c.dose, sa.func.count())
            .group_by(per_mother.c.clinic_id, per_mother.c.dose))
    doses: dict[int, list[int]] = {cid: [] for cid in ids}
    for clinic_id, dose, mothers_with_dose in db.session.execute(stmt):
        doses[clinic_id] += [dose] * mothers_with_dose
    # grouped by the mother's clinic: SQLite then scans the sessions in table order instead of by clinic index
    lengths = (sa.select(TrialParticipant.clinic_id, MioSession.duration_minutes, sa.func.count())
               .select_from(TrialParticipant).join(MioSession, join)
               .where(*mothers, MioSession.duration_minutes.is_not(None))
               .group_by(TrialParticipant.clinic_id, MioSession.duration_minutes))
    histograms: dict[int, dict[int, int]] = {cid: {} for cid in ids}
    for clinic_id, minutes, count in db.session.execute(scoped(lengths, MioSession, user)):
        histograms[clinic_id][minutes] = count
    return {cid: {**dose_summary(doses[cid], threshold),
                  "share_in_duration_window": duration_window_share(histograms[cid])} for cid in ids}


def _session_period(stmt: sa.Select, model, date_from: date | None, date_to: date | None) -> sa.Select:
    """Keep rows (ratings or assignments) of sessions dated in the period."""
    if date_from is None and date_to is None:
        return stmt
    mio = in_period(sa.select(MioSession.id), MioSession.session_date, date_from, date_to)
    training = in_period(sa.select(TrainingCaseSession.id), TrainingCaseSession.session_date, date_from, date_to)
    return stmt.where(sa.or_(model.mio_session_id.in_(mio), model.training_case_session_id.in_(training)))


def fidelity_by_clinic(clinic_ids: Sequence[int], user=None, date_from: date | None = None,
                       date_to: date | None = None) -> dict[int, dict[str, Any]]:
    """``{clinic_id: {adequacy: {rated, adequate, share}, icc: <headline reliability entry: trial sessions>,
    icc_training: <training-case sessions, apart>, n_double_coded, same_two_coders}}``: ``clinic_fidelity``'s adequacy (a session's primary coder rating, judged under its scheme
    version) and ICC(2,1) of the adherence group, from two queries (coder ratings, primary assignments)."""
    ids = list(clinic_ids)
    stmt = (sa.select(FidelityRating.clinic_id, FidelityRating.coder_id, FidelityRating.mio_session_id,
                      FidelityRating.training_case_session_id, FidelityRating.scheme_version, FidelityRating.scores)
            .where(FidelityRating.clinic_id.in_(ids), FidelityRating.source == "coder").order_by(FidelityRating.id))
    stmt = scoped(_session_period(stmt, FidelityRating, date_from, date_to), FidelityRating, user)
    ratings: dict[int, list[RatingRow]] = {cid: [] for cid in ids}
    for cid, coder, mio_id, training_id, version, scores in db.session.execute(stmt):
        ratings[cid].append(RatingRow(cid, coder, mio_id, training_id, scheme_version=version, scores=scores))
    astmt = (sa.select(CodingAssignment.clinic_id, CodingAssignment.coder_id, CodingAssignment.mio_session_id,
                       CodingAssignment.training_case_session_id)
             .where(CodingAssignment.clinic_id.in_(ids), CodingAssignment.role == "primary"))
    astmt = scoped(_session_period(astmt, CodingAssignment, date_from, date_to), CodingAssignment, user)
    assignments: dict[int, list[RatingRow]] = {cid: [] for cid in ids}
    for cid, coder, mio_id, training_id in db.session.execute(astmt):
        assignments[cid].append(RatingRow(cid, coder, mio_id, training_id))
    _version, scheme = current_scheme()
    schemes = schemes_by_version()
    # adequacy in one pass over every clinic's primary ratings (one rule evaluation per scheme version)
    rated = [(cid, rating) for cid in ids for rating in _primary_ratings(ratings[cid], assignments[cid]).values()]
    all_verdicts = _adequacy([(rating.session_key, rating, None) for _cid, rating in rated], schemes, scheme)
    verdicts_by_clinic: dict[int, list[bool]] = {cid: [] for cid in ids}
    for (cid, _rating), verdict in zip(rated, all_verdicts, strict=True):
        verdicts_by_clinic[cid].append(verdict)
    out = {}
    for cid in ids:
        verdicts = verdicts_by_clinic[cid]
        rel = reliability(ratings[cid], assignments[cid], scheme, schemes, headline_only=True)
        adequate = sum(verdicts)
        out[cid] = {"adequacy": {"rated": len(verdicts), "adequate": adequate,
                                 "share": proportion(adequate, len(verdicts))},
                    "icc": rel["headline"], "icc_training": rel["by_session_kind"]["training"],
                    "icc_form": ICC_FORM, "n_double_coded": rel["n_double_coded"],
                    "same_two_coders": rel["same_two_coders"]}
    return out
