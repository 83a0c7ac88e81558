"""Fidelity: the versioned scheme, coding assignments (primary + a double-coded share), coder and self-reflection
ratings, and the clinic figures (coverage, adequacy, ICC(2,1), run charts, self vs coder).

Coder ratings and counselors' self-reflection ratings are different sources: they are stored with ``source`` and
analysed apart (``fidelity.fidelity_coverage`` and the ICC count coder ratings only; ``compare_sources`` shows
the two side by side).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.jobs import enqueue
from app.models import Role, User
from app.security import get_scoped_or_404, scoped
from implementation_outcomes.delivery.models import (
    CodingAssignment,
    FidelityRating,
    FidelityScheme,
    MioSession,
    SessionRecording,
    TrainingCaseSession,
)
from implementation_outcomes.delivery.screening_log import free_text_problem
from implementation_outcomes.delivery.services import summaries
from implementation_outcomes.delivery.services.common import (
    DeliveryError,
    current_scheme,
    ensure_settings_row,
)
from implementation_outcomes.errors import FidelitySchemeError, RatingError
from implementation_outcomes.metrics import double_coding_sample, validate_rating, validate_scheme

SESSION_MODELS = {"mio": MioSession, "training": TrainingCaseSession}
_SCALE_RE = re.compile(r"^scale '(\w+)': (.*)$")


# --- scheme -------------------------------------------------------------------------------------------------


def parse_scheme_text(text: str) -> dict[str, Any]:
    """JSON text -> scheme dict, or ``FidelitySchemeError`` naming the line and column of a syntax error."""
    try:
        scheme = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FidelitySchemeError(f"$ (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    validate_scheme(scheme)
    return scheme


def save_scheme(scheme: dict[str, Any], note: str | None, user: User) -> FidelityScheme:
    """Store a validated scheme as the next version; earlier ratings keep the version they were made with."""
    validate_scheme(scheme)
    version, _ = current_scheme()
    row = FidelityScheme(version=version + 1, scheme=scheme, note=(note or "").strip() or None, created_by_id=user.id)
    db.session.add(row)
    db.session.commit()
    # every stored figure was computed under the previous scheme (their fingerprints name its version): recompute
    enqueue("fidelity.refresh_summaries", {}, "Recompute the stored fidelity figures (new scheme)", user.id)
    return row


def structured_scheme(base: dict[str, Any], form_values: dict[str, Any]) -> dict[str, Any]:
    """Apply the structured form (labels, groups, ranges and the rule's condition values) to a copy of ``base``."""
    scheme = json.loads(json.dumps(base))
    scheme["title"] = form_values.get("title") or scheme.get("title")
    scheme["rating_range"] = {"min": form_values["range_min"], "max": form_values["range_max"]}
    for g in scheme["groups"]:
        g["label"] = form_values.get(f"group_{g['key']}_label", g["label"])
    for s in scheme["scales"]:
        s["label"] = form_values.get(f"scale_{s['key']}_label", s["label"])
        s["group"] = form_values.get(f"scale_{s['key']}_group", s["group"])
    for i, condition in enumerate(rule_conditions(scheme["adequacy_rule"])):
        condition["op"] = form_values.get(f"rule_{i}_op", condition.get("op"))
        condition["value"] = form_values.get(f"rule_{i}_value", condition.get("value"))
    return scheme


def rule_conditions(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaf conditions of an adequacy rule, in order (the structured form edits their op and value)."""
    if "all_of" in node or "any_of" in node:
        return [leaf for child in node.get("all_of", node.get("any_of", [])) for leaf in rule_conditions(child)]
    return [node]


# --- assignments --------------------------------------------------------------------------------------------


def active_coders() -> list[User]:
    stmt = sa.select(User).where(User.role == Role.FIDELITY_CODER, User.active.is_(True)).order_by(User.id)
    return list(db.session.execute(stmt).scalars())


def recorded_sessions(user=None, clinic_id: int | None = None) -> list[MioSession | TrainingCaseSession]:
    """Attended, audio-recorded sessions (trial and training), oldest first."""
    out: list = []
    for model in (MioSession, TrainingCaseSession):
        stmt = sa.select(model).where(model.status == "attended", model.audio_recorded.is_(True))
        if clinic_id is not None:
            stmt = stmt.where(model.clinic_id == clinic_id)
        out.extend(db.session.execute(scoped(stmt, model, user)).scalars())
    return sorted(out, key=lambda s: (s.session_date, s.kind, s.id))


def session_key(session) -> str:
    return f"{session.kind}:{session.id}"


def _assignments(user=None) -> list[CodingAssignment]:
    return list(db.session.execute(scoped(sa.select(CodingAssignment), CodingAssignment, user)).scalars())


def assign_coding(user=None) -> dict[str, int]:
    """Give every recorded session without a coder to one (the least loaded, ties by account order), and a second,
    different coder to the double-coding sample of this batch.

    The sample is ``fidelity.double_coding_sample`` over the batch's session keys with the director's share and the
    seed ``<deployment seed>:<batch>`` (stored settings; the batch number is kept on each assignment for audit).
    Returns ``{assigned, double_coded, batch}``; ``DeliveryError`` (nothing written) without coders.
    """
    coders = active_coders()
    assignments = _assignments(user)
    taken = {a.session_key for a in assignments}
    new = [s for s in recorded_sessions(user) if session_key(s) not in taken]
    if not new:
        return {"assigned": 0, "double_coded": 0, "batch": 0}
    if not coders:
        raise DeliveryError("there is no active fidelity coder account; an administrator creates one first")
    settings_row = ensure_settings_row()
    batch = max((a.batch for a in assignments), default=0) + 1
    sample = set(double_coding_sample([session_key(s) for s in new], settings_row.double_coding_share,
                                      f"{settings_row.double_coding_seed}:{batch}"))
    if sample and len(coders) < 2:
        db.session.rollback()
        raise DeliveryError("double coding needs at least two active fidelity coders (or set the double-coded share "
                            "to 0 in the settings)")
    load = Counter(a.coder_id for a in assignments)
    for s in new:
        primary = min(coders, key=lambda c: (load[c.id], c.id))
        _assign(s, primary, "primary", batch)
        load[primary.id] += 1
        if session_key(s) in sample:
            second = min((c for c in coders if c.id != primary.id), key=lambda c: (load[c.id], c.id))
            _assign(s, second, "second", batch)
            load[second.id] += 1
    summaries.refresh_clinics({s.clinic_id for s in new})
    db.session.commit()
    return {"assigned": len(new), "double_coded": len(sample), "batch": batch}


def _assign(session, coder: User, role: str, batch: int) -> None:
    column = "mio_session_id" if session.kind == "mio" else "training_case_session_id"
    db.session.add(CodingAssignment(clinic_id=session.clinic_id, coder_id=coder.id, role=role, batch=batch,
                                    **{column: session.id}))


def _session_meta(session) -> dict[str, Any]:
    """Only what a coder needs to rate: study ID (or training-case label), counselor, session number, date."""
    if session.kind == "mio":
        subject = session.participant.study_id
    else:
        subject = f"{session.case_label} (training case {session.training_case})"
    return {"kind": session.kind, "session_id": session.id, "subject": subject,
            "counselor": session.counselor.display_name, "session_number": session.session_number,
            "session_date": session.session_date}


def coder_queue(coder: User) -> dict[str, list[dict[str, Any]]]:
    """The coder's assigned sessions split into ``to_rate`` and ``rated`` (metadata only, and whether the platform
    holds the session's recording)."""
    stmt = (sa.select(CodingAssignment).where(CodingAssignment.coder_id == coder.id)
            .options(sa.orm.selectinload(CodingAssignment.mio_session).selectinload(MioSession.participant),
                     sa.orm.selectinload(CodingAssignment.mio_session).selectinload(MioSession.counselor),
                     sa.orm.selectinload(CodingAssignment.training_case_session)
                     .selectinload(TrainingCaseSession.counselor)))
    assignments = list(db.session.execute(scoped(stmt, CodingAssignment, coder)).scalars())
    done = {r.session_key for r in db.session.execute(scoped(
        sa.select(FidelityRating).where(FidelityRating.coder_id == coder.id, FidelityRating.source == "coder"),
        FidelityRating, coder)).scalars()}
    heard = {r.session_key for r in db.session.execute(scoped(sa.select(SessionRecording).where(sa.or_(
        SessionRecording.mio_session_id.in_([a.mio_session_id for a in assignments if a.mio_session_id]),
        SessionRecording.training_case_session_id.in_(
            [a.training_case_session_id for a in assignments if a.training_case_session_id]))),
        SessionRecording, coder)).scalars()}
    to_rate, rated = [], []
    for a in assignments:
        meta = {**_session_meta(a.session), "recording": a.session_key in heard}
        (rated if a.session_key in done else to_rate).append(meta)
    key = lambda m: (m["session_date"], m["kind"], m["session_id"])  # noqa: E731
    return {"to_rate": sorted(to_rate, key=key), "rated": sorted(rated, key=key, reverse=True)}


def next_to_rate(coder: User, after) -> dict[str, Any] | None:
    """The session the coder rates next after ``after`` ("save and next"): the first unrated session of their queue
    that comes after it in the queue's order (oldest first), else the first unrated one; ``None`` when none is
    left."""
    to_rate = [m for m in coder_queue(coder)["to_rate"] if (m["kind"], m["session_id"]) != (after.kind, after.id)]
    here = (after.session_date, after.kind, after.id)
    later = [m for m in to_rate if (m["session_date"], m["kind"], m["session_id"]) > here]
    return (later or to_rate or [None])[0]


def session_for_coder(kind: str, session_id: int, coder: User):
    """The session if ``coder`` is assigned to it (404 outside scope, 403-worthy ``None`` when not assigned)."""
    model = SESSION_MODELS[kind]
    session = get_scoped_or_404(model, session_id, coder)
    column = CodingAssignment.mio_session_id if kind == "mio" else CodingAssignment.training_case_session_id
    assigned = db.session.execute(sa.select(CodingAssignment.id).where(
        column == session.id, CodingAssignment.coder_id == coder.id)).first()
    return session, assigned is not None


def session_meta(session) -> dict[str, Any]:
    return _session_meta(session)


def _existing_rating(session, source: str, coder_id: int | None) -> FidelityRating | None:
    column = FidelityRating.mio_session_id if session.kind == "mio" else FidelityRating.training_case_session_id
    stmt = sa.select(FidelityRating).where(column == session.id, FidelityRating.source == source)
    if source == "coder":
        stmt = stmt.where(FidelityRating.coder_id == coder_id)
    return db.session.execute(stmt).scalars().first()


def existing_scores(session, source: str, coder_id: int | None) -> dict[str, Any] | None:
    rating = _existing_rating(session, source, coder_id)
    return dict(rating.scores) if rating else None


def parse_scores(scheme: dict[str, Any], raw: dict[str, Any]) -> dict[str, float]:
    """Form strings -> numbers, then ``fidelity.validate_rating`` (all scales, within range); ``DeliveryError``
    by scale key."""
    errors: dict[str, str] = {}
    scores: dict[str, float] = {}
    for s in scheme["scales"]:
        text = str(raw.get(s["key"]) or "").strip()
        if not text:
            errors[s["key"]] = "choose a rating"
            continue
        try:
            value = float(text)
        except ValueError:
            errors[s["key"]] = f"{text!r} is not a number"
            continue
        scores[s["key"]] = int(value) if value.is_integer() else value
    try:
        validate_rating(scheme, scores, allow_missing=True)
    except RatingError as exc:
        for message in exc.errors:
            match = _SCALE_RE.match(message)
            errors.setdefault(match.group(1) if match else "", match.group(2) if match else message)
    if errors:
        raise DeliveryError(errors)
    return scores


NOTE_MAX = 2000


def note_field(key: str) -> str:
    """The form field of a scale's note (``note_<scale key>``)."""
    return f"note_{key}"


def parse_notes(scheme: dict[str, Any], raw: dict[str, Any]) -> tuple[dict[str, str], str | None, dict[str, str]]:
    """A note per scale (``note_<key>``) and one on the session (``session_note``), trimmed, blank ones dropped,
    each at most ``NOTE_MAX`` characters and holding no identifier (``screening_log.free_text_problem``). Returns (scale notes, session note, errors by field)."""
    errors: dict[str, str] = {}
    notes: dict[str, str] = {}
    for s in scheme["scales"]:
        text = str(raw.get(note_field(s["key"])) or "").strip()
        if len(text) > NOTE_MAX:
            errors[note_field(s["key"])] = f"the note is {len(text):,} characters; at most {NOTE_MAX:,}"
        elif problem := free_text_problem(text):
            errors[note_field(s["key"])] = problem
        elif text:
            notes[s["key"]] = text
    session_note = str(raw.get("session_note") or "").strip()
    if len(session_note) > NOTE_MAX:
        errors["session_note"] = f"the note is {len(session_note):,} characters; at most {NOTE_MAX:,}"
    elif problem := free_text_problem(session_note):
        errors["session_note"] = problem
    return notes, session_note or None, errors


def existing_notes(session, source: str, coder_id: int | None) -> dict[str, str]:
    """The stored notes as form values (``note_<key>`` and ``session_note``)."""
    rating = _existing_rating(session, source, coder_id)
    if rating is None:
        return {}
    values = {note_field(k): v for k, v in (rating.scale_notes or {}).items()}
    if rating.session_note:
        values["session_note"] = rating.session_note
    return values


def save_rating(session, source: str, raw: dict[str, Any], user: User, rated_on: date | None = None) -> FidelityRating:
    """Store (or replace) a coder's rating of a session, or a counselor's self-reflection rating of a training-case
    session entered by ``user`` on the counselor's behalf, with the notes (``parse_notes``) found in ``raw``.
    Validated against the current scheme; nothing is saved unless every rating and note is valid."""
    if source == "self" and session.kind != "training":
        raise DeliveryError("self-reflection ratings belong to training-case sessions")
    if not session.recorded and source == "coder":
        raise DeliveryError("only attended, recorded sessions are coded")
    version, scheme = current_scheme()
    notes, session_note, note_errors = parse_notes(scheme, raw)
    try:
        scores = parse_scores(scheme, raw)
    except DeliveryError as exc:
        raise DeliveryError({**exc.errors, **note_errors}) from exc
    if note_errors:
        raise DeliveryError(note_errors)
    coder_id = user.id if source == "coder" else None
    rating = _existing_rating(session, source, coder_id)
    if rating is None:
        column = "mio_session_id" if session.kind == "mio" else "training_case_session_id"
        rating = FidelityRating(clinic_id=session.clinic_id, source=source, coder_id=coder_id, **{column: session.id})
        db.session.add(rating)
    rating.entered_by_id = user.id
    rating.scheme_version = version
    rating.scores = scores
    rating.scale_notes = notes or None
    rating.session_note = session_note
    rating.rated_on = rated_on or date.today()
    summaries.refresh_clinics([session.clinic_id])  # the clinic's stored overview figures, same transaction
    db.session.commit()
    return rating


def coder_workload(user=None) -> list[dict[str, Any]]:
    """Per coder: sessions assigned (primary, second) and rated; the backlog is assigned minus rated. Counted in
    the database (one grouped query per session kind), whatever the number of assignments."""
    counts: dict[int, dict[str, int]] = {}
    for assigned_to, rated_by in ((CodingAssignment.mio_session_id, FidelityRating.mio_session_id),
                                  (CodingAssignment.training_case_session_id, FidelityRating.training_case_session_id)):
        rating = sa.and_(FidelityRating.coder_id == CodingAssignment.coder_id, FidelityRating.source == "coder",
                         rated_by == assigned_to)
        stmt = (sa.select(CodingAssignment.coder_id, CodingAssignment.role, sa.func.count(sa.distinct(CodingAssignment.id)),
                          sa.func.count(sa.distinct(sa.case((FidelityRating.id.is_not(None), CodingAssignment.id)))))
                .outerjoin(FidelityRating, rating).where(assigned_to.is_not(None))
                .group_by(CodingAssignment.coder_id, CodingAssignment.role))
        for coder_id, role, assigned, done in db.session.execute(scoped(stmt, CodingAssignment, user)):
            own = counts.setdefault(coder_id, {"primary": 0, "second": 0, "rated": 0})
            own[role] += assigned
            own["rated"] += done
    rows = []
    for coder in active_coders():
        own = counts.get(coder.id, {"primary": 0, "second": 0, "rated": 0})
        assigned = own["primary"] + own["second"]
        rows.append({"coder": coder.name, "primary": own["primary"], "second": own["second"], "rated": own["rated"],
                     "backlog": assigned - own["rated"]})
    return rows


def unassigned_count(user=None) -> int:
    """Recorded sessions (trial and training) that no coder has been assigned, counted in the database."""
    total = 0
    for model, column in ((MioSession, CodingAssignment.mio_session_id),
                          (TrainingCaseSession, CodingAssignment.training_case_session_id)):
        taken = sa.exists().where(column == model.id)
        stmt = (sa.select(sa.func.count()).select_from(model)
                .where(model.status == "attended", model.audio_recorded.is_(True), ~taken))
        total += db.session.execute(scoped(stmt, model, user)).scalar_one()
    return total


def self_rated_session_ids(clinic, user=None) -> set[int]:
    """Training-case sessions of ``clinic`` that already have a self-reflection rating."""
    stmt = sa.select(FidelityRating.training_case_session_id).where(FidelityRating.clinic_id == clinic.id,
                                                                    FidelityRating.source == "self")
    return set(db.session.execute(scoped(stmt, FidelityRating, user)).scalars())


def fidelity_overview(user=None) -> dict[str, Any]:
    """Every clinic in scope together: the figures of ``fidelity_figures``, coders' workload and the sessions still
    waiting for a coder."""
    from implementation_outcomes.delivery.services.fidelity_figures import overview_figures

    return {"figures": overview_figures(user), "workload": coder_workload(user),
            "unassigned": unassigned_count(user)}
