"""The organisation: agencies own clinics; people work at clinics; user accounts carry one role.

Research data that belongs to an agency inherits ``AgencyScoped`` so that ``app.security.scoped`` can restrict any
query to what the current user may see, and so the isolation test can find every such table.
``Audited`` models have each create/update/delete recorded in ``AuditEvent`` (see ``app.audit``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, intpk, str40, str120, str255, utcnow


class Role:
    ADMIN = "admin"
    DIRECTOR = "director"
    AGENCY_STAFF = "agency_staff"
    ANALYST = "analyst"
    FIDELITY_CODER = "fidelity_coder"
    TRIAL_STAFF = "trial_staff"
    OUTCOME_ASSESSOR = "outcome_assessor"

    LABELS: ClassVar[dict[str, str]] = {
        ADMIN: "Administrator",
        DIRECTOR: "Implementation director",
        AGENCY_STAFF: "Agency staff",
        ANALYST: "Qualitative analyst",
        FIDELITY_CODER: "Fidelity coder",
        TRIAL_STAFF: "Trial staff",
        OUTCOME_ASSESSOR: "Outcome assessor (blinded)",
    }
    #: roles bound to exactly one agency: they see that agency's data only
    AGENCY_BOUND: ClassVar[frozenset[str]] = frozenset({AGENCY_STAFF, TRIAL_STAFF})
    ALL: ClassVar[tuple[str, ...]] = tuple(LABELS)


class Audited:
    """Marker: every change to rows of this model is written to the audit trail."""

    __audited__ = True


class AgencyScoped(Audited):
    """Marker for agency-owned research data.

    ``agency_clause(agency_ids)`` returns the SQL condition restricting rows to those agencies. The default handles a
    direct ``agency_id`` column or a ``clinic_id`` column; models reached through a longer path override it.
    """

    @classmethod
    def agency_clause(cls, agency_ids):
        if "agency_id" in cls.__table__.c:
            return cls.__table__.c.agency_id.in_(agency_ids)
        if "clinic_id" in cls.__table__.c:
            return cls.__table__.c.clinic_id.in_(sa.select(Clinic.id).where(Clinic.agency_id.in_(agency_ids)))
        raise NotImplementedError(f"{cls.__name__} must define agency_clause()")


class Agency(TimestampMixin, AgencyScoped, db.Model):
    __tablename__ = "agency"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    code: Mapped[str40] = mapped_column(unique=True)
    city: Mapped[str120 | None]
    state: Mapped[str40 | None]
    approached_on: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)

    clinics: Mapped[list[Clinic]] = relationship(back_populates="agency", order_by="Clinic.code")

    @classmethod
    def agency_clause(cls, agency_ids):
        return cls.id.in_(agency_ids)

    def __str__(self) -> str:
        return self.name


class Clinic(TimestampMixin, AgencyScoped, db.Model):
    __tablename__ = "clinic"

    id: Mapped[intpk]
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    name: Mapped[str120]
    code: Mapped[str40] = mapped_column(unique=True)
    city: Mapped[str120 | None]
    setting: Mapped[str120 | None]
    taking_part: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)

    agency: Mapped[Agency] = relationship(back_populates="clinics")
    people: Mapped[list[Person]] = relationship(back_populates="clinic", order_by="Person.display_name")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(TimestampMixin, Audited, db.Model):
    __tablename__ = "user_account"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"password_hash"})

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True)
    name: Mapped[str120]
    password_hash: Mapped[str255]
    role: Mapped[str40]
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A coder identity made by a REFI-QDA import for a file user with no account: owns codings, never signs in.
    imported: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    agency: Mapped[Agency | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin','director','agency_staff','analyst','fidelity_coder','trial_staff','outcome_assessor')",
            name="role_known",
        ),
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and not self.imported

    @property
    def display_name(self) -> str:
        """The name people read: an imported coder identity says so."""
        return f"{self.name} (imported)" if self.imported else self.name

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return Role.LABELS.get(self.role, self.role)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Person(TimestampMixin, AgencyScoped, db.Model):
    """A counselor, supervisor or administrator at a clinic, whether or not they have an account."""

    __tablename__ = "person"
    KINDS: ClassVar[dict[str, str]] = {
        "counselor": "Counselor",
        "supervisor": "Supervisor",
        "administrator": "Administrator",
        "other": "Other staff",
    }

    id: Mapped[intpk]
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    kind: Mapped[str40]
    display_name: Mapped[str120]
    email: Mapped[str255 | None]
    phone: Mapped[str40 | None]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    active: Mapped[bool] = mapped_column(default=True)

    clinic: Mapped[Clinic] = relationship(back_populates="people")
    user: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return self.KINDS.get(self.kind, self.kind)

    def __str__(self) -> str:
        return self.display_name


class AuditEvent(db.Model):
    """Append-only: rows are only ever inserted (``app.audit``); no view updates or deletes them."""

    __tablename__ = "audit_event"

    id: Mapped[intpk]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str255]
    action: Mapped[str40]
    entity: Mapped[str120] = mapped_column(index=True)
    entity_id: Mapped[str40]
    changes: Mapped[dict]

    #: the trail filtered to one row's history (audit_views: entity + entity_id)
    __table_args__ = (sa.Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),)


class LoginAttempt(db.Model):
    """Recent sign-in attempts and password changes, for throttling repeated failures across workers."""

    __tablename__ = "login_attempt"
    SIGN_IN: ClassVar[str] = "sign_in"
    #: a password-change form submitted: a failure is a wrong current password, a success a changed password
    PASSWORD_CHANGE: ClassVar[str] = "password_change"

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(index=True)
    remote_addr: Mapped[str120 | None]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    success: Mapped[bool]
    kind: Mapped[str40] = mapped_column(default="sign_in", server_default="sign_in")

    #: every sign-in looks up the e-mail's recent attempts by time (app.security throttling)
    __table_args__ = (sa.Index("ix_login_attempt_email_at", "email", "at"),)


class ApiToken(TimestampMixin, Audited, db.Model):
    """A personal access token for the read-only JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"token_hash"})

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str120]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the address the token was last used from (shown on the token page beside the time)
    last_used_addr: Mapped[str120 | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One signed-in browser (``app.auth.sessions``): checked on every request, so a session ends on the server.

    The session cookie (and the remember-me cookie, when asked for) carries ``<id>.<secret>``; only the secret's
    SHA-256 is stored. A row is revoked by signing out, signing out everywhere, a password change, an admin reset or
    deactivation; it expires after an idle period, or at ``expires_at`` (the remember-me lifetime the admin sets).
    """

    __tablename__ = "user_session"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remote_addr: Mapped[str120 | None]
    user_agent: Mapped[str255 | None]
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: signed_out, signed_out_here, signed_out_everywhere, password_changed, admin_reset, ended_by_admin, deactivated
    revoked_reason: Mapped[str40 | None]

    user: Mapped[User] = relationship()
