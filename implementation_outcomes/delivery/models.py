"""Delivery records of the hybrid trial: the screening log (participants), the concealed allocation seed per
clinic, MIO sessions, training-case sessions, consultation calls, the fidelity scheme, coding assignments and
fidelity ratings, and the deployment settings the director may change.

Mothers appear by study ID only. Every table holding agency data carries ``clinic_id`` (set by the services
from the parent row) so ``app.security.scoped`` restricts it with the default clause. Models never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, intpk, str40, str120, str255, utcnow
from app.models import AgencyScoped, Audited, Clinic, Person, User
from implementation_outcomes.delivery.screening_log import SUBSTANCES

SCREENING_STATUS_LABELS: dict[str, str] = {
    "excluded": "Screened, not eligible",
    "lost": "Lost / undetermined",
    "not_offered": "Eligible, not offered",
    "declined": "Offered, declined",
    "consented": "Consented (awaiting randomization)",
    "randomized": "Randomized",
    "started": "Randomized, started MIO",
}
ARM_LABELS: dict[str, str] = {"mio_tau": "MIO + TAU", "tau": "TAU"}
MODALITIES: dict[str, str] = {"in_person": "In person", "virtual": "Virtual"}
SESSION_STATUSES: dict[str, str] = {"attended": "Attended", "no_show": "No-show", "cancelled": "Cancelled"}
ALLOCATION_SOURCES: dict[str, str] = {"platform": "Platform (concealed 2:1 blocks)", "external": "Recorded from outside"}


def _in(column: str, values) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class TrialParticipant(TimestampMixin, AgencyScoped, db.Model):
    """One row of a clinic's screening log: a mother by study ID, the furthest point she reached, reasons, arm
    and the few characteristics used for representativeness. ``status`` follows ``reach.SCREENING_STATUSES``."""

    __tablename__ = "trial_participant"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    study_id: Mapped[str40]
    screened_on: Mapped[date]
    status: Mapped[str40]
    reason: Mapped[str255 | None]
    consented_on: Mapped[date | None]
    randomized_on: Mapped[date | None]
    arm: Mapped[str | None] = mapped_column(sa.String(10))
    allocation_source: Mapped[str | None] = mapped_column(sa.String(10))
    allocation_index: Mapped[int | None]
    counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    mother_age: Mapped[int | None]
    child_age_months: Mapped[int | None]
    primary_substance: Mapped[str | None] = mapped_column(sa.String(20))
    medication_treatment: Mapped[bool | None]

    clinic: Mapped[Clinic] = relationship()
    counselor: Mapped[Person | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("clinic_id", "study_id", name="uq_trial_participant_clinic_study_id"),
        sa.UniqueConstraint("clinic_id", "allocation_index", name="uq_trial_participant_clinic_allocation_index"),
        sa.CheckConstraint(_in("status", SCREENING_STATUS_LABELS), name="status_known"),
        sa.CheckConstraint("arm IS NULL OR " + _in("arm", ARM_LABELS), name="arm_known"),
        sa.CheckConstraint("allocation_source IS NULL OR " + _in("allocation_source", ALLOCATION_SOURCES),
                           name="allocation_source_known"),
        sa.CheckConstraint("primary_substance IS NULL OR " + _in("primary_substance", SUBSTANCES),
                           name="substance_known"),
    )

    @property
    def is_randomized(self) -> bool:
        return self.status in ("randomized", "started")

    def __str__(self) -> str:
        return self.study_id


class ClinicAllocation(AgencyScoped, db.Model):
    """The secret allocation seed of one clinic (``randomization.new_allocation_seed``) and how many platform
    assignments it has made. The seed is never rendered, exported or written to the audit trail."""

    __tablename__ = "clinic_allocation"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"seed"})

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), unique=True)
    seed: Mapped[str] = mapped_column(sa.String(128))
    assigned_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class _SessionColumns:
    session_number: Mapped[int]
    session_date: Mapped[date]
    duration_minutes: Mapped[int | None]
    modality: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10))
    audio_recorded: Mapped[bool] = mapped_column(default=False)

    @property
    def attended(self) -> bool:
        return self.status == "attended"

    @property
    def recorded(self) -> bool:
        return self.attended and self.audio_recorded


def _session_checks() -> tuple:
    return (
        sa.CheckConstraint("session_number BETWEEN 1 AND 12", name="session_number_range"),
        sa.CheckConstraint(_in("modality", MODALITIES), name="modality_known"),
        sa.CheckConstraint(_in("status", SESSION_STATUSES), name="status_known"),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_nonnegative"),
    )


class MioSession(TimestampMixin, _SessionColumns, AgencyScoped, db.Model):
    """A session of MIO with a trial mother randomized to MIO + TAU."""

    __tablename__ = "mio_session"
    kind: ClassVar[str] = "mio"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("trial_participant.id"), index=True)
    counselor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)

    participant: Mapped[TrialParticipant] = relationship()
    counselor: Mapped[Person] = relationship()

    __table_args__ = _session_checks()

    @property
    def label(self) -> str:
        return f"{self.participant.study_id} session {self.session_number}"


class TrainingCaseSession(TimestampMixin, _SessionColumns, AgencyScoped, db.Model):
    """A session of one of a counselor's two training cases (no trial mother: a training-case label)."""

    __tablename__ = "training_case_session"
    kind: ClassVar[str] = "training"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    counselor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    training_case: Mapped[int]
    case_label: Mapped[str40]

    counselor: Mapped[Person] = relationship()

    __table_args__ = (
        *_session_checks(),
        sa.CheckConstraint("training_case IN (1, 2)", name="training_case_known"),
    )

    @property
    def label(self) -> str:
        return f"{self.case_label} (training case {self.training_case}) session {self.session_number}"


class ConsultationCall(TimestampMixin, AgencyScoped, db.Model):
    """One consultation call a counselor was expected at, and whether they attended."""

    __tablename__ = "consultation_call"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    counselor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    call_date: Mapped[date]
    attended: Mapped[bool]

    counselor: Mapped[Person] = relationship()

    __table_args__ = (sa.UniqueConstraint("counselor_id", "call_date", name="uq_consultation_call_counselor_date"),)


class FidelityScheme(Audited, db.Model):
    """A versioned copy of the fidelity scheme (validated by ``fidelity.validate_scheme``); the highest version is
    current. Without any row the packaged ``data/fidelity_scheme.json`` is used as version 0."""

    __tablename__ = "fidelity_scheme"

    id: Mapped[intpk]
    version: Mapped[int] = mapped_column(unique=True)
    scheme: Mapped[dict]
    note: Mapped[str255 | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship()


class FidelitySummary(db.Model):
    """Stored fidelity figures (``services.summaries``): one clinic's overview figures (``clinic:<id>``) or the
    statewide reliability (``all``), as JSON text, with the fingerprint of the inputs they were computed from; a
    row whose fingerprint no longer matches is stale and not read. Derived data: read only for clinics already in
    the reader's scope."""

    __tablename__ = "fidelity_summary"

    id: Mapped[intpk]
    key: Mapped[str40] = mapped_column(unique=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str255]
    figures: Mapped[str] = mapped_column(sa.Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class _RatedSession:
    """Exactly one of ``mio_session_id`` / ``training_case_session_id`` names the session. (A unique constraint
    over the pair would not hold: NULLs are distinct in SQL, so the services check duplicates.)"""

    mio_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mio_session.id"), index=True)
    training_case_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_case_session.id"), index=True)

    @property
    def session(self):
        return self.mio_session or self.training_case_session

    @property
    def session_key(self) -> str:
        return f"mio:{self.mio_session_id}" if self.mio_session_id else f"training:{self.training_case_session_id}"


ONE_SESSION = "(mio_session_id IS NULL) <> (training_case_session_id IS NULL)"


class CodingAssignment(TimestampMixin, _RatedSession, AgencyScoped, db.Model):
    """A recorded session given to a fidelity coder; ``role`` is primary or second (double coding)."""

    __tablename__ = "coding_assignment"
    ROLES: ClassVar[dict[str, str]] = {"primary": "Primary coder", "second": "Second coder (double coding)"}

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    coder_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(10))
    batch: Mapped[int]

    coder: Mapped[User] = relationship()
    mio_session: Mapped[MioSession | None] = relationship()
    training_case_session: Mapped[TrainingCaseSession | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(ONE_SESSION, name="one_session"),
        sa.CheckConstraint("role IN ('primary','second')", name="role_known"),
    )


class FidelityRating(TimestampMixin, _RatedSession, AgencyScoped, db.Model):
    """One set of scale ratings of one session: by a fidelity coder (``source`` coder) or the counselor's own
    self-reflection after a training-case session (``source`` self, entered by staff on their behalf). The two
    sources are analysed apart, never pooled. ``scores`` maps scale key to rating under ``scheme_version``."""

    __tablename__ = "fidelity_rating"
    SOURCES: ClassVar[dict[str, str]] = {"coder": "Fidelity coder", "self": "Counselor self-reflection"}

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(10))
    coder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    scheme_version: Mapped[int]
    scores: Mapped[dict]
    rated_on: Mapped[date]
    #: the coder's note per scale (scale key -> text; only scales with a note) and on the session as a whole
    scale_notes: Mapped[dict | None]
    session_note: Mapped[str | None] = mapped_column(sa.Text)

    coder: Mapped[User | None] = relationship(foreign_keys=[coder_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    mio_session: Mapped[MioSession | None] = relationship()
    training_case_session: Mapped[TrainingCaseSession | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(ONE_SESSION, name="one_session"),
        sa.CheckConstraint("source IN ('coder','self')", name="source_known"),
        sa.CheckConstraint("source = 'self' OR coder_id IS NOT NULL", name="coder_named"),
        sa.CheckConstraint("source = 'coder' OR training_case_session_id IS NOT NULL", name="self_on_training_case"),
    )


class SessionRecording(TimestampMixin, _RatedSession, AgencyScoped, db.Model):
    """The audio recording of one session, kept by the platform (``app.storage`` under ``storage_key``; checked
    and played by ``app.media``). One per session; a new upload replaces it."""

    __tablename__ = "session_recording"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    storage_key: Mapped[str255] = mapped_column(unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    filename: Mapped[str255 | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    mio_session: Mapped[MioSession | None] = relationship()
    training_case_session: Mapped[TrainingCaseSession | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(ONE_SESSION, name="one_session"),
        sa.UniqueConstraint("mio_session_id", name="uq_session_recording_mio_session_id"),
        sa.UniqueConstraint("training_case_session_id", name="uq_session_recording_training_case_session_id"),
    )


class DeliverySettings(Audited, db.Model):
    """Deployment settings the director changes in the UI (one row; defaults when absent)."""

    __tablename__ = "delivery_settings"

    id: Mapped[intpk]
    completion_threshold: Mapped[int] = mapped_column(default=8)
    double_coding_share: Mapped[float] = mapped_column(default=0.2)
    double_coding_seed: Mapped[str120]
    #: the study's study-ID pattern (``screening_log.study_id_pattern_problem`` checks it); empty = the deployment's
    #: ``STUDY_ID_PATTERN``, else ``screening_log.DEFAULT_STUDY_ID_PATTERN``
    study_id_pattern: Mapped[str | None] = mapped_column(sa.String(200))
    #: the director's targets the overview colours cells against (shares 0..1; none set = no colouring)
    reach_target: Mapped[float | None]
    adoption_target: Mapped[float | None]
    completion_target: Mapped[float | None]
    fidelity_target: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("completion_threshold BETWEEN 1 AND 12", name="completion_threshold_range"),
        sa.CheckConstraint("double_coding_share >= 0 AND double_coding_share <= 1", name="double_coding_share_range"),
        *(sa.CheckConstraint(f"{name} IS NULL OR ({name} >= 0 AND {name} <= 1)", name=f"{name}_range")
          for name in ("reach_target", "adoption_target", "completion_target", "fidelity_target")),
    )
