"""Tables of the Training & Learning Collaborative application: cohorts, one application per agency and cohort,
its supervisors and clinicians, review notes, and the eligibility inputs per proposed clinician.

Everything an agency owns inherits ``AgencyScoped`` (so it is scoped and audited); children reach their agency
through the application. Models never commit (services do).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, intpk, str40, str120, str255, text, utcnow
from app.models import Agency, AgencyScoped, Audited, Clinic, Person, User
from readiness.application import workflow

_STATUS_LIST = ",".join(f"'{s}'" for s in workflow.STATUSES)


class TrainingCohort(TimestampMixin, Audited, db.Model):
    """A training round (e.g. "2026 spring cohort"), created by the implementation director."""

    __tablename__ = "training_cohort"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    applications_due_on: Mapped[date | None]
    description: Mapped[text | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),)

    def __str__(self) -> str:
        return self.name


class Application(TimestampMixin, AgencyScoped, db.Model):
    """One agency's application to one training cohort: the organizational assessment, the acknowledgement, and the
    review state. Supervisors and clinicians are child rows."""

    __tablename__ = "readiness_application"

    id: Mapped[intpk]
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("training_cohort.id"), index=True)
    status: Mapped[str40] = mapped_column(default=workflow.DRAFT)

    # organizational assessment (readiness.application.content.ORGANISATION)
    contact_name: Mapped[str120 | None]
    contact_email: Mapped[str255 | None]
    contact_phone: Mapped[str40 | None]
    clinical_staff_total: Mapped[int | None]
    number_being_trained: Mapped[int | None]
    client_population: Mapped[text | None]
    parents_young_children_pct: Mapped[int | None]
    parents_young_children: Mapped[text | None]
    service_types: Mapped[list | None]
    service_types_other: Mapped[str255 | None]
    cases_per_clinician: Mapped[int | None]
    visit_frequency: Mapped[str40 | None]
    visit_length_minutes: Mapped[int | None]
    supervision_model: Mapped[text | None]
    financial_sustainment: Mapped[text | None]
    service_fit: Mapped[text | None]

    # acknowledgement of requirements and commitment (content.ACKNOWLEDGEMENT)
    ack_didactic: Mapped[bool] = mapped_column(default=False)
    ack_supervision: Mapped[bool] = mapped_column(default=False)
    ack_recording: Mapped[bool] = mapped_column(default=False)
    ack_fidelity: Mapped[bool] = mapped_column(default=False)
    signature_name: Mapped[str120 | None]
    signature_title: Mapped[str120 | None]
    signed_on: Mapped[date | None]
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    # drafting and review
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    last_step: Mapped[str40 | None]
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    agency: Mapped[Agency] = relationship()
    cohort: Mapped[TrainingCohort] = relationship()
    last_saved_by: Mapped[User | None] = relationship(foreign_keys=[last_saved_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    supervisors: Mapped[list[ApplicationSupervisor]] = relationship(
        back_populates="application", order_by="ApplicationSupervisor.id", cascade="all, delete-orphan")
    clinicians: Mapped[list[ApplicationClinician]] = relationship(
        back_populates="application", order_by="ApplicationClinician.id", cascade="all, delete-orphan")
    notes: Mapped[list[ApplicationNote]] = relationship(
        back_populates="application", order_by="ApplicationNote.id", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("agency_id", "cohort_id", name="uq_readiness_application_agency_cohort"),
        sa.CheckConstraint(f"status IN ({_STATUS_LIST})", name="status_known"),
        sa.CheckConstraint("number_being_trained IS NULL OR clinical_staff_total IS NULL "
                           "OR number_being_trained <= clinical_staff_total", name="trained_within_total"),
    )

    @property
    def status_label(self) -> str:
        return workflow.STATUS_LABELS[self.status]

    @property
    def status_badge(self) -> str:
        return workflow.STATUS_BADGES[self.status]

    @property
    def editable_by_agency(self) -> bool:
        return workflow.agency_may_edit(self.status)

    def __str__(self) -> str:
        return f"{self.agency.code} · {self.cohort.name}"


class _ApplicationChild:
    """Rows owned through their application: scoped by the application's agency."""

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.__table__.c.application_id.in_(
            sa.select(Application.id).where(Application.agency_id.in_(agency_ids)))


class ApplicationSupervisor(_ApplicationChild, TimestampMixin, AgencyScoped, db.Model):
    __tablename__ = "application_supervisor"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("readiness_application.id"), index=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id"))
    name: Mapped[str120]
    title: Mapped[str120 | None]
    email: Mapped[str255 | None]
    phone: Mapped[str40 | None]
    experience: Mapped[text | None]
    comfort_attachment: Mapped[str40 | None]
    comfort_notes: Mapped[text | None]

    application: Mapped[Application] = relationship(back_populates="supervisors")
    clinic: Mapped[Clinic | None] = relationship()

    def __str__(self) -> str:
        return self.name


class ApplicationClinician(_ApplicationChild, TimestampMixin, AgencyScoped, db.Model):
    """A proposed clinician; ``person_id`` links the counselor record once accepted and eligible."""

    __tablename__ = "application_clinician"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("readiness_application.id"), index=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("application_supervisor.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    name: Mapped[str120]
    title: Mapped[str120 | None]
    email: Mapped[str255 | None]
    phone: Mapped[str40 | None]
    experience: Mapped[text | None]
    knowledge_reflective_practice: Mapped[str40 | None]
    knowledge_child_development: Mapped[str40 | None]
    knowledge_parent_needs: Mapped[str40 | None]
    knowledge_notes: Mapped[text | None]

    application: Mapped[Application] = relationship(back_populates="clinicians")
    clinic: Mapped[Clinic | None] = relationship()
    supervisor: Mapped[ApplicationSupervisor | None] = relationship()
    person: Mapped[Person | None] = relationship()
    eligibility_inputs: Mapped[list[EligibilityInput]] = relationship(
        back_populates="clinician", cascade="all, delete-orphan", order_by="EligibilityInput.id")

    def __str__(self) -> str:
        return self.name


class ApplicationNote(_ApplicationChild, TimestampMixin, AgencyScoped, db.Model):
    """A review note (internal to the review team), comments returned to the agency, or a decision with reasons."""

    __tablename__ = "application_note"
    KINDS: ClassVar[dict[str, str]] = {"review_note": "Review note", "return": "Returned with comments",
                                       "decision": "Decision", "submission": "Submitted"}
    #: kinds the agency sees (internal review notes stay with the review team)
    AGENCY_VISIBLE: ClassVar[frozenset[str]] = frozenset({"return", "decision", "submission"})

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("readiness_application.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str40]
    body: Mapped[text]
    status_from: Mapped[str40 | None]
    status_to: Mapped[str40 | None]

    application: Mapped[Application] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()

    __table_args__ = (sa.CheckConstraint("kind IN ('review_note','return','decision','submission')",
                                         name="kind_known"),)

    @property
    def kind_label(self) -> str:
        return self.KINDS[self.kind]


class EligibilityInput(TimestampMixin, AgencyScoped, db.Model):
    """The current value of one eligibility input for one proposed clinician, with who entered it and acting as
    what; earlier values stay in the audit trail."""

    __tablename__ = "eligibility_input"

    id: Mapped[intpk]
    clinician_id: Mapped[int] = mapped_column(sa.ForeignKey("application_clinician.id"), index=True)
    input_key: Mapped[str40]
    value: Mapped[Any] = mapped_column(sa.JSON())
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    entered_by_role: Mapped[str40]
    entered_as: Mapped[str40]
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    supervisor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("application_supervisor.id", ondelete="SET NULL"))
    note: Mapped[text | None]

    clinician: Mapped[ApplicationClinician] = relationship(back_populates="eligibility_inputs")
    entered_by: Mapped[User] = relationship()
    supervisor: Mapped[ApplicationSupervisor | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("clinician_id", "input_key", name="uq_eligibility_input_clinician_key"),)

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.__table__.c.clinician_id.in_(
            sa.select(ApplicationClinician.id).join(Application, ApplicationClinician.application_id == Application.id)
            .where(Application.agency_id.in_(agency_ids)))
