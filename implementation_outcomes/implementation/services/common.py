"""Shared by the service modules: the clinics a user may see, field errors, the acting user."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from app.db import db
from app.models import Agency, Clinic
from app.security import scoped

_FIELD_MESSAGE = re.compile(r"^field '([^']+)': (.*)$")


class FieldErrors(ValueError):
    """Bad input: ``errors`` maps a form field name to its messages. Nothing has been written."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def errors_from_validator(messages: Iterable[str], errors: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Turn a pure validator's ``"field 'x': message"`` list into ``{x: [message]}``."""
    errors = {} if errors is None else errors
    for message in messages:
        match = _FIELD_MESSAGE.match(message)
        if match:
            add_error(errors, match.group(1), match.group(2))
        else:
            add_error(errors, "__all__", message)
    return errors


def acting_user(user=None):
    """The user a service acts for: the given one, else the signed-in one (None outside a request)."""
    if user is not None:
        return user
    return current_user if has_request_context() else None


def recorded_by_id(user=None) -> int | None:
    user = acting_user(user)
    return user.id if user is not None and user.is_authenticated else None


def check_not_future(value: date, field: str, what: str, errors: dict[str, list[str]], today: date | None = None) -> None:
    today = today or date.today()
    if value > today:
        add_error(errors, field, f"{what}: {value.isoformat()} is in the future (today is {today.isoformat()}).")


def visible_clinics(user=None, clinic_ids: Iterable[int] | None = None) -> list[Clinic]:
    """Clinics the user may see, by code: the active ones, or exactly ``clinic_ids`` (active or not)."""
    stmt = sa.select(Clinic).order_by(Clinic.code)
    if clinic_ids is None:
        stmt = stmt.where(Clinic.active.is_(True))
    else:
        stmt = stmt.where(Clinic.id.in_(list(clinic_ids)))
    return list(db.session.execute(scoped(stmt, Clinic, acting_user(user))).scalars())


def visible_agencies(user=None) -> list[Agency]:
    stmt = sa.select(Agency).where(Agency.active.is_(True)).order_by(Agency.code)
    return list(db.session.execute(scoped(stmt, Agency, acting_user(user))).scalars())


def clinic_info(clinic: Clinic) -> dict:
    return {"id": clinic.id, "code": clinic.code, "name": clinic.name, "agency_id": clinic.agency_id,
            "agency_code": clinic.agency.code}
