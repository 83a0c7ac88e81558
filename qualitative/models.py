"""Qualitative projects: members, transcripts (documents with speaker turns), pseudonymous participants, the
codebook, codings and memos.

Offsets (``start``, ``end``) are code points, zero-based, end-exclusive, into ``Document.text`` (the normalised,
de-identified transcript). Documents belong to a clinic (``AgencyScoped``) but are read only by project members;
agency staff never see transcripts.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, db, intpk, str40, str120, str255
from app.models import AgencyScoped, Audited, Clinic, User


class Privilege:
    MANAGE = "manage"
    CODE = "code"
    READ = "read"
    ORDER: ClassVar[dict[str, int]] = {READ: 1, CODE: 2, MANAGE: 3}
    LABELS: ClassVar[dict[str, str]] = {MANAGE: "Manage", CODE: "Code", READ: "Read"}


class QualProject(TimestampMixin, Audited, db.Model):
    __tablename__ = "qual_project"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    codebook_version: Mapped[int] = mapped_column(default=1)

    members: Mapped[list[ProjectMember]] = relationship(back_populates="project", cascade="all, delete-orphan")
    documents: Mapped[list[Document]] = relationship(back_populates="project", order_by="Document.name")
    codes: Mapped[list[Code]] = relationship(back_populates="project", order_by="Code.position")

    def __str__(self) -> str:
        return self.name


class ProjectMember(TimestampMixin, Audited, db.Model):
    __tablename__ = "qual_project_member"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    privilege: Mapped[str40] = mapped_column(default=Privilege.CODE)

    project: Mapped[QualProject] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Participant(TimestampMixin, AgencyScoped, db.Model):
    """A pseudonymous interviewee or focus-group member, with a CFIR 2.0 role (Individuals domain) and a clinic."""

    __tablename__ = "qual_participant"
    __table_args__ = (sa.UniqueConstraint("project_id", "pseudonym"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    pseudonym: Mapped[str120]
    cfir_role: Mapped[str120 | None]
    description: Mapped[str | None] = mapped_column(sa.Text)

    clinic: Mapped[Clinic] = relationship()


class Document(TimestampMixin, AgencyScoped, db.Model):
    """An interview or focus-group transcript."""

    __tablename__ = "qual_document"
    __table_args__ = (sa.UniqueConstraint("project_id", "name"),)
    #: the text before de-identification holds identifiers; the audit trail must never copy it
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"text"})
    KINDS: ClassVar[dict[str, str]] = {"interview": "Interview", "focus-group": "Focus group"}

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    name: Mapped[str255]
    kind: Mapped[str40]
    interview_date: Mapped[date | None]
    interviewer: Mapped[str120 | None]
    source_filename: Mapped[str255 | None]
    source_format: Mapped[str40 | None]
    encoding: Mapped[str40 | None]
    text: Mapped[str] = mapped_column(sa.Text)
    #: what the source's tool said about it (a REFI-QDA ``<Description>``), kept for the re-export
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: pending: redactions not yet reviewed (coding waits); applied or skipped: ready to code
    deidentification: Mapped[str40] = mapped_column(default="pending")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    #: the import job that created it, so a job run again after a crash recognises its own documents
    import_job_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    #: the interview's recording, when one is attached (stored by ``app.storage`` under ``recording_key``)
    recording_content_type: Mapped[str120 | None]
    recording_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    recording_filename: Mapped[str255 | None]

    @property
    def recording_key(self) -> str:
        return f"transcript-audio/{self.id}"

    @property
    def has_recording(self) -> bool:
        return self.recording_content_type is not None and self.recording_size is not None

    project: Mapped[QualProject] = relationship(back_populates="documents")
    clinic: Mapped[Clinic] = relationship()
    turns: Mapped[list[DocumentTurn]] = relationship(
        back_populates="document", order_by="DocumentTurn.index", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return self.KINDS.get(self.kind, self.kind)


class RedactionProposal(TimestampMixin, AgencyScoped, db.Model):
    """A proposed (or manually added) redaction awaiting review. Rows exist only until the redactions are applied:
    then the document text is replaced and every proposal of the document is deleted, so the original identifiers
    are kept nowhere (``original`` is excluded from the audit trail for the same reason)."""

    __tablename__ = "qual_redaction_proposal"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"original"})
    STATUSES: ClassVar[dict[str, str]] = {"proposed": "To review", "accepted": "Accept", "rejected": "Reject"}

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_document.id", ondelete="CASCADE"), index=True)
    start: Mapped[int]
    end: Mapped[int]
    kind: Mapped[str40]
    original: Mapped[str] = mapped_column(sa.Text)
    suggestion: Mapped[str120]
    replacement: Mapped[str120 | None]
    status: Mapped[str40] = mapped_column(default="proposed")
    manual: Mapped[bool] = mapped_column(default=False)

    document: Mapped[Document] = relationship()

    @property
    def effective_replacement(self) -> str:
        return self.replacement if self.replacement is not None else self.suggestion

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.document_id.in_(sa.select(Document.id).where(Document.agency_clause(agency_ids)))


class DocumentTurn(db.Model):
    """A speaker turn: [start, end) is the utterance (the speaker label precedes it in the text)."""

    __tablename__ = "qual_document_turn"
    __table_args__ = (sa.UniqueConstraint("document_id", "index"),)

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_document.id", ondelete="CASCADE"), index=True)
    index: Mapped[int]
    speaker: Mapped[str120 | None]
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qual_participant.id", ondelete="SET NULL"))
    start: Mapped[int]
    end: Mapped[int]
    timestamp_ms: Mapped[int | None]  # when the turn starts in the recording (.vtt, .srt cues)
    end_ms: Mapped[int | None]  # when its last cue ends

    document: Mapped[Document] = relationship(back_populates="turns")
    participant: Mapped[Participant | None] = relationship()


class Code(TimestampMixin, Audited, db.Model):
    """A code in a project's codebook: CFIR 2.0 domains (not codable), constructs, subconstructs, or custom codes."""

    __tablename__ = "qual_code"
    __table_args__ = (sa.UniqueConstraint("project_id", "key"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qual_code.id"), index=True)
    key: Mapped[str40]
    name: Mapped[str255]
    kind: Mapped[str40] = mapped_column(default="custom")
    codable: Mapped[bool] = mapped_column(default=True)
    #: the code's display key when it differs from ``key`` (CFIR 2.0 "IV.A" for key "IV.ROLE.A")
    label: Mapped[str40 | None]
    colour: Mapped[str | None] = mapped_column(sa.String(7))
    definition: Mapped[str | None] = mapped_column(sa.Text)
    inclusion: Mapped[str | None] = mapped_column(sa.Text)
    exclusion: Mapped[str | None] = mapped_column(sa.Text)
    lexicon: Mapped[list] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    project: Mapped[QualProject] = relationship(back_populates="codes")
    parent: Mapped[Code | None] = relationship(remote_side="Code.id")

    @property
    def display_key(self) -> str:
        return self.label or self.key

    def __str__(self) -> str:
        return f"{self.display_key} {self.name}"


class CodebookVersion(TimestampMixin, db.Model):
    """A frozen snapshot of a project's codebook (rows as in the codebook CSV), made when a version is published."""

    __tablename__ = "qual_codebook_version"
    __table_args__ = (sa.UniqueConstraint("project_id", "version"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.Text)
    snapshot: Mapped[list]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class CodeChange(TimestampMixin, Audited, db.Model):
    """A codebook change that moved codings, published as codebook version ``version``: ``merge`` (``other`` was
    merged into ``code``), ``split`` (``codings`` of ``other`` moved to the new ``code``) or ``move`` (``code`` put
    under a new parent; ``other``: the old parent). ``other_label`` keeps what the other code was called then."""

    __tablename__ = "qual_code_change"
    KINDS: ClassVar[tuple[str, ...]] = ("merge", "split", "move")
    __table_args__ = (sa.CheckConstraint("kind IN ('merge','split','move')", name="kind_known"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str40]
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_code.id", ondelete="CASCADE"), index=True)
    other_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qual_code.id", ondelete="SET NULL"), index=True)
    other_label: Mapped[str255]
    codings: Mapped[int] = mapped_column(default=0)
    version: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)


class Coding(TimestampMixin, AgencyScoped, db.Model):
    """One coder's application of one code to [start, end) of a document. Each coder owns their codings, so two
    analysts coding at once never overwrite each other; ``version`` guards concurrent edits of the same coding."""

    __tablename__ = "qual_coding"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "code_id", "coder_id", "start", "end"),
        sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="span_valid"),
        sa.Index("ix_qual_coding_document_coder", "document_id", "coder_id"),
    )

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_document.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_code.id"), index=True)
    coder_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    start: Mapped[int]
    end: Mapped[int]
    #: manual, or accepted from an auto-coding suggestion
    source: Mapped[str40] = mapped_column(default="manual")
    version: Mapped[int] = mapped_column(default=1)

    document: Mapped[Document] = relationship()
    code: Mapped[Code] = relationship()
    coder: Mapped[User] = relationship()

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.document_id.in_(sa.select(Document.id).where(Document.agency_clause(agency_ids)))


class CodeShortcut(TimestampMixin, Audited, db.Model):
    """One coder's keyboard shortcut in one project: pressing ``digit`` (1–9) in the workspace with text selected
    codes it with ``code``. One code per digit and one digit per code, per coder and project."""

    __tablename__ = "qual_code_shortcut"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "user_id", "digit"),
        sa.UniqueConstraint("project_id", "user_id", "code_id"),
        sa.CheckConstraint("digit >= 1 AND digit <= 9", name="digit_range"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_code.id", ondelete="CASCADE"), index=True)
    digit: Mapped[int]


class Memo(TimestampMixin, Audited, db.Model):
    """An analytic memo on a coding, a document, a code, a clinic, a code/document group, or the project."""

    __tablename__ = "qual_memo"
    TARGETS: ClassVar[tuple[str, ...]] = ("project", "document", "code", "coding", "clinic", "group")

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str40]
    target_id: Mapped[int | None]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    title: Mapped[str255 | None]
    text: Mapped[str] = mapped_column(sa.Text)

    author: Mapped[User] = relationship()

    __table_args__ = (
        sa.Index("ix_qual_memo_target", "project_id", "target_type", "target_id"),
        sa.CheckConstraint("target_type IN ('project','document','code','coding','clinic','group')",
                           name="target_known"),
    )


qual_group_code = sa.Table(
    "qual_group_code", db.metadata,
    sa.Column("group_id", sa.ForeignKey("qual_group.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("code_id", sa.ForeignKey("qual_code.id", ondelete="CASCADE"), primary_key=True, index=True),
)
qual_group_document = sa.Table(
    "qual_group_document", db.metadata,
    sa.Column("group_id", sa.ForeignKey("qual_group.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("document_id", sa.ForeignKey("qual_document.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CodeGroup(TimestampMixin, Audited, db.Model):
    """A named group of codes and/or documents of a project: a REFI-QDA ``<Set>`` (MAXQDA's code and document sets,
    ATLAS.ti's code and document groups, NVivo's sets), shown in the codebook and exported again as ``<Sets>``."""

    __tablename__ = "qual_group"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str255]
    description: Mapped[str | None] = mapped_column(sa.Text)

    codes: Mapped[list[Code]] = relationship(secondary=qual_group_code, order_by="Code.position")
    documents: Mapped[list[Document]] = relationship(secondary=qual_group_document, order_by="Document.name")

    @property
    def kind_label(self) -> str:
        if self.codes and self.documents:
            return "codes and documents"
        return "documents" if self.documents else "codes"


qual_case_document = sa.Table(
    "qual_case_document", db.metadata,
    sa.Column("case_id", sa.ForeignKey("qual_case.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("document_id", sa.ForeignKey("qual_document.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Variable(TimestampMixin, Audited, db.Model):
    """An attribute recorded for documents or cases, as another tool defined it (REFI-QDA ``<Variable>``: NVivo's
    attributes, MAXQDA's document variables, ATLAS.ti's document groups with values). ``type`` is one of
    ``qualitative.refiqda.VARIABLE_TYPES``; values are kept as text in their ISO form (``VariableValue``)."""

    __tablename__ = "qual_variable"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str255]
    type: Mapped[str40] = mapped_column(default="Text")
    description: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=0)


class Case(TimestampMixin, Audited, db.Model):
    """A unit of analysis that groups documents (REFI-QDA ``<Case>``: NVivo's cases, a participant, a site), with
    its own variable values."""

    __tablename__ = "qual_case"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str255]
    description: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=0)

    documents: Mapped[list[Document]] = relationship(secondary=qual_case_document, order_by="Document.name")


class VariableValue(db.Model):
    """The value of a variable for one document or one case (exactly one of them); ``value`` is the text form
    (``qualitative.refiqda.values.variable_text``): Boolean "true"/"false", dates ISO 8601."""

    __tablename__ = "qual_variable_value"
    __table_args__ = (
        sa.CheckConstraint("(document_id IS NULL) <> (case_id IS NULL)", name="one_owner"),
    )

    id: Mapped[intpk]
    variable_id: Mapped[int] = mapped_column(sa.ForeignKey("qual_variable.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qual_document.id", ondelete="CASCADE"),
                                                    index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qual_case.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(sa.Text)

    variable: Mapped[Variable] = relationship()
