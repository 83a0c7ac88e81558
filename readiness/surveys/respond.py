"""The respondent's side of a wave: a link (no account) gives a role, saves drafts page by page, and submits once.

The token is the respondent's only credential, so these look-ups are deliberately not ``scoped()`` to a user:
a link is found by the SHA-256 of its token (no timing signal about the token itself; only the hash is
stored). Answers are stored raw (typed by :mod:`readiness.answers`), with the
answers to items hidden by branching logic dropped (:func:`readiness.branching.prune_hidden`); validation is
:func:`readiness.scoring.validate_answers`. Submission is idempotent per link: a conditional UPDATE lets exactly
one request mark the link submitted, and responses are unique per link and instrument.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.audit import acting_as
from app.db import db
from readiness.answers import coerce_answers
from readiness.branching import prune_hidden
from readiness.scoring import validate_answers
from readiness.surveys.layout import answered, raw_from_form
from readiness.surveys.models import RESPONDENT_ROLES, Instrument, SurveyLink, SurveyResponse
from readiness.surveys.services import score_response_row, survey_today, token_hash, wave_status

MAX_TOKEN_LENGTH = 64


class IncompleteSubmission(ValueError):
    """Submitting a link whose pages still have problems; ``problems`` maps instrument id -> {item: message}."""

    def __init__(self, problems: dict[int, dict[str, str]]):
        self.problems = problems
        super().__init__(f"{len(problems)} instrument(s) incomplete")


def link_for_token(token: str) -> SurveyLink | None:
    """The link holding ``token``, or None (unknown, malformed)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    link = db.session.execute(
        sa.select(SurveyLink).where(SurveyLink.token_hash == token_hash(token))
    ).scalar_one_or_none()
    return link


def link_state(link: SurveyLink) -> str:
    """``submitted`` first (a used link always thanks), else the wave's status (open/scheduled/closed/expired)."""
    if link.submitted_at is not None:
        return "submitted"
    return wave_status(link.wave, survey_today())


def _actor(link: SurveyLink) -> str:
    return f"survey-link:{link.survey_wave_id}/{link.number}"


def set_role(link: SurveyLink, role: str) -> None:
    if role not in RESPONDENT_ROLES:
        raise ValueError(f"unknown role {role!r}")
    with acting_as(_actor(link)):
        link.respondent_role = role
        link.started_at = link.started_at or datetime.now(UTC)
        db.session.commit()


def response_for(link: SurveyLink, instrument: Instrument) -> SurveyResponse | None:
    return next((r for r in link.responses if r.instrument_id == instrument.id), None)


def saved_answers(link: SurveyLink, instrument: Instrument) -> dict:
    response = response_for(link, instrument)
    return dict(response.answers) if response else {}


def check_page(definition: dict, form) -> tuple[dict, dict[str, str]]:
    """Typed, pruned answers of one instrument page and ``{item: message}`` (empty when valid)."""
    answers = coerce_answers(definition, raw_from_form(definition, form))
    answers = {k: v for k, v in prune_hidden(definition, answers).items() if answered(v)}
    return answers, validate_answers(definition, answers)


def save_page(link: SurveyLink, instrument: Instrument, form, *, complete: bool) -> dict[str, str]:
    """Validate one page and, when acceptable, store it as the link's draft for that instrument.

    A draft ("save and come back") may leave required questions blank but no answer may be invalid;
    ``complete=True`` (moving on) also needs the required ones. Returns the problems; nothing is stored if any."""
    answers, errors = check_page(instrument.definition, form)
    if not complete:
        errors = {k: v for k, v in errors.items() if v != "required"}
    if errors:
        return errors
    with acting_as(_actor(link)):
        response = response_for(link, instrument)
        if response is None:
            response = SurveyResponse(link=link, instrument=instrument, answers=answers, status="draft")
            db.session.add(response)
        else:
            response.answers = answers
        link.started_at = link.started_at or datetime.now(UTC)
        db.session.commit()
    return {}


def problems(link: SurveyLink) -> dict[int, dict[str, str]]:
    """Per instrument id, what still stops submission (required answers missing, invalid answers)."""
    out = {}
    for instrument in link.wave.instruments:
        errors = validate_answers(instrument.definition, saved_answers(link, instrument))
        if errors:
            out[instrument.id] = errors
    return out


def submit(link: SurveyLink) -> bool:
    """Submit every instrument of the link and score it; True if this call submitted, False if it already was.

    Raises :class:`IncompleteSubmission` when a page still has problems (nothing changes then)."""
    if link.submitted_at is not None:
        return False
    found = problems(link)
    if found:
        raise IncompleteSubmission(found)
    now = datetime.now(UTC)
    with acting_as(_actor(link)):
        claimed = db.session.execute(
            sa.update(SurveyLink).where(SurveyLink.id == link.id, SurveyLink.submitted_at.is_(None))
            .values(submitted_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:  # another request submitted this link first
            db.session.rollback()
            return False
        for instrument in link.wave.instruments:
            response = response_for(link, instrument)
            if response is None:  # an instrument with no required items, left blank
                response = SurveyResponse(link=link, instrument=instrument, answers={})
                db.session.add(response)
            response.status, response.submitted_at = "submitted", now
            score_response_row(response)
        db.session.commit()
    db.session.refresh(link)
    return True
