"""Shared database work of the delivery pages: the clinic in scope, its counselors, the deployment settings and
the fidelity scheme in force. Every query of agency data goes through ``scoped`` / ``get_scoped_or_404``."""

from __future__ import annotations

import re
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.db import db
from app.forms import FormRefused
from app.models import Clinic, Person
from app.security import get_scoped_or_404, scoped
from implementation_outcomes.delivery.models import DeliverySettings, FidelityScheme, TrialParticipant
from implementation_outcomes.delivery.screening_log import DEFAULT_STUDY_ID_PATTERN, study_id_pattern_problem
from implementation_outcomes.feasibility import DEFAULT_COMPLETION_THRESHOLD
from implementation_outcomes.fidelity import load_fidelity_scheme

DEFAULT_DOUBLE_CODING_SHARE = 0.2


def in_period(stmt, column, date_from=None, date_to=None):
    """Restrict ``stmt`` to rows whose ``column`` (a date) lies in [date_from, date_to]; either bound optional.
    The director's overview and its drill-downs pass the period chosen in their filters."""
    if date_from is not None:
        stmt = stmt.where(column >= date_from)
    if date_to is not None:
        stmt = stmt.where(column <= date_to)
    return stmt


class DeliveryError(FormRefused):
    """A write refused by a business rule; ``errors`` maps a field name (or ``""``) to a message (the form pages
    show them on their fields: ``app.forms.edit_page``)."""


def clinic_or_404(clinic_id: int, user=None) -> Clinic:
    return get_scoped_or_404(Clinic, clinic_id, user)


def visible_clinics(user=None) -> list[Clinic]:
    stmt = sa.select(Clinic).join(Clinic.agency).options(sa.orm.contains_eager(Clinic.agency)).order_by(Clinic.code)
    return list(db.session.execute(scoped(stmt, Clinic, user)).scalars())


def counselors(clinic: Clinic, user=None, active_only: bool = False) -> list[Person]:
    stmt = (sa.select(Person).where(Person.clinic_id == clinic.id, Person.kind == "counselor")
            .order_by(Person.display_name))
    if active_only:
        stmt = stmt.where(Person.active.is_(True))
    return list(db.session.execute(scoped(stmt, Person, user)).scalars())


def counselor_in_clinic(clinic: Clinic, person_id: int | None, user=None) -> Person | None:
    if not person_id:
        return None
    stmt = sa.select(Person).where(Person.id == person_id, Person.clinic_id == clinic.id, Person.kind == "counselor")
    return db.session.execute(scoped(stmt, Person, user)).scalar_one_or_none()


# --- deployment settings --------------------------------------------------------------------------------------


def settings() -> DeliverySettings:
    """The settings row, or an unsaved one holding the defaults (reading never writes)."""
    row = db.session.execute(sa.select(DeliverySettings).order_by(DeliverySettings.id)).scalars().first()
    if row is None:
        row = DeliverySettings(completion_threshold=DEFAULT_COMPLETION_THRESHOLD,
                               double_coding_share=DEFAULT_DOUBLE_CODING_SHARE, double_coding_seed="")
    return row


def deployment_study_id_pattern() -> str:
    """The deployment's default study-ID pattern (``STUDY_ID_PATTERN``, else ``DEFAULT_STUDY_ID_PATTERN``)."""
    return current_app.config.get("STUDY_ID_PATTERN") or DEFAULT_STUDY_ID_PATTERN


def study_id_pattern() -> str:
    """The study's study-ID pattern: the director's setting, else the deployment's default. The screening-log form,
    its CSV import (web and ``mio outcomes import-screening-log``) all read it here."""
    return settings().study_id_pattern or deployment_study_id_pattern()


def save_settings(completion_threshold: int, double_coding_share: float,
                  study_id_pattern: str | None = None, user=None) -> DeliverySettings:
    """Store the director's settings (validated by the form: threshold 1..12, share 0..1). A study-ID pattern
    (empty = the deployment's default) must pass ``study_id_pattern_problem`` and be followed by every study ID
    already in the screening logs the user sees, else nothing is saved."""
    if not 1 <= completion_threshold <= 12:
        raise DeliveryError({"completion_threshold": "must be a whole number of sessions, 1 to 12"})
    if not 0 <= double_coding_share <= 1:
        raise DeliveryError({"double_coding_share": "must be between 0 and 1 (e.g. 0.2 for a fifth)"})
    pattern = (study_id_pattern or "").strip() or None
    if pattern is not None:
        problem = study_id_pattern_problem(pattern)
        if problem is None:
            problem = _ids_not_following(pattern, user)
        if problem:
            raise DeliveryError({"study_id_pattern": f"Study-ID pattern {pattern!r} {problem}"})
    row = settings()
    if row.id is None:
        row.double_coding_seed = secrets.token_hex(16)
        db.session.add(row)
    row.completion_threshold = completion_threshold
    row.double_coding_share = double_coding_share
    row.study_id_pattern = pattern
    db.session.commit()
    return row


def _ids_not_following(pattern: str, user=None) -> str | None:
    """A refusal naming the logged study IDs ``pattern`` would reject (up to five), or ``None``."""
    compiled = re.compile(pattern)
    ids = db.session.execute(scoped(sa.select(TrialParticipant.study_id), TrialParticipant, user)).scalars()
    misfits = sorted(i for i in ids if not compiled.fullmatch(i))
    if not misfits:
        return None
    shown = ", ".join(misfits[:5]) + (", ..." if len(misfits) > 5 else "")
    return (f"rejects {len(misfits)} study ID(s) already in the screening log ({shown}); correct them first or "
            "widen the pattern")


#: the director's targets: (settings column, overview row key, label), shares 0..1
TARGETS: tuple[tuple[str, str, str], ...] = (
    ("reach_target", "reach", "Reach (enrolled / offered)"),
    ("adoption_target", "adoption", "Adoption (delivering / eligible)"),
    ("completion_target", "completion_share", "Feasibility: mothers completing MIO"),
    ("fidelity_target", "adequate_share", "Fidelity: sessions rated adequate"),
)


def targets() -> dict[str, float]:
    """``{overview row key: target share}`` for the targets the director has set (unset ones are left out)."""
    row = settings()
    return {key: getattr(row, column) for column, key, _label in TARGETS if getattr(row, column) is not None}


def save_targets(values: dict[str, float | None]) -> DeliverySettings:
    """Store the targets (``{settings column: share 0..1 or None}``); all of them or none (a bad one is refused by
    name before anything is written)."""
    errors = {column: "must be a share from 0 to 1 (0% to 100%)" for column, _k, _l in TARGETS
              if values.get(column) is not None and not 0 <= values[column] <= 1}
    if errors:
        raise DeliveryError(errors)
    row = settings()
    if row.id is None:
        row.double_coding_seed = secrets.token_hex(16)
        db.session.add(row)
    for column, _key, _label in TARGETS:
        setattr(row, column, values.get(column))
    db.session.commit()
    return row


def ensure_settings_row() -> DeliverySettings:
    """The stored settings row (created with defaults and a fresh double-coding seed if missing); not committed."""
    row = settings()
    if row.id is None:
        row.double_coding_seed = secrets.token_hex(16)
        db.session.add(row)
        db.session.flush()
    return row


# --- fidelity scheme ------------------------------------------------------------------------------------------

_PACKAGED: dict[str, Any] | None = None


def packaged_scheme() -> dict[str, Any]:
    global _PACKAGED
    if _PACKAGED is None:
        _PACKAGED = load_fidelity_scheme()
    return _PACKAGED


def current_scheme() -> tuple[int, dict[str, Any]]:
    """(version, scheme): the newest stored version, else the packaged data file as version 0."""
    row = db.session.execute(sa.select(FidelityScheme).order_by(FidelityScheme.version.desc())).scalars().first()
    return (row.version, row.scheme) if row else (0, packaged_scheme())


def schemes_by_version() -> dict[int, dict[str, Any]]:
    rows = db.session.execute(sa.select(FidelityScheme.version, FidelityScheme.scheme)).all()
    out = {0: packaged_scheme()}
    out.update({version: scheme for version, scheme in rows})
    return out


def scheme_history() -> list[FidelityScheme]:
    return list(db.session.execute(sa.select(FidelityScheme).order_by(FidelityScheme.version.desc())).scalars())
