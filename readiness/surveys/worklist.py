"""Home-page queues of the survey waves (``app.worklist``): the director's open waves closing within
``CLOSING_DAYS`` days; agency staff's open waves at their clinics with how many links have answered (they chase
respondents). Status by ``services.wave_status_clause`` (the waves page's own rule); counts are scoped COUNTs."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload

from app.db import db
from app.security import scoped
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from readiness.surveys import services
from readiness.surveys.models import SurveyLink, SurveyWave

#: "closing soon" horizon of the director's queue, in days (today included)
CLOSING_DAYS = 14


def _open_waves(user, where=sa.true()):
    today = services.survey_today()
    clause = sa.and_(services.wave_status_clause("open", today), where)
    count = db.session.execute(scoped(sa.select(sa.func.count(SurveyWave.id)).where(clause), SurveyWave, user)
                               ).scalar_one()
    first = list(db.session.execute(scoped(
        sa.select(SurveyWave).where(clause).options(joinedload(SurveyWave.clinic))
        .order_by(SurveyWave.closes_on, SurveyWave.id).limit(FIRST_LINKS), SurveyWave, user)).scalars())
    return today, count, first


def _answered(wave_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{wave_id: (submitted links, links)}`` in one grouped query."""
    if not wave_ids:
        return {}
    rows = db.session.execute(sa.select(SurveyLink.survey_wave_id, sa.func.count(SurveyLink.submitted_at),
                                        sa.func.count(SurveyLink.id))
                              .where(SurveyLink.survey_wave_id.in_(wave_ids)).group_by(SurveyLink.survey_wave_id))
    return {wid: (submitted, total) for wid, submitted, total in rows}


def waves_closing(user) -> WorkItem:
    today = services.survey_today()
    _today, count, first = _open_waves(user, SurveyWave.closes_on <= today + timedelta(days=CLOSING_DAYS - 1))
    answered = _answered([w.id for w in first])
    links = tuple(WorkLink(f"{w.title}, {w.clinic.code}: closes {w.closes_on.isoformat()}, "
                           f"{answered.get(w.id, (0, 0))[0]} of {answered.get(w.id, (0, 0))[1]} answered",
                           url_for("readiness_surveys.wave", survey_wave_id=w.id)) for w in first)
    return WorkItem("waves_closing", "Survey waves closing soon", count,
                    url_for("readiness_surveys.waves", status="open"), "All open waves",
                    f"Open waves whose last day falls in the next {CLOSING_DAYS} days (today included).", links)


def open_surveys(user) -> WorkItem:
    _today, count, first = _open_waves(user)
    answered = _answered([w.id for w in first])
    # agency staff open no wave page: the waves are listed here with their answer counts (the links go to respondents)
    lines = tuple(f"{w.title}, {w.clinic.code}: closes {w.closes_on.isoformat()}, "
                  f"{answered.get(w.id, (0, 0))[0]} of {answered.get(w.id, (0, 0))[1]} answered" for w in first)
    return WorkItem("open_surveys", "Open readiness surveys at your clinics", count, None,
                    detail="Ask the respondents who have not answered to use their link before the wave closes.",
                    notes=lines)
