"""Home-page queues of the assessment schedule (``app.worklist``): assessments due now and missed assessments to
explain, for trial staff and the blinded outcome assessor alike.

An assessment is due now when its window is open today and nothing is recorded: ``schedule.entry_status`` is
``due`` (target not passed) or ``overdue`` (target passed, window still open) for a scheduled mother
(``services.SCHEDULED_STATUSES``). The same rule as SQL, one query per time point (count and first rows): with the anchor date A of the
time point (consent, else screening, for baseline; randomization afterwards), the window is open today when
``today - offset - after <= A <= today - offset + before`` (a baseline window also closes on the randomization day);
a visit recorded as completed or missed, or a withdrawal dated on or before the window's last day, takes her out.
Missed assessments to explain: ``window_closed`` (the window's last day has passed, nothing recorded, not withdrawn
before it closed), whose reason trial staff or the assessor record. ``tests/test_home.py`` checks both counts against
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


def _days(later, earlier):
    """``later - earlier`` in days as SQL (SQLite has no date subtraction; PostgreSQL's is whole days)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(later) - sa.func.julianday(earlier)
    return later - earlier


def _clauses(tp: dict, today: date) -> dict:
    """The anchor, and the SQL conditions of "due now" and "window closed" for one time point (module docstring)."""
    if tp["anchor"] == "consented_on":
        anchor = sa.func.coalesce(TrialParticipant.consented_on, TrialParticipant.screened_on)
    else:
        anchor = TrialParticipant.randomized_on
    span = tp["offset_days"] + tp["window_after_days"]  # anchor -> the window's last day
    randomized = TrialParticipant.randomized_on
    baseline = bool(tp.get("before_randomization"))
    recorded = sa.exists().where(AssessmentVisit.participant_id == TrialParticipant.id,
                                 AssessmentVisit.time_point == tp["key"],
                                 AssessmentVisit.status.in_(("completed", "missed")))
    # withdrawn before the window closed (a baseline window closes on the randomization day at the latest)
    before_close = _days(Withdrawal.withdrawn_on, anchor) <= span
    if baseline:
        before_close = sa.and_(before_close, sa.or_(randomized.is_(None), Withdrawal.withdrawn_on <= randomized))
    withdrawn = sa.exists().where(Withdrawal.participant_id == TrialParticipant.id, before_close)
    common = sa.and_(TrialParticipant.status.in_(services.SCHEDULED_STATUSES), anchor.is_not(None), ~recorded,
                     ~withdrawn)
    latest = today - timedelta(days=tp["offset_days"] - tp["window_before_days"])  # opens <= today
    earliest = today - timedelta(days=span)  # today <= the window's last day
    due = sa.and_(common, anchor >= earliest, anchor <= latest)
    closed = anchor < earliest
    if baseline:
        due = sa.and_(due, sa.or_(randomized.is_(None), randomized >= today))
        closed = sa.or_(closed, randomized < today)
    return {"anchor": anchor, "due": due, "closed": sa.and_(common, closed)}


def _queue(user, today: date, which: str) -> tuple[int, list[tuple[date, str, int, str]]]:
    """(count, first items as (target, study ID, participant id, time point label)) over every time point."""
    count, first = 0, []
    for tp in services.time_points():
        clauses = _clauses(tp, today)
        clause, anchor = clauses[which], clauses["anchor"]
        # one query per time point: the first rows, each carrying the count of all (a window over the whole match,
        # computed before LIMIT); no row means none
        rows = db.session.execute(scoped(sa.select(TrialParticipant.id, TrialParticipant.study_id, anchor,
                                                   sa.func.count().over().label("n"))
                                         .where(clause).order_by(anchor, TrialParticipant.id).limit(FIRST_LINKS),
                                         TrialParticipant, user)).all()
        count += rows[0].n if rows else 0
        first += [(a + timedelta(days=tp["offset_days"]), study_id, pid, tp["label"]) for pid, study_id, a, _n in rows]
    first.sort()
    return count, first[:FIRST_LINKS]


def assessments_missed(user, today: date | None = None) -> WorkItem:
    count, first = _queue(user, today or date.today(), "closed")
    links = tuple(WorkLink(f"{study_id}: {label}, target {target.isoformat()}",
                           url_for("effectiveness.participant", trial_participant_id=pid))
                  for target, study_id, pid, label in first)
    return WorkItem("assessments_missed", "Missed assessments to explain", count, url_for("effectiveness.index"),
                    "Assessment schedule", "Windows closed with nothing recorded: record why each was missed.", links)


def assessments_due(user, today: date | None = None) -> WorkItem:
    count, first = _queue(user, today or date.today(), "due")
    links = tuple(WorkLink(f"{study_id}: {label}, target {target.isoformat()}",
                           url_for("effectiveness.participant", trial_participant_id=pid))
                  for target, study_id, pid, label in first)
    return WorkItem("assessments_due", "Assessments due now", count, url_for("effectiveness.index"),
                    "Assessment schedule", "Windows open today with nothing recorded yet, earliest target first.",
                    links)
