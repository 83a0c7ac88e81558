"""Where a strategy or adaptation applies: a whole agency ("agency-wide") or one clinic, within the user's scope."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Clinic
from implementation_outcomes.implementation.services.common import (
    FieldErrors,
    visible_agencies,
    visible_clinics,
)


def place_choices(user=None) -> list[tuple[str, str]]:
    """``[(value, label)]``: ``agency-<id>`` for agency-wide records, ``clinic-<id>`` for one clinic."""
    choices: list[tuple[str, str]] = []
    clinics = visible_clinics(user)
    for agency in visible_agencies(user):
        choices.append((f"agency-{agency.id}", f"{agency.code} — agency-wide"))
        choices.extend((f"clinic-{c.id}", f"{c.code} — {c.name}") for c in clinics if c.agency_id == agency.id)
    return choices


def resolve_place(value: str | None, field: str = "where", user=None) -> tuple[int, int | None]:
    """``(agency_id, clinic_id or None)`` for a choice value; ``FieldErrors`` when unknown or not visible."""
    kind, _, raw_id = (value or "").partition("-")
    if kind in ("agency", "clinic") and raw_id.isdigit():
        wanted = int(raw_id)
        if kind == "agency":
            agencies = [a for a in visible_agencies(user) if a.id == wanted]
            if agencies:
                return agencies[0].id, None
        else:
            clinics = visible_clinics(user, [wanted])
            if clinics:
                return clinics[0].agency_id, clinics[0].id
    shown = value if value else "(nothing)"
    raise FieldErrors({field: [f"Choose an agency or clinic you can record for; {shown!r} is not one."]})


def place_label(agency_code: str, clinic: Clinic | None) -> str:
    return clinic.code if clinic is not None else f"{agency_code} (agency-wide)"


def where_filter_choices(user=None) -> list[tuple[str, str]]:
    """Choices of a list filter: everything, an agency (all or agency-wide only), a clinic."""
    where = [("", "All agencies and clinics")]
    clinics = visible_clinics(user)
    for agency in visible_agencies(user):
        where.append((f"agency-{agency.id}", f"{agency.code}: everything"))
        where.append((f"agencywide-{agency.id}", f"{agency.code}: agency-wide only"))
        where.extend((f"clinic-{c.id}", f"{c.code} (with {agency.code} agency-wide)")
                     for c in clinics if c.agency_id == agency.id)
    return where


def place_clause(model, where: str, user=None):
    """SQL condition for a list filter value (``where_filter_choices``); ``FieldErrors`` if unknown or not visible.

    ``""`` = everything in scope; ``agency-<id>`` = the agency's agency-wide and clinic records;
    ``agencywide-<id>`` = its agency-wide records only; ``clinic-<id>`` = the clinic's records and its agency's
    agency-wide ones (they apply to the clinic too).
    """
    if not where:
        return sa.true()
    kind, _, raw = where.partition("-")
    if raw.isdigit():
        wanted = int(raw)
        if kind in ("agency", "agencywide") and any(a.id == wanted for a in visible_agencies(user)):
            clause = model.agency_id == wanted
            return sa.and_(clause, model.clinic_id.is_(None)) if kind == "agencywide" else clause
        if kind == "clinic":
            clinics = visible_clinics(user, [wanted])
            if clinics:
                return sa.or_(model.clinic_id == wanted,
                              sa.and_(model.agency_id == clinics[0].agency_id, model.clinic_id.is_(None)))
    raise FieldErrors({"where": [f"{where!r} is not an agency or clinic you can see."]})
