"""Adaptations to MIO recorded with the FRAME (Wiltsey Stirman, Baumann & Miller 2019, Implementation Science
14:58). The field list, options and required flags are the data file ``data/frame_fields.json``; validation is
``implementation_outcomes.strategies.validate_adaptation``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.db import db
from app.security import scoped
from implementation_outcomes.errors import StrategyRecordError
from implementation_outcomes.implementation.models import Adaptation
from implementation_outcomes.implementation.services.common import (
    FieldErrors,
    acting_user,
    add_error,
    check_not_future,
    errors_from_validator,
    recorded_by_id,
)
from implementation_outcomes.implementation.services.places import place_clause, place_label, resolve_place
from implementation_outcomes.implementation.tables import Column, Table
from implementation_outcomes.strategies import load_frame_fields, validate_adaptation


@functools.cache
def frame() -> dict[str, Any]:
    return load_frame_fields()


def frame_fields() -> list[dict[str, Any]]:
    return frame()["fields"]


def option_pairs(field: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(value, label)]`` of a FRAME field; grouped options as ``("group:option", "Group: label")``."""
    if "groups" in field:
        return [(f"{g['key']}:{o['key']}", f"{g['label']}: {o['label']}") for g in field["groups"] for o in g["options"]]
    return [(o["key"], o["label"]) for o in field["options"]]


def has_other(field: dict[str, Any]) -> bool:
    return any(value.split(":")[-1] == "other" for value, _ in option_pairs(field))


def save_adaptation(obj: Adaptation | None, where: str, occurred_on: date | None, description: str,
                    record: dict[str, Any], user=None, today: date | None = None) -> Adaptation:
    """Validate place, date, description and the FRAME record, then write once.

    ``record`` = FRAME answers keyed by field (lists for multiple choice) plus ``<field>_other`` texts; empty
    answers are dropped before storing.
    """
    errors: dict[str, list[str]] = {}
    try:
        agency_id, clinic_id = resolve_place(where, user=user)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if occurred_on is None:
        add_error(errors, "occurred_on", "Enter the date of the adaptation (YYYY-MM-DD).")
    else:
        check_not_future(occurred_on, "occurred_on", "Date of adaptation", errors, today)
    if not (description or "").strip():
        add_error(errors, "description", "Describe the adaptation: what changed, for whom.")
    cleaned = {k: v for k, v in record.items() if v not in (None, "", [])}
    try:
        validate_adaptation(cleaned, frame())
    except StrategyRecordError as exc:
        errors_from_validator(exc.errors, errors)
    if errors:
        raise FieldErrors(errors)
    obj = obj or Adaptation()
    obj.agency_id, obj.clinic_id, obj.occurred_on = agency_id, clinic_id, occurred_on
    obj.description = description.strip()
    obj.frame = cleaned
    obj.recorded_by_id = recorded_by_id(user)
    db.session.add(obj)
    db.session.commit()
    return obj


@dataclass
class AdaptationFilters:
    where: str = ""
    planned: str = ""
    fidelity_consistent: str = ""


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    fields = {f["key"]: f for f in frame_fields()}
    return {key: [("", "Any"), *option_pairs(fields[key])] for key in ("planned", "fidelity_consistent")}


def list_adaptations(filters: AdaptationFilters, user=None) -> list[Adaptation]:
    """Adaptations in scope, newest first; FRAME answers are filtered here (they are a JSON record)."""
    errors: dict[str, list[str]] = {}
    stmt = sa.select(Adaptation).options(selectinload(Adaptation.agency), selectinload(Adaptation.clinic))
    try:
        stmt = stmt.where(place_clause(Adaptation, filters.where, user))
    except FieldErrors as exc:
        errors.update(exc.errors)
    choices = filter_choices()
    wanted = {}
    for key in ("planned", "fidelity_consistent"):
        value = getattr(filters, key)
        if value and value not in dict(choices[key]):
            add_error(errors, key, f"{value!r} is not a FRAME option of {key!r}.")
        elif value:
            wanted[key] = value
    if errors:
        raise FieldErrors(errors)
    stmt = stmt.order_by(Adaptation.occurred_on.desc(), Adaptation.id.desc())
    rows = db.session.execute(scoped(stmt, Adaptation, acting_user(user))).scalars()
    return [r for r in rows if all((r.frame or {}).get(k) == v for k, v in wanted.items())]


def _answer(field: dict[str, Any], stored: dict[str, Any]) -> str:
    labels = dict(option_pairs(field))
    value = stored.get(field["key"])
    chosen = value if isinstance(value, list) else ([value] if value else [])
    text = "; ".join(labels.get(v, v) for v in chosen)
    other = stored.get(f"{field['key']}_other")
    return f"{text} ({other})" if other else text


def adaptation_table(rows: list[Adaptation]) -> Table:
    """Adaptations as shown and exported: date, place, description, then one column per FRAME field."""
    fields = frame_fields()
    columns = [Column("Date", "date"), Column("Where"), Column("Description")] + [Column(f["label"]) for f in fields]
    table = Table("adaptations", "Adaptations to MIO (FRAME, Wiltsey Stirman et al. 2019)", columns, row_headers=False)
    for row in rows:
        stored = row.frame or {}
        table.rows.append([row.occurred_on, place_label(row.agency.code, row.clinic), row.description,
                           *(_answer(f, stored) for f in fields)])
        table.row_ids.append(row.id)
    return table


def delete_adaptation(row: Adaptation) -> None:
    db.session.delete(row)
    db.session.commit()
