"""Tables of the analysis side of a qualitative project: auto-coding suggestions, blind double-coding samples,
CFIR construct ratings per clinic (two raters, then a consensus) with links to coded evidence, the high/low
implementation grouping of clinics, and the GUIDs REFI-QDA exchanges carry.

Suggestions live in their own table, never in ``Coding``: the auto-coder is not a coder, so it can never be
counted in agreement. Accepting a suggestion creates a ``Coding`` owned by the accepting analyst.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, intpk, str40, str120
from app.models import AgencyScoped, Audited, Clinic, User
from qualitative.models import Code, Coding, Document, QualProject


def _via_document(cls, agency_ids):
    return cls.document_id.in_(sa.select(Document.id).where(Document.agency_clause(agency_ids)))


class SuggestionStatus:
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ALL: ClassVar[tuple[str, ...]] = (PENDING, ACCEPTED, REJECTED)


VALENCES: tuple[str, ...] = ("barrier", "facilitator", "neutral")


class Suggestion(TimestampMixin, AgencyScoped, db.Model):
    """An auto-coding suggestion: ``code`` over a speaker turn [start, end) of ``document``, made by the
    lexicon auto-coder (``rule_version``) from ``matched_terms``; an analyst accepts or rejects it."""

    __tablename__ = "qual_suggestion"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "code_id", "start", "end", "rule_version"),
        sa.CheckConstraint('"start" >= 0 AND "end" >= "start"', name="span_valid"),
        sa.CheckConstraint("status IN ('pending','accepted','rejected')", name="status_known"),
        sa.CheckConstraint("valence IN ('barrier','facilitator','neutral')", name="valence_known"),
        sa.Index("ix_qual_suggestion_project_status", "project_id", "status"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_document.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_code.id", ondelete="CASCADE"), index=True)
    start: Mapped[int]
    end: Mapped[int]
    matched_terms: Mapped[list] = mapped_column(default=list)
    #: offsets of each lexicon hit inside the turn, for highlighting
    term_spans: Mapped[list] = mapped_column(default=list)
    valence: Mapped[str40] = mapped_column(default="neutral")
    score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    rule_version: Mapped[str40]
    status: Mapped[str40] = mapped_column(default=SuggestionStatus.PENDING)
    #: who ran the auto-coder (the suggestion itself is the system's, never this user's)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    coding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qual_coding.id", ondelete="SET NULL"))

    project: Mapped[QualProject] = relationship()
    document: Mapped[Document] = relationship()
    code: Mapped[Code] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    agency_clause = classmethod(_via_document)


class BlindSample(TimestampMixin, Audited, db.Model):
    """A blind double-coding sample: while ``blind``, its coders see only their own codings on its documents."""

    __tablename__ = "qual_blind_sample"
    __table_args__ = (sa.UniqueConstraint("project_id", "name"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str120]
    note: Mapped[str | None] = mapped_column(sa.Text)
    blind: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    documents: Mapped[list[BlindSampleDocument]] = relationship(
        back_populates="sample", cascade="all, delete-orphan")
    coders: Mapped[list[BlindSampleCoder]] = relationship(back_populates="sample", cascade="all, delete-orphan")


class BlindSampleDocument(TimestampMixin, AgencyScoped, db.Model):
    __tablename__ = "qual_blind_sample_document"
    __table_args__ = (sa.UniqueConstraint("sample_id", "document_id"),)

    id: Mapped[intpk]
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_blind_sample.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_document.id", ondelete="CASCADE"), index=True)

    sample: Mapped[BlindSample] = relationship(back_populates="documents")
    document: Mapped[Document] = relationship()

    agency_clause = classmethod(_via_document)


class BlindSampleCoder(TimestampMixin, Audited, db.Model):
    __tablename__ = "qual_blind_sample_coder"
    __table_args__ = (sa.UniqueConstraint("sample_id", "user_id"),)

    id: Mapped[intpk]
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_blind_sample.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)

    sample: Mapped[BlindSample] = relationship(back_populates="coders")
    user: Mapped[User] = relationship()


RATING_CHECK = "(mixed AND rating IS NULL) OR (NOT mixed AND rating >= -2 AND rating <= 2)"


class RatingValue:
    """A CFIR rating: +2..-2, or mixed ("X"). A construct not discussed has no row at all (missing, never 0)."""

    rating: Mapped[int | None]
    mixed: Mapped[bool] = mapped_column(default=False)
    rationale: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def label(self) -> str:
        if self.mixed:
            return "X"
        return f"{self.rating:+d}" if self.rating else "0"

    @property
    def css_class(self) -> str:
        """Colour class of the construct x clinic matrix (see analysis.css)."""
        if self.mixed:
            return "rating-mixed"
        return {2: "rating-p2", 1: "rating-p1", 0: "rating-0", -1: "rating-m1", -2: "rating-m2"}[self.rating]


class ConstructRating(TimestampMixin, RatingValue, AgencyScoped, db.Model):
    """One rater's rating of one construct at one clinic."""

    __tablename__ = "qual_construct_rating"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "code_id", "clinic_id", "rater_id"),
        sa.CheckConstraint(RATING_CHECK, name="rating_valid"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_code.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    rater_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)

    code: Mapped[Code] = relationship()
    clinic: Mapped[Clinic] = relationship()
    rater: Mapped[User] = relationship()
    evidence: Mapped[list[ConstructRatingEvidence]] = relationship(
        back_populates="rating", cascade="all, delete-orphan")


class ConsensusRating(TimestampMixin, RatingValue, AgencyScoped, db.Model):
    """The agreed rating of one construct at one clinic, set by a project manager after the raters."""

    __tablename__ = "qual_consensus_rating"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "code_id", "clinic_id"),
        sa.CheckConstraint(RATING_CHECK, name="rating_valid"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_code.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))

    code: Mapped[Code] = relationship()
    clinic: Mapped[Clinic] = relationship()
    decided_by: Mapped[User] = relationship()
    evidence: Mapped[list[ConsensusRatingEvidence]] = relationship(
        back_populates="rating", cascade="all, delete-orphan")


class ConstructRatingEvidence(TimestampMixin, Audited, db.Model):
    """A coding cited as evidence for a rater's rating."""

    __tablename__ = "qual_construct_rating_evidence"
    __table_args__ = (sa.UniqueConstraint("rating_id", "coding_id"),)

    id: Mapped[intpk]
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_construct_rating.id", ondelete="CASCADE"), index=True)
    coding_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_coding.id", ondelete="CASCADE"), index=True)

    rating: Mapped[ConstructRating] = relationship(back_populates="evidence")
    coding: Mapped[Coding] = relationship()


class ConsensusRatingEvidence(TimestampMixin, Audited, db.Model):
    """A coding cited as evidence (an exemplar quote) for a consensus rating."""

    __tablename__ = "qual_consensus_rating_evidence"
    __table_args__ = (sa.UniqueConstraint("rating_id", "coding_id"),)

    id: Mapped[intpk]
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_consensus_rating.id", ondelete="CASCADE"), index=True)
    coding_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_coding.id", ondelete="CASCADE"), index=True)

    rating: Mapped[ConsensusRating] = relationship(back_populates="evidence")
    coding: Mapped[Coding] = relationship()


class ClinicGroup(TimestampMixin, AgencyScoped, db.Model):
    """The project manager's grouping of a clinic as high or low implementation, for distinguishing constructs."""

    __tablename__ = "qual_clinic_group"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "clinic_id"),
        sa.CheckConstraint("implementation IN ('high','low')", name="implementation_known"),
    )
    LABELS: ClassVar[dict[str, str]] = {"high": "High implementation", "low": "Low implementation"}

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    implementation: Mapped[str40]

    clinic: Mapped[Clinic] = relationship()


class RefiGuid(TimestampMixin, db.Model):
    """The GUID a REFI-QDA file gave to a project's code, document, coding, user, memo, participant or clinic,
    so a re-export carries the GUIDs the other tool knows (export -> import -> export keeps them)."""

    __tablename__ = "qual_refi_guid"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "kind", "local_id"),
        sa.UniqueConstraint("project_id", "guid"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str40]
    local_id: Mapped[int]
    guid: Mapped[str] = mapped_column(sa.String(36))
