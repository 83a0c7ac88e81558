"""New versions of an imported instrument: the scoring a director defines in the platform, and moving waves onto it.

A REDCap data dictionary carries no scoring, so an imported instrument starts with no subscales: its answers are
stored and exported but never scored. :func:`define_scoring` stores the director's subscales (items, reverse
items, score method and answered share, R = MC^2 component) and don't-know code as a NEW version of the
instrument (the next minor version of the latest one), validated by the same
:func:`readiness.instruments.validate_definition` as the shipped files; the version existing responses were
collected and scored with is never rewritten. Its creation is an ``Instrument`` row, so it is in the audit trail.

Waves that asked another version with the very same items (question texts, options, branching: the respondents saw
exactly these questions) can move onto the new version: :func:`adopt_version` points the wave and its responses at
it and re-scores the submitted ones with :func:`readiness.surveys.services.rescore_responses`. A wave that asked
different items cannot: its answers belong to other questions (:func:`waves_of_key` says which items differ).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.db import db
from app.security import scoped
from readiness.instruments import validate_definition
from readiness.scoring import SCORING_RULE_VERSION
from readiness.surveys.library import InstrumentImportError
from readiness.surveys.models import Instrument, SurveyLink, SurveyResponse, SurveyWave, SurveyWaveInstrument
from readiness.surveys.services import rescore_responses


def versions_of(key: str) -> list[Instrument]:
    """Every stored version of an instrument key, oldest first."""
    return list(db.session.execute(
        sa.select(Instrument).where(Instrument.key == key).order_by(Instrument.id)).scalars())


def latest_version(instrument: Instrument) -> Instrument:
    return versions_of(instrument.key)[-1]


def next_minor_version(version: str) -> str:
    major, minor, _patch = (int(x) for x in version.split("."))
    return f"{major}.{minor + 1}.0"


def scoring_definition(base: dict, subscales: list[dict], dont_know_code, changes: str | None = None) -> dict:
    """``base`` with these subscales and don't-know code as the next minor version, checked by
    :func:`readiness.instruments.validate_definition` (raises ``InstrumentDefinitionError`` naming the field).
    Pure: nothing is stored."""
    definition = copy.deepcopy(base)
    definition["subscales"] = copy.deepcopy(subscales)
    definition.pop("dont_know_code", None)
    if dont_know_code is not None:
        definition["dont_know_code"] = dont_know_code
    definition["scoring_version"] = SCORING_RULE_VERSION
    version = next_minor_version(base["version"])
    definition["version"] = version
    summary = "; ".join(f"{s.get('key')} ({len(s.get('items') or [])} items)" for s in subscales) or "none"
    definition["history"] = [*base.get("history", []), {
        "version": version, "date": date.today().isoformat(),
        "changes": (changes or "").strip() or f"Scoring defined in the platform: subscales {summary}."}]
    return validate_definition(definition)


def define_scoring(base: Instrument, subscales: list[dict], dont_know_code=None, *, user=None,
                   changes: str | None = None) -> Instrument:
    """Store the scoring of an imported instrument as its next version and commit (see module docstring).

    Refused (:class:`InstrumentImportError`, nothing stored): a shipped instrument (its scoring is a data file), a
    version that is not the latest of its key, no subscale, or scoring identical to the base version's."""
    if base.source != "redcap":
        raise InstrumentImportError("", f"{base.key} is a shipped instrument: its scoring is its data file")
    latest = latest_version(base)
    if latest.id != base.id:
        raise InstrumentImportError("", f"version {base.version} is not the latest of {base.key}: define the "
                                        f"scoring on version {latest.version}")
    if not subscales:
        raise InstrumentImportError("subscales", "define at least one subscale (key, label and items)")
    definition = scoring_definition(base.definition, subscales, dont_know_code, changes)
    if (definition["subscales"] == base.definition["subscales"]
            and definition.get("dont_know_code") == base.definition.get("dont_know_code")):
        raise InstrumentImportError("", f"this scoring is the same as version {base.version}'s; nothing saved")
    row = Instrument(key=base.key, version=definition["version"], title=base.title, source=base.source,
                     definition=definition, imported_by_id=getattr(user, "id", None),
                     source_filename=base.source_filename)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InstrumentImportError("", f"version {definition['version']} of {base.key} was saved meanwhile; "
                                        "reload the page") from None
    return row


def differing_items(a: dict, b: dict) -> list[str]:
    """Keys of the items that are not word for word the same in two definitions (added, removed or changed),
    in order; empty when a respondent would have seen exactly the same questions."""
    items_a = {i["key"]: i for i in a["items"]}
    items_b = {i["key"]: i for i in b["items"]}
    keys = list(dict.fromkeys([*items_a, *items_b]))
    out = [k for k in keys if items_a.get(k) != items_b.get(k)]
    if not out and [i["key"] for i in a["items"]] != [i["key"] for i in b["items"]]:
        return ["(item order)"]
    return out


@dataclass(frozen=True)
class WaveOnVersion:
    wave: SurveyWave
    instrument: Instrument  # the version the wave asked
    n_submitted: int
    differing: list[str]  # empty: same items, the wave can move onto the target version

    @property
    def movable(self) -> bool:
        return not self.differing


def waves_of_key(target: Instrument, user=None) -> list[WaveOnVersion]:
    """The visible waves that asked another version of ``target``'s instrument, newest first, each with its
    submitted responses and the items that differ from ``target``."""
    stmt = (sa.select(SurveyWaveInstrument).join(Instrument).join(SurveyWave)
            .where(Instrument.key == target.key, Instrument.id != target.id)
            .options(selectinload(SurveyWaveInstrument.wave).joinedload(SurveyWave.clinic),
                     selectinload(SurveyWaveInstrument.instrument))
            .order_by(SurveyWave.opens_on.desc(), SurveyWave.id.desc()))
    rows = list(db.session.execute(scoped(stmt, SurveyWaveInstrument, user)).scalars())
    counts = dict(db.session.execute(
        sa.select(SurveyLink.survey_wave_id, sa.func.count(SurveyResponse.id)).join(SurveyResponse)
        .where(SurveyLink.survey_wave_id.in_([r.survey_wave_id for r in rows]),
               SurveyResponse.instrument_id.in_([r.instrument_id for r in rows]),
               SurveyResponse.status == "submitted")
        .group_by(SurveyLink.survey_wave_id)).all()) if rows else {}
    return [WaveOnVersion(r.wave, r.instrument, counts.get(r.survey_wave_id, 0),
                          differing_items(r.instrument.definition, target.definition)) for r in rows]


def adopt_version(target: Instrument, wave_ids: list[int], user=None) -> dict[str, int]:
    """Move the chosen waves onto ``target`` (they must have asked another version with the same items), point
    their responses at it, re-score their submitted responses under it, and commit once.

    Raises :class:`InstrumentImportError` (field ``waves``) before changing anything when a wave is not among
    :func:`waves_of_key` or asked different items. Returns the summed re-scoring counts plus ``waves``."""
    if not wave_ids:
        raise InstrumentImportError("waves", "choose at least one wave")
    candidates = {entry.wave.id: entry for entry in waves_of_key(target, user)}
    chosen = []
    for wave_id in dict.fromkeys(wave_ids):
        entry = candidates.get(wave_id)
        if entry is None:
            raise InstrumentImportError("waves", f"wave {wave_id} did not ask another version of {target.key}")
        if not entry.movable:
            raise InstrumentImportError("waves", f"wave {wave_id} asked version {entry.instrument.version}, whose "
                                                 f"items differ ({', '.join(entry.differing)}); it cannot be "
                                                 f"re-scored under version {target.version}")
        chosen.append(entry)
    totals = {"waves": 0, "responses": 0, "scores": 0, "identical": 0, "changed": 0, "new": 0}
    for entry in chosen:
        old_id = entry.instrument.id
        for wave_instrument in entry.wave.wave_instruments:
            if wave_instrument.instrument_id == old_id:
                wave_instrument.instrument = target
        responses = db.session.execute(
            sa.select(SurveyResponse).join(SurveyLink)
            .where(SurveyLink.survey_wave_id == entry.wave.id, SurveyResponse.instrument_id == old_id)).scalars()
        for response in responses:
            response.instrument = target
        db.session.flush()
        totals["waves"] += 1
        for name, value in rescore_responses(entry.wave, user).items():
            totals[name] += value
    db.session.commit()
    return totals
