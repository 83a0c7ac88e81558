"""Tables for adoption steps, implementation-activity completions, strategy uses and adaptations.

All four hold agency data (``AgencyScoped``, audited). Step and activity keys are checked against the pure
modules' data (``COUNSELOR_STEPS``, the activity catalogue) by the services; the step check is also a database
constraint because the step list is part of the adoption definition, whereas the catalogue is versioned data.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, db, intpk, str40, str120
from app.models import Agency, AgencyScoped, Clinic, Person, User
from implementation_outcomes.adoption import COUNSELOR_STEPS

str80 = sa.String(80)


class AdoptionStep(TimestampMixin, AgencyScoped, db.Model):
    """One dated step of one counselor's path to delivering MIO (Proctor et al. 2011 adoption)."""

    __tablename__ = "adoption_step"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    step: Mapped[str40]
    reached_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: where the date came from when not typed in (e.g. "readiness screening")
    source: Mapped[str120 | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    person: Mapped[Person] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("person_id", "step"),
        sa.CheckConstraint("step IN (" + ",".join(f"'{s}'" for s in COUNSELOR_STEPS) + ")", name="step_known"),
    )

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.person_id.in_(
            sa.select(Person.id).join(Clinic, Person.clinic_id == Clinic.id).where(Clinic.agency_id.in_(agency_ids))
        )


class ActivityCompletion(TimestampMixin, AgencyScoped, db.Model):
    """The date a clinic completed one activity of the MIO implementation activity catalogue."""

    __tablename__ = "activity_completion"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    activity_key: Mapped[str] = mapped_column(str80)
    completed_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    clinic: Mapped[Clinic] = relationship()

    __table_args__ = (sa.UniqueConstraint("clinic_id", "activity_key"),)


class StrategyUse(TimestampMixin, AgencyScoped, db.Model):
    """One use of an ERIC strategy, specified as Proctor, Powell & McMillen 2013 recommend.

    ``clinic_id`` empty = agency-wide. ``cfir_construct`` = the CFIR 2.0 determinant it addresses.
    """

    __tablename__ = "strategy_use"

    id: Mapped[intpk]
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    used_on: Mapped[date]
    eric_strategy: Mapped[str] = mapped_column(str80, index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    definition: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.Text)
    action_target: Mapped[str] = mapped_column(sa.Text)
    temporality: Mapped[str] = mapped_column(sa.Text)
    dose: Mapped[str] = mapped_column(sa.Text)
    implementation_outcome: Mapped[list]
    justification: Mapped[str] = mapped_column(sa.Text)
    cfir_construct: Mapped[str40 | None] = mapped_column(index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    agency: Mapped[Agency] = relationship()
    clinic: Mapped[Clinic | None] = relationship()


class Adaptation(TimestampMixin, AgencyScoped, db.Model):
    """An adaptation to MIO described with the FRAME (Wiltsey Stirman et al. 2019).

    ``frame`` holds the validated FRAME answers keyed as in ``data/frame_fields.json`` (single choices as a key,
    multiple choices as a list, grouped reasons as ``"group:option"``, ``<field>_other`` texts), so the field
    list stays data.
    """

    __tablename__ = "adaptation"

    id: Mapped[intpk]
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    occurred_on: Mapped[date]
    description: Mapped[str] = mapped_column(sa.Text)
    frame: Mapped[dict]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    agency: Mapped[Agency] = relationship()
    clinic: Mapped[Clinic | None] = relationship()
