"""Factories for tests: explicit ones for the organisation, and a generic one that can build a row of any model
(filling required columns by type and creating parents through foreign keys), so the isolation walk covers every
agency-owned table without anyone writing a factory for it. Models whose constraints the generic filler cannot
satisfy register an override in ``OVERRIDES``."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import sqlalchemy as sa

from app.db import db
from app.models import Agency, Clinic, Person, Role, User

_counter = itertools.count(1)
_HASHES: dict[str, str] = {}

#: model name -> callable(factories, agency, clinic, marker, cache) -> dict of column values
OVERRIDES: dict[str, Callable[..., dict]] = {
    "User": lambda f, agency, clinic, marker, cache: {
        "role": "analyst", "email": f"{marker.lower()}{next(_counter)}@example.org",
    },
}


def password_hash_for(password: str) -> str:
    """A real argon2id hash with cheap parameters: verification reads the parameters from the hash, so test sign-ins
    stay fast while going through the same code as production (which hashes with argon2-cffi's defaults)."""
    if password not in _HASHES:
        from argon2 import PasswordHasher

        _HASHES[password] = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(password)
    return _HASHES[password]


class Factories:
    def __init__(self, password: str):
        self.password = password

    def agency(self, name: str | None = None, code: str | None = None, **kw) -> Agency:
        n = next(_counter)
        agency = Agency(name=name or f"Agency {n}", code=code or f"AG{n}", **kw)
        db.session.add(agency)
        db.session.commit()
        return agency

    def clinic(self, agency: Agency | None = None, code: str | None = None, name: str | None = None, **kw) -> Clinic:
        agency = agency or self.agency()
        n = next(_counter)
        clinic = Clinic(agency=agency, code=code or f"{agency.code}-{n}", name=name or f"Clinic {n}", **kw)
        db.session.add(clinic)
        db.session.commit()
        return clinic

    def user(self, role: str = Role.DIRECTOR, agency: Agency | None = None, email: str | None = None, **kw) -> User:
        if role in Role.AGENCY_BOUND and agency is None:
            agency = self.agency()
        n = next(_counter)
        user = User(email=email or f"user{n}@example.org", name=kw.pop("name", f"User {n}"), role=role, agency=agency,
                    password_hash=password_hash_for(kw.pop("password", self.password)), **kw)
        db.session.add(user)
        db.session.commit()
        return user

    def person(self, clinic: Clinic | None = None, kind: str = "counselor", **kw) -> Person:
        clinic = clinic or self.clinic()
        n = next(_counter)
        person = Person(clinic=clinic, kind=kind, display_name=kw.pop("display_name", f"Person {n}"), **kw)
        db.session.add(person)
        db.session.commit()
        return person

    # --- generic ---------------------------------------------------------------------------------------------
    def generic(self, model, agency: Agency, clinic: Clinic, marker: str, cache: dict | None = None):
        """A committed row of ``model`` owned by ``agency``/``clinic``, strings carrying ``marker``."""
        cache = {} if cache is None else cache
        if model is Agency:
            return agency
        if model is Clinic:
            return clinic
        if model in cache:
            return cache[model]
        values: dict = {}
        override = OVERRIDES.get(model.__name__)
        if override:
            values.update(override(self, agency, clinic, marker, cache))
        for column in model.__table__.columns:
            if column.key in values or column.primary_key:
                continue
            if column.foreign_keys:
                target = next(iter(column.foreign_keys)).column.table
                parent_model = _model_for_table(target)
                if column.nullable and parent_model not in (Agency, Clinic, Person):
                    continue
                parent = self.generic(parent_model, agency, clinic, marker, cache)
                values[column.key] = sa.inspect(parent).identity[0]
            elif not column.nullable and column.default is None and column.server_default is None:
                values[column.key] = _dummy(column, marker)
            elif isinstance(column.type, sa.String | sa.Text) and column.nullable:
                values[column.key] = _dummy(column, marker)
        obj = model(**values)
        db.session.add(obj)
        db.session.commit()
        cache[model] = obj
        return obj


def _model_for_table(table):
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    raise LookupError(f"no model for table {table.name}")


def _dummy(column, marker: str):
    t = column.type
    if isinstance(t, sa.Boolean):
        return False
    if isinstance(t, sa.Integer):
        return 1
    if isinstance(t, sa.Float | sa.Numeric):
        return 1.0
    if isinstance(t, sa.DateTime) or getattr(t, "impl", None).__class__ is sa.DateTime:
        return dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    if isinstance(t, sa.Date):
        return dt.date(2026, 3, 1)
    if isinstance(t, sa.JSON):
        return {}
    if isinstance(t, sa.String | sa.Text):
        length = getattr(t, "length", None) or 200
        return f"{marker}{next(_counter)}"[:length]
    raise TypeError(f"generic factory cannot fill {column.table.name}.{column.key} ({t}); add an override")


def _load_overrides() -> None:
    """Feature packages register overrides in tests/factory_overrides_<package>.py; import them all."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("factory_overrides_*.py")):
        importlib.import_module(f"tests.{path.stem}")


_load_overrides()
