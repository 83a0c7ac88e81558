"""Strategy log: ERIC strategies (Powell et al. 2015; clusters Waltz et al. 2015) specified per Proctor, Powell &
McMillen 2013 and linked to the CFIR 2.0 construct they address (Damschroder et al. 2022).

Validation is ``implementation_outcomes.strategies.validate_strategy_use`` with the CFIR keys; its
``"field 'x': ..."`` messages are returned against the form fields.
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
from implementation_outcomes.cfir import addressable_keys, domains, load_cfir_constructs
from implementation_outcomes.errors import StrategyRecordError
from implementation_outcomes.implementation.models import StrategyUse
from implementation_outcomes.implementation.services.common import (
    FieldErrors,
    acting_user,
    check_not_future,
    errors_from_validator,
    recorded_by_id,
)
from implementation_outcomes.implementation.services.places import (
    place_clause,
    place_label,
    resolve_place,
    where_filter_choices,
)
from implementation_outcomes.implementation.tables import Column, Table
from implementation_outcomes.strategies import (
    load_eric_strategies,
    load_strategy_specification,
    validate_strategy_use,
)


@functools.cache
def eric() -> dict[str, Any]:
    return load_eric_strategies()


@functools.cache
def specification() -> dict[str, Any]:
    return load_strategy_specification()


@functools.cache
def cfir() -> list[dict[str, Any]]:
    return load_cfir_constructs()


def spec_fields() -> list[str]:
    return [f["key"] for f in specification()["fields"]]


def eric_by_key() -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in eric()["strategies"]}


def cluster_labels() -> dict[str, str]:
    return {c["key"]: c["label"] for c in eric()["clusters"]}


def cfir_by_key() -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in cfir()}


def cfir_domain_labels() -> dict[str, str]:
    return {d["key"]: d["name"] for d in domains(cfir())}


def outcome_labels() -> dict[str, str]:
    field = next(f for f in specification()["fields"] if f["key"] == "implementation_outcome")
    return {o["key"]: o["label"] for o in field["options"]}


def save_strategy(obj: StrategyUse | None, where: str, used_on: date | None, record: dict[str, Any], user=None,
                  today: date | None = None) -> StrategyUse:
    """Validate everything (place, date, the Proctor 2013 fields, ERIC and CFIR keys), then write once.

    ``record`` holds the specification fields keyed as in ``strategy_specification.json``.
    """
    errors: dict[str, list[str]] = {}
    try:
        agency_id, clinic_id = resolve_place(where, user=user)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if used_on is None:
        errors.setdefault("used_on", []).append("Enter the date the strategy was used (YYYY-MM-DD).")
    else:
        check_not_future(used_on, "used_on", "Date used", errors, today)
    try:
        validate_strategy_use(record, specification(), eric(), addressable_keys(cfir()))
    except StrategyRecordError as exc:
        errors_from_validator(exc.errors, errors)
    if errors:
        raise FieldErrors(errors)
    obj = obj or StrategyUse()
    obj.agency_id, obj.clinic_id, obj.used_on = agency_id, clinic_id, used_on
    for key in spec_fields():
        value = record.get(key)
        setattr(obj, key, value.strip() if isinstance(value, str) else value)
    obj.cfir_construct = obj.cfir_construct or None
    obj.recorded_by_id = recorded_by_id(user)
    db.session.add(obj)
    db.session.commit()
    return obj


@dataclass
class StrategyFilters:
    where: str = ""  # see places.place_clause
    cluster: str = ""
    cfir_domain: str = ""


def filter_choices(user=None) -> dict[str, list[tuple[str, str]]]:
    return {
        "where": where_filter_choices(user),
        "cluster": [("", "All ERIC clusters"), *cluster_labels().items()],
        "cfir_domain": [("", "All CFIR domains"), *((k, f"{k}. {v}") for k, v in cfir_domain_labels().items())],
    }


def list_strategies(filters: StrategyFilters, user=None) -> list[StrategyUse]:
    """Strategy uses in scope matching the filters, newest first. Unknown cluster/domain values are errors."""
    errors: dict[str, list[str]] = {}
    stmt = sa.select(StrategyUse).options(selectinload(StrategyUse.agency), selectinload(StrategyUse.clinic))
    try:
        stmt = stmt.where(place_clause(StrategyUse, filters.where, user))
    except FieldErrors as exc:
        errors.update(exc.errors)
    if filters.cluster:
        if filters.cluster not in cluster_labels():
            errors["cluster"] = [f"{filters.cluster!r} is not an ERIC cluster."]
        else:
            keys = [s["key"] for s in eric()["strategies"] if s["cluster"] == filters.cluster]
            stmt = stmt.where(StrategyUse.eric_strategy.in_(keys))
    if filters.cfir_domain:
        if filters.cfir_domain not in cfir_domain_labels():
            errors["cfir_domain"] = [f"{filters.cfir_domain!r} is not a CFIR 2.0 domain."]
        else:
            stmt = stmt.where(sa.or_(StrategyUse.cfir_construct == filters.cfir_domain,
                                     StrategyUse.cfir_construct.like(filters.cfir_domain + ".%")))
    if errors:
        raise FieldErrors(errors)
    stmt = stmt.order_by(StrategyUse.used_on.desc(), StrategyUse.id.desc())
    return list(db.session.execute(scoped(stmt, StrategyUse, acting_user(user))).scalars())


def strategy_table(rows: list[StrategyUse]) -> Table:
    """The strategy log as shown and exported: one row per use, every specification field."""
    by_key, clusters, constructs = eric_by_key(), cluster_labels(), cfir_by_key()
    domain_labels, outcomes = cfir_domain_labels(), outcome_labels()
    columns = [Column("Date used", "date"), Column("Where"), Column("ERIC strategy"), Column("ERIC cluster"),
               Column("Local name"), Column("Definition"), Column("Actor"), Column("Action"), Column("Action target"),
               Column("Temporality"), Column("Dose"), Column("Implementation outcomes"), Column("Justification"),
               Column("CFIR construct"), Column("CFIR domain")]
    table = Table("strategies", "Implementation strategy log (ERIC, specified per Proctor et al. 2013)", columns,
                  row_headers=False)
    for row in rows:
        strategy = by_key.get(row.eric_strategy, {"name": row.eric_strategy, "cluster": ""})
        construct = constructs.get(row.cfir_construct or "")
        table.rows.append([
            row.used_on, place_label(row.agency.code, row.clinic), strategy["name"],
            clusters.get(strategy["cluster"], strategy["cluster"]), row.name, row.definition, row.actor, row.action,
            row.action_target, row.temporality, row.dose,
            [outcomes.get(o, o) for o in (row.implementation_outcome or [])], row.justification,
            f"{construct['key']} {construct['name']}" if construct else (row.cfir_construct or ""),
            f"{construct['domain']}. {domain_labels[construct['domain']]}" if construct else "",
        ])
        table.row_ids.append(row.id)
    return table


def delete_strategy(row: StrategyUse) -> None:
    db.session.delete(row)
    db.session.commit()
