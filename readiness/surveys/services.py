"""Survey waves for a director: open a wave with respondent links, follow response rates, close it, score and
re-score its responses, and export them in REDCap's import format.

Every query of agency data goes through ``app.security.scoped``; writes commit once, at the end of each use case.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import contains_eager, selectinload

from app.db import db
from app.models import Agency, Clinic
from app.security import scoped
from readiness.redcap import export_records
from readiness.scoring import SCORING_RULE_VERSION, score_response
from readiness.surveys.library import instrument_for_ref
from readiness.surveys.models import (
    Instrument,
    Score,
    SurveyLink,
    SurveyResponse,
    SurveyWave,
    SurveyWaveInstrument,
)

MAX_LINKS = 300
DEFAULT_TIMEZONE = "America/New_York"  # the trial's clinics are in Massachusetts


class WaveInputError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def new_token() -> str:
    """An unguessable respondent token: 24 random bytes, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_today() -> date:
    """Today in the platform's time zone (``MIO_TIMEZONE``, default America/New_York): a wave is open from the
    start of ``opens_on`` to the end of ``closes_on`` there."""
    name = current_app.config.get("MIO_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    try:
        zone = ZoneInfo(name)
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


WAVE_STATUSES = ("scheduled", "open", "expired", "closed")


def wave_status(wave: SurveyWave, today: date | None = None) -> str:
    """``scheduled`` before ``opens_on``, ``open`` through ``closes_on``, ``expired`` after it, ``closed`` once the
    director closed it early."""
    today = today or survey_today()
    if wave.closed_at is not None:
        return "closed"
    if today < wave.opens_on:
        return "scheduled"
    return "expired" if today > wave.closes_on else "open"


def wave_status_clause(status: str, today: date | None = None):
    """The SQL condition of the waves whose :func:`wave_status` is ``status`` (the same rule, for a filter)."""
    today = today or survey_today()
    if status == "closed":
        return SurveyWave.closed_at.is_not(None)
    by_dates = {"scheduled": SurveyWave.opens_on > today, "expired": SurveyWave.closes_on < today,
                "open": sa.and_(SurveyWave.opens_on <= today, SurveyWave.closes_on >= today)}
    return sa.and_(SurveyWave.closed_at.is_(None), by_dates[status])


# --- reading ---------------------------------------------------------------------------------------------------


def clinics(user=None) -> list[Clinic]:
    return list(db.session.execute(
        scoped(sa.select(Clinic).where(Clinic.active.is_(True)).order_by(Clinic.code), Clinic, user)).scalars())


def waves_query(user=None, agency: Agency | None = None, clinic: Clinic | None = None, status: str | None = None,
                today: date | None = None) -> sa.Select:
    """The waves the user may see, newest first (ties broken by clinic and id, so pages are stable); each filter
    applies when given: one agency, one clinic, one :func:`wave_status`."""
    stmt = (sa.select(SurveyWave).join(Clinic)
            .options(contains_eager(SurveyWave.clinic),
                     selectinload(SurveyWave.wave_instruments).joinedload(SurveyWaveInstrument.instrument))
            .order_by(SurveyWave.opens_on.desc(), Clinic.code, SurveyWave.id.desc()))
    if agency is not None:
        stmt = stmt.where(Clinic.agency_id == agency.id)
    if clinic is not None:
        stmt = stmt.where(SurveyWave.clinic_id == clinic.id)
    if status is not None:
        stmt = stmt.where(wave_status_clause(status, today))
    return scoped(stmt, SurveyWave, user)


@dataclass(frozen=True)
class WaveStats:
    invited: int
    started: int
    submitted: int

    @property
    def in_progress(self) -> int:
        return self.started - self.submitted

    @property
    def response_rate(self) -> float | None:
        """Submitted links / links issued (AAPOR-style RR over the invited staff; None when no links)."""
        return self.submitted / self.invited if self.invited else None


def wave_stats(wave: SurveyWave) -> WaveStats:
    return wave_stats_by_id([wave.id])[wave.id]


def wave_stats_by_id(wave_ids: list[int]) -> dict[int, WaveStats]:
    """Links issued, started (opened or submitted) and submitted per wave, from one grouped query whatever the
    number of waves (lists and profiles of hundreds of them)."""
    started = sa.or_(SurveyLink.started_at.is_not(None), SurveyLink.submitted_at.is_not(None))
    stmt = (sa.select(SurveyLink.survey_wave_id, sa.func.count(),
                      sa.func.count(sa.case((started, 1))), sa.func.count(SurveyLink.submitted_at))
            .where(SurveyLink.survey_wave_id.in_(list(wave_ids))).group_by(SurveyLink.survey_wave_id))
    found = {wave_id: WaveStats(invited, begun, done) for wave_id, invited, begun, done in db.session.execute(stmt)}
    return {wave_id: found.get(wave_id, WaveStats(0, 0, 0)) for wave_id in wave_ids}


def role_counts(wave: SurveyWave, minimum: int) -> dict[str, int] | None:
    """Respondent roles among submitted links, or None when fewer than ``minimum`` submitted (confidentiality)."""
    roles = [link.respondent_role or "not given" for link in wave.links if link.submitted_at is not None]
    if len(roles) < minimum:
        return None
    return {role: roles.count(role) for role in sorted(set(roles))}


# --- writing ---------------------------------------------------------------------------------------------------


def create_wave(*, clinic: Clinic, title: str, instrument_refs: list[str], opens_on: date, closes_on: date,
                n_links: int, user=None, token_factory: Callable[[], str] = new_token) -> SurveyWave:
    """Open a wave for ``clinic`` with ``n_links`` respondent links; everything checked before anything is written.

    Only the tokens' hashes are stored: the plain tokens are on the returned object only, as
    ``wave.issued_tokens`` (link number -> token), to be shown once."""
    if not instrument_refs:
        raise WaveInputError("instruments", "Choose at least one instrument.")
    if closes_on < opens_on:
        raise WaveInputError("closes_on", "The closing date must be on or after the opening date.")
    if not 1 <= n_links <= MAX_LINKS:
        raise WaveInputError("n_links", f"Issue between 1 and {MAX_LINKS} links.")
    instruments = [instrument_for_ref(ref) for ref in dict.fromkeys(instrument_refs)]
    keys = [i.key for i in instruments]
    if len(set(keys)) != len(keys):
        raise WaveInputError("instruments", "Choose one version of each instrument.")
    wave = SurveyWave(clinic=clinic, title=title.strip(), opens_on=opens_on, closes_on=closes_on,
                      created_by_id=getattr(user, "id", None))
    for position, instrument in enumerate(instruments):
        wave.wave_instruments.append(SurveyWaveInstrument(instrument=instrument, position=position))
    issued = {}
    for number in range(1, n_links + 1):
        issued[number] = token_factory()
        wave.links.append(SurveyLink(number=number, token_hash=token_hash(issued[number])))
    db.session.add(wave)
    db.session.commit()
    wave.issued_tokens = issued  # not a column: kept on this object only (it outlives the commit's expiry)
    return wave


def reissue_links(wave: SurveyWave, numbers: Iterable[int] | None = None,
                  token_factory: Callable[[], str] = new_token) -> dict[int, str]:
    """New tokens for the links ``numbers`` (default: every link not yet submitted); their old links stop working.

    A respondent who had started keeps her saved answers: they belong to the link, which only changes its token.
    Submitted links are never re-issued (they only ever thank). Returns link number -> new plain token, to be shown
    once; raises ``WaveInputError`` naming a number that is not a link of this wave or already submitted."""
    by_number = {link.number: link for link in wave.links}
    if numbers is None:
        chosen = [link for link in wave.links if link.submitted_at is None]
    else:
        chosen = []
        for number in dict.fromkeys(numbers):
            link = by_number.get(number)
            if link is None:
                raise WaveInputError("numbers", f"This wave has no link number {number} (it has 1 to {len(by_number)}).")
            if link.submitted_at is not None:
                raise WaveInputError("numbers", f"Link {number} is already submitted; it is not re-issued.")
            chosen.append(link)
    issued = {}
    for link in sorted(chosen, key=lambda link: link.number):
        issued[link.number] = token_factory()
        link.token_hash = token_hash(issued[link.number])
    db.session.commit()
    return issued


def parse_link_numbers(text: str) -> list[int] | None:
    """``"1, 3-5"`` -> [1, 3, 4, 5]; empty -> None (every link not yet submitted). A bad part raises
    ``WaveInputError`` naming it."""
    if not text.strip():
        return None
    numbers: list[int] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()) or len(part) > 12:
            raise WaveInputError("numbers", f"“{part[:20]}” is not a link number or a range such as 3-5.")
        low, high = int(first), int(last) if dash else int(first)
        if high < low or high - low >= MAX_LINKS:
            raise WaveInputError("numbers", f"“{part}” is not a range from a lower to a higher link number.")
        numbers.extend(range(low, high + 1))
    return numbers


def close_wave(wave: SurveyWave) -> None:
    if wave.closed_at is None:
        wave.closed_at = datetime.now(UTC)
        db.session.commit()


# --- scoring: a separate, versioned step -----------------------------------------------------------------------


def score_values(response: SurveyResponse, rule_version: str | None = None) -> dict[str, dict]:
    """Rule-versioned subscale scores of one response's raw answers (:func:`readiness.scoring.score_response`)."""
    return score_response(response.instrument.definition, response.answers, rule_version or SCORING_RULE_VERSION)


def score_response_row(response: SurveyResponse, rule_version: str | None = None) -> None:
    """(Re)write the ``Score`` rows of a submitted response (no commit)."""
    existing = {s.subscale: s for s in response.scores}
    for subscale, result in score_values(response, rule_version).items():
        row = existing.pop(subscale, None) or Score(response=response, subscale=subscale)
        row.score, row.n_answered, row.n_items = result["score"], result["n_answered"], result["n_items"]
        row.rule_version, row.instrument_version = result["rule_version"], result["instrument_version"]
        db.session.add(row)
    for stale in existing.values():
        db.session.delete(stale)


def submitted_responses(wave: SurveyWave, user=None) -> list[SurveyResponse]:
    """One wave's submitted responses as ORM objects (scores, instrument and link loaded), for rescoring and
    exports; summaries read :func:`submitted_answers_by_wave`."""
    stmt = (sa.select(SurveyResponse).join(SurveyLink)
            .where(SurveyLink.survey_wave_id == wave.id, SurveyResponse.status == "submitted")
            .options(selectinload(SurveyResponse.scores), selectinload(SurveyResponse.instrument),
                     contains_eager(SurveyResponse.link))
            .order_by(SurveyLink.number, SurveyResponse.instrument_id))
    return list(db.session.execute(scoped(stmt, SurveyResponse, user)).scalars())


@dataclass(frozen=True)
class SubmittedAnswers:
    """What summaries read of one submitted response: its wave, instrument, raw answers and stored scores."""

    wave_id: int
    instrument_id: int
    answers: dict
    scores: dict[str, float | None]


def submitted_answers_by_wave(wave_ids: list[int], user=None) -> dict[int, list[SubmittedAnswers]]:
    """The submitted responses of each wave (by link number, then instrument) as plain records, in two queries
    however many waves: the readiness profile of every clinic reads tens of thousands of them, where building ORM
    objects would cost more than the statistics."""
    out: dict[int, list[SubmittedAnswers]] = {wave_id: [] for wave_id in wave_ids}
    if not wave_ids:
        return out
    submitted = (sa.select(SurveyResponse.id).join(SurveyLink)
                 .where(SurveyLink.survey_wave_id.in_(list(wave_ids)), SurveyResponse.status == "submitted"))
    submitted = scoped(submitted, SurveyResponse, user)
    scores: dict[int, dict[str, float | None]] = {}
    for response_id, subscale, value in db.session.execute(
            sa.select(Score.survey_response_id, Score.subscale, Score.score)
            .where(Score.survey_response_id.in_(submitted.scalar_subquery()))):
        scores.setdefault(response_id, {})[subscale] = value
    rows = db.session.execute(
        sa.select(SurveyResponse.id, SurveyLink.survey_wave_id, SurveyResponse.instrument_id, SurveyResponse.answers)
        .join(SurveyLink).where(SurveyResponse.id.in_(submitted.scalar_subquery()))
        .order_by(SurveyLink.survey_wave_id, SurveyLink.number, SurveyResponse.instrument_id))
    for response_id, wave_id, instrument_id, answers in rows:
        out[wave_id].append(SubmittedAnswers(wave_id, instrument_id, answers, scores.get(response_id, {})))
    return out


def rescore_wave(wave: SurveyWave, user=None) -> dict[str, int]:
    """:func:`rescore_responses` and commit."""
    counts = rescore_responses(wave, user)
    db.session.commit()
    return counts


def rescore_responses(wave: SurveyWave, user=None) -> dict[str, int]:
    """Score every submitted response again from its raw answers and its instrument's definition, each score under
    the rule version it was first scored with (no commit), and report how many stored numbers were reproduced
    exactly (they all should be, unless the response was moved onto a new version of its instrument)."""
    counts = {"responses": 0, "scores": 0, "identical": 0, "changed": 0, "new": 0}
    for response in submitted_responses(wave, user):
        counts["responses"] += 1
        stored = {s.subscale: (s.score, s.n_answered, s.rule_version) for s in response.scores}
        versions = {s.rule_version for s in response.scores} or {SCORING_RULE_VERSION}
        if len(versions) != 1:
            raise ValueError(f"response {response.id} mixes scoring rule versions {sorted(versions)}")
        rule_version = versions.pop()
        for subscale, result in score_values(response, rule_version).items():
            counts["scores"] += 1
            previous = stored.get(subscale)
            if previous is None:
                counts["new"] += 1
            elif previous == (result["score"], result["n_answered"], result["rule_version"]):
                counts["identical"] += 1
            else:
                counts["changed"] += 1
        score_response_row(response, rule_version)
    return counts


# --- exports ---------------------------------------------------------------------------------------------------


def record_id(wave: SurveyWave, link: SurveyLink) -> str:
    """A REDCap record id that names no one: clinic code, wave id and link number."""
    return f"{wave.clinic.code}-W{wave.id}-{link.number:03d}"


def redcap_records(wave: SurveyWave, instrument: Instrument, include_identifiers: bool = False,
                   user=None) -> str:
    """Submitted responses to one instrument of ``wave`` in REDCap's import CSV (``redcap_data_access_group`` =
    clinic code, ``field___code`` checkbox columns, ``<form>_complete`` = 2). Fields the dictionary marks as
    identifiers are left blank unless ``include_identifiers`` (REDCap's de-identified export does the same)."""
    definition = instrument.definition
    identifiers = set() if include_identifiers else {i["key"] for i in definition["items"] if i.get("identifier")}
    rows = []
    for response in submitted_responses(wave, user):
        if response.instrument_id != instrument.id:
            continue
        answers = {k: v for k, v in response.answers.items() if k not in identifiers}
        rows.append({"record_id": record_id(wave, response.link), "dag": wave.clinic.code, "answers": answers,
                     "complete": True})
    form = definition.get("redcap_form") or definition["key"]
    return export_records({**definition, "key": form}, rows)


def link_rows(wave: SurveyWave, urls: dict[int, str] | None = None) -> tuple[list[str], list[list]]:
    """The links of ``wave`` as CSV rows; with ``urls`` (link number -> URL, known only when just issued) the rows
    are those links' and carry the URL, else every link without it (only hashes are stored)."""
    common = ["status", "opens_on", "closes_on", "clinic"]
    if urls is None:
        return ["link_number", *common], [
            [link.number, link.status, wave.opens_on.isoformat(), wave.closes_on.isoformat(), wave.clinic.code]
            for link in wave.links
        ]
    return ["link_number", "url", *common], [
        [link.number, urls[link.number], link.status, wave.opens_on.isoformat(), wave.closes_on.isoformat(),
         wave.clinic.code]
        for link in wave.links if link.number in urls
    ]
