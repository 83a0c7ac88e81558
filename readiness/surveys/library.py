"""The instrument library: shipped definition files plus instruments stored in the database.

- Shipped instruments are read from ``readiness/instruments/*.json`` (:mod:`readiness.instruments`); the first wave
  that uses one stores a snapshot row (``source = "shipped"``) so the wave keeps the exact definition it asked.
- REDCap data dictionaries are imported as new instruments (``source = "redcap"``): the whole file is parsed and
  validated first (:func:`readiness.redcap.parse_data_dictionary`, errors name row and column) and nothing is
  stored unless all of it is good. Re-importing a changed dictionary under the same key adds the next major
  version; an identical one is refused. Scoring defined in the platform adds the next minor version
  (:mod:`readiness.surveys.instrument_versions`). New waves are offered the latest version of each key.
- Any instrument exports as a REDCap data dictionary (form name = the REDCap form it came from, else its key).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.db import db
from readiness.instruments import (
    KEY,
    InstrumentDefinitionError,
    list_instruments,
    load_instrument,
    validate_definition,
)
from readiness.redcap import export_data_dictionary, parse_data_dictionary
from readiness.surveys.models import Instrument


class InstrumentImportError(ValueError):
    """An import refused for a reason outside the dictionary itself; ``field`` names the form field / option."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class LibraryEntry:
    key: str
    version: str
    title: str
    source: str  # shipped | redcap
    license: str
    n_items: int
    n_subscales: int
    ref: str  # value used in forms: "shipped:<key>@<version>" or "db:<id>"
    imported_by: str | None = None
    imported_at: str | None = None
    current: bool = True  # False: a later version of the same key exists (new waves ask the latest)


#: shipped instruments first in this order (the organisation, then Weiner et al.'s three measures as published)
PREFERRED_ORDER = ("oric", "aim", "iam", "fim")


def shipped_entries() -> list[LibraryEntry]:
    out = []
    rows = sorted(list_instruments(), key=lambda r: (
        PREFERRED_ORDER.index(r["key"]) if r["key"] in PREFERRED_ORDER else len(PREFERRED_ORDER), r["key"]))
    for row in rows:
        d = load_instrument(row["key"], row["version"])
        out.append(LibraryEntry(d["key"], d["version"], d["title"], "shipped", d["license"], len(d["items"]),
                                len(d["subscales"]), f"shipped:{d['key']}@{d['version']}"))
    return out


def imported_instruments() -> list[Instrument]:
    return list(db.session.execute(
        sa.select(Instrument).where(Instrument.source == "redcap").order_by(Instrument.key, Instrument.id)
    ).scalars())


def library() -> list[LibraryEntry]:
    """Every instrument a wave can use: shipped files, then REDCap imports."""
    entries = shipped_entries()
    rows = imported_instruments()
    latest = {row.key: row.id for row in rows}  # ordered by key, then id: the last one wins
    for row in rows:
        d = row.definition
        entries.append(LibraryEntry(row.key, row.version, row.title, "redcap", d.get("license") or "",
                                    len(d["items"]), len(d["subscales"]), f"db:{row.id}",
                                    row.imported_by.name if row.imported_by else None,
                                    row.created_at.strftime("%Y-%m-%d"), latest[row.key] == row.id))
    return entries


def find_definition(key: str, version: str) -> tuple[dict, str] | None:
    """``(definition, source)`` for an instrument key and version: a stored row first, else a shipped file."""
    row = db.session.execute(
        sa.select(Instrument).where(Instrument.key == key, Instrument.version == version)
    ).scalar_one_or_none()
    if row is not None:
        return row.definition, row.source
    try:
        return load_instrument(key, version), "shipped"
    except InstrumentDefinitionError:
        return None


def instrument_for_ref(ref: str) -> Instrument:
    """The ``Instrument`` row for a form choice value, storing a shipped snapshot when first used (flushed in a
    savepoint, not committed)."""
    kind, _, rest = ref.partition(":")
    if kind == "db" and rest.isdigit():
        row = db.session.get(Instrument, int(rest))
        if row is None:
            raise InstrumentImportError("instruments", f"no stored instrument {ref}")
        return row
    if kind == "shipped" and "@" in rest:
        key, version = rest.split("@", 1)
        row = db.session.execute(
            sa.select(Instrument).where(Instrument.key == key, Instrument.version == version)
        ).scalar_one_or_none()
        if row is not None:
            return row
        try:
            definition = load_instrument(key, version)
        except InstrumentDefinitionError:
            raise InstrumentImportError("instruments", f"no shipped instrument {key} {version}") from None
        row = Instrument(key=key, version=version, title=definition["title"], source="shipped",
                         definition=definition)
        try:
            with db.session.begin_nested():  # another request may store the same snapshot at the same moment
                db.session.add(row)
        except IntegrityError:
            return db.session.execute(
                sa.select(Instrument).where(Instrument.key == key, Instrument.version == version)).scalar_one()
        return row
    raise InstrumentImportError("instruments", f"unknown instrument choice {ref!r}")


def _next_version(previous: list[Instrument]) -> str:
    major = max(int(row.version.split(".")[0]) for row in previous)
    return f"{major + 1}.0.0"


def prepare_import(csv_text: str, key: str | None = None, title: str | None = None,
                   form: str | None = None) -> dict:
    """Parse and check a dictionary into the definition that would be stored; raises
    :class:`readiness.redcap.RedcapDictionaryError` (row and column) or :class:`InstrumentImportError`."""
    key = (key or "").strip() or None
    title = (title or "").strip() or None
    form = (form or "").strip() or None
    if key is not None and not KEY.match(key):
        raise InstrumentImportError("key", f"key {key!r} must start with a letter and use a-z, 0-9 and _")
    if title is not None and len(title) > 255:
        raise InstrumentImportError("title", "title must be at most 255 characters")
    definition = parse_data_dictionary(csv_text, form=form, title=title)
    redcap_form = definition["key"]
    final_key = key or redcap_form
    if final_key in {row["key"] for row in list_instruments()}:
        raise InstrumentImportError("key", f"key {final_key!r} belongs to a shipped instrument; choose another key")
    previous = list(db.session.execute(
        sa.select(Instrument).where(Instrument.key == final_key).order_by(Instrument.id)).scalars())
    if any(row.source != "redcap" for row in previous):
        raise InstrumentImportError("key", f"key {final_key!r} is already used; choose another key")
    definition = copy.deepcopy(definition)
    definition["key"] = final_key
    definition["redcap_form"] = redcap_form
    if previous:
        latest = previous[-1].definition
        if latest["items"] == definition["items"] and latest["title"] == definition["title"]:
            raise InstrumentImportError("file", f"this dictionary is identical to {final_key} version "
                                                f"{previous[-1].version}, already imported; nothing imported")
        version = _next_version(previous)
        definition["version"] = version
        definition["history"] = [*latest.get("history", []),
                                 {"version": version, "changes": "Re-imported from a changed REDCap data dictionary."}]
    return validate_definition(definition)


def import_dictionary(csv_text: str, *, key: str | None = None, title: str | None = None, form: str | None = None,
                      user=None, filename: str | None = None) -> Instrument:
    """Validate everything, then store one ``Instrument`` and commit; on any error nothing is stored."""
    definition = prepare_import(csv_text, key=key, title=title, form=form)
    row = Instrument(key=definition["key"], version=definition["version"], title=definition["title"],
                     source="redcap", definition=definition, imported_by_id=user.id if user is not None else None,
                     source_filename=(filename or None) and filename[:255])
    db.session.add(row)
    db.session.commit()
    return row


def decode_upload(data: bytes) -> str:
    """Dictionary bytes as text: UTF-8 (with or without BOM), as REDCap writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstrumentImportError(
            "file", f"the file is not UTF-8 text (byte {exc.start + 1}); save it as 'CSV UTF-8' and try again"
        ) from None


def dictionary_csv(definition: dict) -> str:
    """REDCap data dictionary CSV of ``definition``, under the REDCap form name it was imported from."""
    form = definition.get("redcap_form") or definition["key"]
    return export_data_dictionary({**definition, "key": form})

