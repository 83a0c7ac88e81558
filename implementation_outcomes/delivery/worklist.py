"""Home-page queues of delivery (``app.worklist``).

- fidelity coder: assigned sessions not yet rated by this coder (the coding queue's ``to_rate``), oldest first;
- trial staff (and the director's log): consented mothers awaiting randomization; mothers randomized to MIO + TAU
  with no counselor assigned;
- director: clinics whose recent fidelity falls below the adequacy line: of a clinic's ``RECENT_SESSIONS`` latest
  coder-rated MIO sessions (by session date; a session's score is its primary coder's rating, else its first
  rating, as on the fidelity page), fewer than half meet the scheme's adequacy rule (``fidelity.adequacy_of_ratings``
  under each rating's scheme version).

Counts are scoped COUNTs; the fidelity queue reads at most ``RECENT_SESSIONS`` ratings per clinic (window functions,
SQLite >= 3.25 and PostgreSQL), never a clinic's whole history.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload

from app.db import db
from app.models import Clinic
from app.security import scoped
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    MioSession,
    TrainingCaseSession,
    TrialParticipant,
)
from implementation_outcomes.delivery.services.common import current_scheme, schemes_by_version
from implementation_outcomes.fidelity import adequacy_of_ratings

#: how many of a clinic's latest coder-rated MIO sessions the director's fidelity queue judges
RECENT_SESSIONS = 10
RANDOMIZED = ("randomized", "started")


# --- fidelity coder -----------------------------------------------------------------------------------------------
def _unrated(user):
    # two anti-joins, one per session kind (an OR of both made PostgreSQL scan every rating per assignment: 1.8 s
    # at statewide scale); a NULL session id matches no rating, so each only ever matches its own kind
    mine = sa.and_(FidelityRating.coder_id == user.id, FidelityRating.source == "coder")
    rated_mio = sa.exists().where(mine, FidelityRating.mio_session_id == CodingAssignment.mio_session_id)
    rated_training = sa.exists().where(
        mine, FidelityRating.training_case_session_id == CodingAssignment.training_case_session_id)
    return sa.and_(CodingAssignment.coder_id == user.id, ~rated_mio, ~rated_training)


def sessions_to_rate(user) -> WorkItem:
    where = _unrated(user)
    count = db.session.execute(scoped(sa.select(sa.func.count(CodingAssignment.id)).where(where), CodingAssignment,
                                      user)).scalar_one()
    session_date = sa.func.coalesce(MioSession.session_date, TrainingCaseSession.session_date)
    kind = sa.case((CodingAssignment.mio_session_id.is_not(None), 0), else_=1)
    stmt = (sa.select(CodingAssignment).where(where)
            .outerjoin(MioSession, MioSession.id == CodingAssignment.mio_session_id)
            .outerjoin(TrainingCaseSession, TrainingCaseSession.id == CodingAssignment.training_case_session_id)
            .options(joinedload(CodingAssignment.mio_session).joinedload(MioSession.participant),
                     joinedload(CodingAssignment.training_case_session))
            .order_by(session_date, kind, sa.func.coalesce(CodingAssignment.mio_session_id,
                                                          CodingAssignment.training_case_session_id))
            .limit(FIRST_LINKS))
    links = []
    for a in db.session.execute(scoped(stmt, CodingAssignment, user)).scalars():
        s = a.session
        if a.mio_session_id:
            label, url = s.participant.study_id, url_for("delivery.rate_mio", mio_session_id=s.id)
        else:
            label = f"{s.case_label} (training case {s.training_case})"
            url = url_for("delivery.rate_training", training_case_session_id=s.id)
        links.append(WorkLink(f"Rate {label}, session {s.session_number} of {s.session_date.isoformat()}", url))
    return WorkItem("sessions_to_rate", "Sessions to rate", count, url_for("delivery.coder_queue"),
                    "Your coding queue", "Sessions assigned to you that you have not rated, oldest first.",
                    tuple(links))


# --- trial staff ----------------------------------------------------------------------------------------------------
def _participants(user, where, endpoint: str, key: str, label: str, detail: str, action: str) -> WorkItem:
    count = db.session.execute(scoped(sa.select(sa.func.count(TrialParticipant.id)).where(where), TrialParticipant,
                                      user)).scalar_one()
    first = db.session.execute(scoped(
        sa.select(TrialParticipant).where(where).options(joinedload(TrialParticipant.clinic))
        .order_by(TrialParticipant.screened_on, TrialParticipant.id).limit(FIRST_LINKS), TrialParticipant, user)
    ).scalars()
    links = tuple(WorkLink(f"{action} {p.study_id} ({p.clinic.code})", url_for(endpoint, trial_participant_id=p.id))
                  for p in first)
    return WorkItem(key, label, count, url_for("delivery.index"), "Reach & sessions", detail, links)


def awaiting_randomization(user) -> WorkItem:
    return _participants(user, TrialParticipant.status == "consented", "delivery.participant_randomize",
                         "awaiting_randomization", "Mothers awaiting randomization",
                         "Consented, not yet randomized.", "Randomize")


def awaiting_counselor(user) -> WorkItem:
    where = sa.and_(TrialParticipant.status.in_(RANDOMIZED), TrialParticipant.arm == "mio_tau",
                    TrialParticipant.counselor_id.is_(None))
    return _participants(user, where, "delivery.participant_counselor", "awaiting_counselor",
                         "Mothers awaiting a counselor", "Randomized to MIO + TAU with no counselor assigned.",
                         "Assign a counselor to")


# --- director: fidelity below the adequacy line ---------------------------------------------------------------------
def recent_adequacy(user) -> dict[int, dict[str, int]]:
    """``{clinic_id: {"rated": n, "adequate": k}}`` over each clinic's ``RECENT_SESSIONS`` latest coder-rated MIO
    sessions (primary coder's rating, else the first), in the user's scope."""
    primary = sa.orm.aliased(CodingAssignment)
    per_session = sa.func.row_number().over(
        partition_by=FidelityRating.mio_session_id,
        order_by=(sa.case((primary.id.is_not(None), 0), else_=1), FidelityRating.id))
    ratings = scoped(
        sa.select(FidelityRating.clinic_id, FidelityRating.mio_session_id, FidelityRating.scheme_version,
                  FidelityRating.scores, MioSession.session_date, per_session.label("nth"))
        .join(MioSession, MioSession.id == FidelityRating.mio_session_id)
        .outerjoin(primary, sa.and_(primary.mio_session_id == FidelityRating.mio_session_id,
                                    primary.coder_id == FidelityRating.coder_id, primary.role == "primary"))
        .where(FidelityRating.source == "coder"), FidelityRating, user).subquery()
    latest = sa.func.row_number().over(partition_by=ratings.c.clinic_id,
                                       order_by=(ratings.c.session_date.desc(), ratings.c.mio_session_id.desc()))
    ranked = (sa.select(ratings.c.clinic_id, ratings.c.scheme_version, ratings.c.scores, latest.label("recent"))
              .where(ratings.c.nth == 1).subquery())
    rows = db.session.execute(sa.select(ranked.c.clinic_id, ranked.c.scheme_version, ranked.c.scores)
                              .where(ranked.c.recent <= RECENT_SESSIONS)).all()
    _version, scheme = current_scheme()
    schemes = schemes_by_version()
    out: dict[int, dict[str, int]] = {}
    by_version: dict[int, list[tuple[int, Any]]] = {}
    for clinic_id, version, scores in rows:
        by_version.setdefault(version, []).append((clinic_id, scores))
    for version, pairs in by_version.items():
        verdicts = adequacy_of_ratings(schemes.get(version, scheme), [scores for _c, scores in pairs])
        for (clinic_id, _scores), adequate in zip(pairs, verdicts, strict=True):
            entry = out.setdefault(clinic_id, {"rated": 0, "adequate": 0})
            entry["rated"] += 1
            entry["adequate"] += int(adequate)
    return out


def below_adequacy(figures: dict[int, dict[str, int]]) -> list[int]:
    """The clinics (ids) where fewer than half of the recent rated sessions are adequate."""
    return sorted(cid for cid, f in figures.items() if 2 * f["adequate"] < f["rated"])


def fidelity_below_line(user) -> WorkItem:
    figures = recent_adequacy(user)
    flagged = below_adequacy(figures)
    clinics = {c.id: c for c in db.session.execute(sa.select(Clinic).where(Clinic.id.in_(flagged))).scalars()}
    ordered = sorted(flagged, key=lambda cid: clinics[cid].code)
    links = tuple(WorkLink(f"{clinics[cid].code}: {figures[cid]['adequate']} of {figures[cid]['rated']} recent "
                           "sessions adequate", url_for("delivery.fidelity_page", clinic_id=cid))
                  for cid in ordered[:FIRST_LINKS])
    return WorkItem("fidelity_below_line", "Clinics below the fidelity adequacy line", len(flagged),
                    url_for("delivery.fidelity_index"), "Fidelity of every clinic",
                    f"Fewer than half of a clinic's last {RECENT_SESSIONS} coder-rated MIO sessions meet the scheme's "
                    "adequacy rule.", links)
