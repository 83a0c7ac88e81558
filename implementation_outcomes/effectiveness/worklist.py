"""Home-page queue of the assessment schedule (``app.worklist``): assessments due now, for trial staff and the
blinded outcome assessor alike.

An assessment is due now when its window is open today and nothing is recorded: ``schedule.entry_status`` is
``due`` (target not passed) or ``overdue`` (target passed, window still open) for a scheduled mother
(``services.SCHEDULED_STATUSES``). The same rule as SQL, one COUNT per time point: with the anchor date A of the
time point (consent, else screening, for baseline; randomization afterwards), the window is open today when
``today - offset - after <= A <= today - offset + before`` (a baseline window also closes on the randomization day);
a visit recorded as completed or missed, or a withdrawal dated today or earlier (withdrawals are never dated in the
future: ``services.record_withdrawal``), takes her out. ``tests/test_home.py`` checks the count against
``schedule.mother_schedule``.

Blinding: the queue shows study IDs, time points and target dates, which are the same in both arms
(``schedule``'s module docstring); no arm, no counselor, no session.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for

from app.db import db
from app.security import scoped
from app.worklist import FIRST_LINKS, WorkItem, WorkLink
from implementation_outcomes.delivery.models import TrialParticipant
from implementation_outcomes.effectiveness import services
from implementation_outcomes.effectiveness.models import AssessmentVisit, Withdrawal


def _due_clause(tp: dict, today: date):
    if tp["anchor"] == "consented_on":
        anchor = sa.func.coalesce(TrialParticipant.consented_on, TrialParticipant.screened_on)
    else:
        anchor = TrialParticipant.randomized_on
    latest = today - timedelta(days=tp["offset_days"] - tp["window_before_days"])  # opens <= today
    earliest = today - timedelta(days=tp["offset_days"] + tp["window_after_days"])  # today <= closes
    recorded = sa.exists().where(AssessmentVisit.participant_id == TrialParticipant.id,
                                 AssessmentVisit.time_point == tp["key"],
                                 AssessmentVisit.status.in_(("completed", "missed")))
    withdrawn = sa.exists().where(Withdrawal.participant_id == TrialParticipant.id, Withdrawal.withdrawn_on <= today)
    clause = sa.and_(TrialParticipant.status.in_(services.SCHEDULED_STATUSES), anchor.is_not(None),
                     anchor >= earliest, anchor <= latest, ~recorded, ~withdrawn)
    if tp.get("before_randomization"):
        clause = sa.and_(clause, sa.or_(TrialParticipant.randomized_on.is_(None),
                                        TrialParticipant.randomized_on >= today))
    return clause, anchor


def assessments_due(user, today: date | None = None) -> WorkItem:
    today = today or date.today()
    count, first = 0, []
    for tp in services.time_points():
        clause, anchor = _due_clause(tp, today)
        count += db.session.execute(scoped(sa.select(sa.func.count(TrialParticipant.id)).where(clause),
                                           TrialParticipant, user)).scalar_one()
        rows = db.session.execute(scoped(sa.select(TrialParticipant.id, TrialParticipant.study_id, anchor)
                                         .where(clause).order_by(anchor, TrialParticipant.id).limit(FIRST_LINKS),
                                         TrialParticipant, user)).all()
        first += [(a + timedelta(days=tp["offset_days"]), study_id, pid, tp["label"]) for pid, study_id, a in rows]
    first.sort()
    links = tuple(WorkLink(f"{study_id}: {label}, target {target.isoformat()}",
                           url_for("effectiveness.participant", trial_participant_id=pid))
                  for target, study_id, pid, label in first[:FIRST_LINKS])
    return WorkItem("assessments_due", "Assessments due now", count, url_for("effectiveness.index"),
                    "Assessment schedule", "Windows open today with nothing recorded yet, earliest target first.",
                    links)
