"""Effectiveness records of the hybrid trial: one assessment visit per mother and time point (completed or missed
with its reason), the scores entered at it per measure (primary entry, and a second coder's for double-coded
measures), withdrawals, unblindings, and the study's schedule windows.

Every table holding mothers' data carries ``clinic_id`` (set by the services from the participant) so
``app.security.scoped`` restricts it with the default clause. Models never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, intpk, str40, str255, utcnow
from app.models import AgencyScoped, Audited, Clinic, User
from implementation_outcomes.delivery.models import TrialParticipant

VISIT_STATUSES: dict[str, str] = {"completed": "Completed", "missed": "Missed"}
MISSED_REASONS: dict[str, str] = {
    "unreachable": "Could not be reached",
    "declined": "Declined this assessment",
    "rescheduled_out_of_window": "Rescheduled outside the window",
    "incarcerated_or_inpatient": "In residential / inpatient care or incarcerated",
    "moved": "Moved away",
    "child_custody_change": "Child custody changed",
    "deceased": "Deceased",
    "other": "Other (see note)",
}
DATA_USE: dict[str, str] = {
    "may_use": "Data collected before withdrawal may be used",
    "must_not_use": "Data collected must not be used (consent withdrawn for data)",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class AssessmentVisit(TimestampMixin, AgencyScoped, db.Model):
    """One mother at one time point: completed (``assessed_on``) or missed (``missed_reason``)."""

    __tablename__ = "assessment_visit"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("trial_participant.id"), index=True)
    time_point: Mapped[str40]
    status: Mapped[str] = mapped_column(sa.String(10))
    assessed_on: Mapped[date | None]
    missed_reason: Mapped[str40 | None]
    note: Mapped[str255 | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    clinic: Mapped[Clinic] = relationship()
    participant: Mapped[TrialParticipant] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    scores: Mapped[list[OutcomeScore]] = relationship(back_populates="visit", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("participant_id", "time_point", name="uq_assessment_visit_participant_time_point"),
        sa.CheckConstraint(_in("status", VISIT_STATUSES), name="status_known"),
        sa.CheckConstraint("status = 'missed' OR assessed_on IS NOT NULL", name="completed_dated"),
        sa.CheckConstraint("status = 'completed' OR missed_reason IS NOT NULL", name="missed_has_reason"),
        sa.CheckConstraint("missed_reason IS NULL OR " + _in("missed_reason", MISSED_REASONS), name="reason_known"),
    )


class OutcomeScore(TimestampMixin, AgencyScoped, db.Model):
    """The values of one measure at one visit, under the measures file ``definitions_version``. ``coder_slot`` is
    primary (the value analysed) or second (double coding of a coded measure, for the ICC). ``entered_unblinded``
    is true when the person entering had been unblinded to this mother."""

    __tablename__ = "outcome_score"
    SLOTS: ClassVar[dict[str, str]] = {"primary": "Primary", "second": "Second coder"}

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_visit.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str40]
    coder_slot: Mapped[str] = mapped_column(sa.String(10), default="primary")
    values: Mapped[dict]
    definitions_version: Mapped[str40]
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    entered_unblinded: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(10), default="form")

    visit: Mapped[AssessmentVisit] = relationship(back_populates="scores")
    entered_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("visit_id", "measure", "coder_slot", name="uq_outcome_score_visit_measure_slot"),
        sa.CheckConstraint("coder_slot IN ('primary','second')", name="slot_known"),
        sa.CheckConstraint("source IN ('form','csv','redcap','demo')", name="source_known"),
    )


class Withdrawal(TimestampMixin, AgencyScoped, db.Model):
    """A mother's withdrawal from the trial: when, and whether the data already collected may be used."""

    __tablename__ = "trial_withdrawal"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("trial_participant.id"), unique=True)
    withdrawn_on: Mapped[date]
    data_use: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str255 | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    participant: Mapped[TrialParticipant] = relationship()

    __table_args__ = (sa.CheckConstraint(_in("data_use", DATA_USE), name="data_use_known"),)


class Unblinding(AgencyScoped, db.Model):
    """An explicit, audited unblinding: ``user`` learned the arm of ``participant`` for ``reason``. Rows are only
    inserted; the audit trail records each one with who did it."""

    __tablename__ = "unblinding"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("trial_participant.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    reason: Mapped[str255]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    participant: Mapped[TrialParticipant] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("participant_id", "user_id", name="uq_unblinding_participant_user"),)


class ScheduleSettings(Audited, db.Model):
    """The study's assessment windows (one row; the measures file's defaults when absent): ``windows`` maps a
    time point key to ``{offset_days, window_before_days, window_after_days}``."""

    __tablename__ = "assessment_schedule_settings"

    id: Mapped[intpk]
    windows: Mapped[dict]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
