"""Tables of the instrument engine and survey waves.

- ``Instrument``: an instrument definition stored in the database. Imported REDCap dictionaries live only here
  (``source = "redcap"``); a shipped instrument (``readiness/instruments/*.json``) gets a snapshot row
  (``source = "shipped"``) the first time a wave uses it, so a wave always points at the exact definition its
  respondents saw. Instruments are shared by every agency (no agency data), hence ``Audited`` only.
- ``SurveyWave`` (a clinic's survey round) -> ``SurveyWaveInstrument`` (which instruments, in order) and
  ``SurveyLink`` (one unguessable respondent link each) -> ``SurveyResponse`` (raw answers, one per link and
  instrument) -> ``Score`` (one per subscale, derived in a separate, versioned step).

Confidentiality: respondents are anonymous; answers and scores are excluded from the audit trail (directors can
read the trail and must see aggregates only), and so are the link tokens.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, intpk, str40, str120, str255
from app.models import AgencyScoped, Audited, Clinic, User

RESPONDENT_ROLES: dict[str, str] = {
    "clinician": "Clinician / counselor",
    "supervisor": "Supervisor",
    "administrator": "Administrator",
    "other": "Other",
}
INSTRUMENT_SOURCES = ("shipped", "redcap")
RESPONSE_STATUSES = ("draft", "submitted")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Instrument(TimestampMixin, Audited, db.Model):
    __tablename__ = "instrument"

    id: Mapped[intpk]
    key: Mapped[str120] = mapped_column(index=True)
    version: Mapped[str40]
    title: Mapped[str255]
    source: Mapped[str40]
    definition: Mapped[dict]
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    source_filename: Mapped[str255 | None]

    imported_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("key", "version"),
        sa.CheckConstraint(_in("source", INSTRUMENT_SOURCES), name="source_known"),
    )

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class SurveyWave(TimestampMixin, AgencyScoped, db.Model):
    """A survey round at one clinic: instruments, an open period and a fixed set of respondent links."""

    __tablename__ = "survey_wave"

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    title: Mapped[str255]
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    clinic: Mapped[Clinic] = relationship()
    created_by: Mapped[User | None] = relationship()
    wave_instruments: Mapped[list[SurveyWaveInstrument]] = relationship(
        back_populates="wave", order_by="SurveyWaveInstrument.position", cascade="all, delete-orphan")
    links: Mapped[list[SurveyLink]] = relationship(back_populates="wave", order_by="SurveyLink.number",
                                                   cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("closes_on >= opens_on", name="dates_ordered"),)

    @property
    def instruments(self) -> list[Instrument]:
        return [wi.instrument for wi in self.wave_instruments]

    def __str__(self) -> str:
        return f"{self.title} ({self.clinic.code})"


class SurveyWaveInstrument(AgencyScoped, db.Model):
    __tablename__ = "survey_wave_instrument"

    id: Mapped[intpk]
    survey_wave_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_wave.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id"), index=True)
    position: Mapped[int]

    wave: Mapped[SurveyWave] = relationship(back_populates="wave_instruments")
    instrument: Mapped[Instrument] = relationship()

    __table_args__ = (sa.UniqueConstraint("survey_wave_id", "instrument_id"),)

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.survey_wave_id.in_(sa.select(SurveyWave.id).where(SurveyWave.agency_clause(agency_ids)))


class SurveyLink(TimestampMixin, AgencyScoped, db.Model):
    """One respondent's link. Only the SHA-256 of its token is stored (ASVS 2.10, 3.5): the link is shown once
    when it is issued (``services.create_wave``, ``services.reissue_links``), and a director who needs it again
    re-issues it; a copy of the database opens no survey. Look-ups go through ``token_hash``
    (``respond.link_for_token``)."""

    __tablename__ = "survey_link"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"token_hash"})

    id: Mapped[intpk]
    survey_wave_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_wave.id"), index=True)
    number: Mapped[int]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    respondent_role: Mapped[str40 | None]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    wave: Mapped[SurveyWave] = relationship(back_populates="links")
    responses: Mapped[list[SurveyResponse]] = relationship(back_populates="link", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("survey_wave_id", "number"),
        sa.CheckConstraint("respondent_role IS NULL OR " + _in("respondent_role", RESPONDENT_ROLES),
                           name="respondent_role_known"),
    )

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.survey_wave_id.in_(sa.select(SurveyWave.id).where(SurveyWave.agency_clause(agency_ids)))

    @property
    def status(self) -> str:
        if self.submitted_at is not None:
            return "submitted"
        return "in_progress" if self.started_at is not None else "not_started"


class SurveyResponse(TimestampMixin, AgencyScoped, db.Model):
    """Raw, typed answers of one link to one instrument (draft until the link is submitted)."""

    __tablename__ = "survey_response"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"answers"})

    id: Mapped[intpk]
    survey_link_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_link.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id"), index=True)
    answers: Mapped[dict]
    status: Mapped[str40] = mapped_column(default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    link: Mapped[SurveyLink] = relationship(back_populates="responses")
    instrument: Mapped[Instrument] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="response", cascade="all, delete-orphan",
                                               order_by="Score.id")

    __table_args__ = (
        sa.UniqueConstraint("survey_link_id", "instrument_id"),
        sa.CheckConstraint(_in("status", RESPONSE_STATUSES), name="status_known"),
    )

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.survey_link_id.in_(sa.select(SurveyLink.id).where(SurveyLink.agency_clause(agency_ids)))


class Score(TimestampMixin, AgencyScoped, db.Model):
    """A subscale score of one response, with the rule and instrument version that produced it."""

    __tablename__ = "score"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"score"})

    id: Mapped[intpk]
    survey_response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_response.id"), index=True)
    subscale: Mapped[str120]
    score: Mapped[float | None] = mapped_column(sa.Float)
    n_answered: Mapped[int]
    n_items: Mapped[int]
    rule_version: Mapped[str40]
    instrument_version: Mapped[str40]

    response: Mapped[SurveyResponse] = relationship(back_populates="scores")

    __table_args__ = (sa.UniqueConstraint("survey_response_id", "subscale"),)

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.survey_response_id.in_(
            sa.select(SurveyResponse.id).where(SurveyResponse.agency_clause(agency_ids)))
