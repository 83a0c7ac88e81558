"""MIO sessions with trial mothers, training-case sessions and consultation calls (the feasibility figures built on
them are in ``feasibility``).

Session rows are checked by ``feasibility.validate_sessions`` (one copy of the rules: number 1..12, not before
randomization, no attended session number twice, mother in MIO + TAU); its messages are mapped onto form fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, Person
from app.security import scoped
from implementation_outcomes.delivery.models import (
    MODALITIES,
    SESSION_STATUSES,
    ConsultationCall,
    FidelityRating,
    MioSession,
    TrainingCaseSession,
    TrialParticipant,
)
from implementation_outcomes.delivery.services.common import (
    DeliveryError,
    counselor_in_clinic,
    in_period,
)
from implementation_outcomes.delivery.services.screening import mio_mothers
from implementation_outcomes.errors import SessionDataError
from implementation_outcomes.metrics import (
    validate_sessions,
)

_ROW_FIELD_RE = re.compile(r"^session row (\d+), field '(\w+)': (.*)$")
_PURE_TO_FORM = {"mother_id": "participant_id", "date": "session_date", "session_number": "session_number",
                 "duration_minutes": "duration_minutes"}


def mio_sessions_query(clinic: Clinic, user=None, participant: TrialParticipant | None = None,
                       date_from: date | None = None, date_to: date | None = None, counselor: Person | None = None,
                       status: str | None = None) -> sa.Select:
    """The clinic's MIO sessions by mother, number and date (ties broken by id, so pages are stable); each filter
    applies when given: one mother, a period (inclusive), one counselor, one status."""
    # the participant filter is implied (a session's mother is at its clinic) but lets PostgreSQL read only this
    # clinic's screening log by index instead of hashing every mother (see `mio explain-hot-queries`)
    stmt = (sa.select(MioSession).join(MioSession.participant)
            .where(MioSession.clinic_id == clinic.id, TrialParticipant.clinic_id == clinic.id)
            .options(sa.orm.contains_eager(MioSession.participant), sa.orm.selectinload(MioSession.counselor))
            .order_by(TrialParticipant.study_id, MioSession.session_number, MioSession.session_date, MioSession.id))
    if participant is not None:
        stmt = stmt.where(MioSession.participant_id == participant.id)
    if counselor is not None:
        stmt = stmt.where(MioSession.counselor_id == counselor.id)
    if status is not None:
        stmt = stmt.where(MioSession.status == status)
    stmt = in_period(stmt, MioSession.session_date, date_from, date_to)
    return scoped(stmt, MioSession, user)


class _Mother(NamedTuple):
    study_id: str


@dataclass(frozen=True)
class MioSessionRow:
    """What the feasibility figures read of a MIO session, as a plain row: the same attributes as ``MioSession``
    (``participant.study_id``, ``attended``, ``recorded``) without building an ORM object per session."""

    participant_id: int
    session_number: int
    session_date: date
    status: str
    duration_minutes: int | None
    audio_recorded: bool
    modality: str
    participant: _Mother = field(compare=False)

    @property
    def attended(self) -> bool:
        return self.status == "attended"

    @property
    def recorded(self) -> bool:
        return self.attended and self.audio_recorded


def mio_session_rows(clinic: Clinic, user=None, date_from: date | None = None, date_to: date | None = None
                     ) -> list[MioSessionRow]:
    """:func:`mio_sessions` (same scope, clinic, period and order) as :class:`MioSessionRow`."""
    stmt = (sa.select(MioSession.participant_id, MioSession.session_number, MioSession.session_date,
                      MioSession.status, MioSession.duration_minutes, MioSession.audio_recorded, MioSession.modality,
                      TrialParticipant.study_id)
            .join(MioSession.participant)
            .where(MioSession.clinic_id == clinic.id, TrialParticipant.clinic_id == clinic.id)
            .order_by(TrialParticipant.study_id, MioSession.session_number, MioSession.session_date, MioSession.id))
    stmt = in_period(stmt, MioSession.session_date, date_from, date_to)
    return [MioSessionRow(*row[:7], participant=_Mother(row[7]))
            for row in db.session.execute(scoped(stmt, MioSession, user))]


def mio_sessions(clinic: Clinic, user=None, participant: TrialParticipant | None = None,
                 date_from: date | None = None, date_to: date | None = None, counselor: Person | None = None,
                 status: str | None = None) -> list[MioSession]:
    """Every row of :func:`mio_sessions_query`."""
    return list(db.session.execute(mio_sessions_query(clinic, user, participant, date_from, date_to, counselor,
                                                      status)).scalars())


def training_sessions(clinic: Clinic, user=None, date_from: date | None = None, date_to: date | None = None
                      ) -> list[TrainingCaseSession]:
    """The clinic's training-case sessions; with a period, those dated in it."""
    stmt = (sa.select(TrainingCaseSession).join(TrainingCaseSession.counselor)
            .where(TrainingCaseSession.clinic_id == clinic.id)
            .options(sa.orm.contains_eager(TrainingCaseSession.counselor))
            .order_by(Person.display_name, TrainingCaseSession.training_case, TrainingCaseSession.session_number,
                      TrainingCaseSession.session_date))
    stmt = in_period(stmt, TrainingCaseSession.session_date, date_from, date_to)
    return list(db.session.execute(scoped(stmt, TrainingCaseSession, user)).scalars())


def consultation_calls(clinic: Clinic, user=None) -> list[ConsultationCall]:
    stmt = (sa.select(ConsultationCall).join(ConsultationCall.counselor).where(ConsultationCall.clinic_id == clinic.id)
            .options(sa.orm.contains_eager(ConsultationCall.counselor))
            .order_by(Person.display_name, ConsultationCall.call_date))
    return list(db.session.execute(scoped(stmt, ConsultationCall, user)).scalars())


def pure_session_row(s, mother_id: str) -> dict[str, Any]:
    return {"mother_id": mother_id, "session_number": s["session_number"], "date": s["session_date"],
            "attended": s["status"] == "attended", "duration_minutes": s.get("duration_minutes"),
            "recorded": s.get("audio_recorded")}


def session_values(s) -> dict[str, Any]:
    return {"session_number": s.session_number, "session_date": s.session_date, "status": s.status,
            "duration_minutes": s.duration_minutes, "audio_recorded": s.audio_recorded}


def _check_common(values: dict[str, Any], errors: dict[str, str]) -> None:
    if values.get("modality") not in MODALITIES:
        errors.setdefault("modality", f"choose one of {', '.join(MODALITIES.values())}")
    if values.get("status") not in SESSION_STATUSES:
        errors.setdefault("status", f"choose one of {', '.join(SESSION_STATUSES.values())}")
    elif values["status"] != "attended":
        if values.get("duration_minutes"):
            errors.setdefault("duration_minutes", "a session that did not take place has no duration")
        if values.get("audio_recorded"):
            errors.setdefault("audio_recorded", "a session that did not take place cannot be recorded")
    if values.get("session_date") is None:
        errors.setdefault("session_date", "the session date is required")
    if values.get("session_date") and values["session_date"] > date.today():
        errors.setdefault("session_date", f"{values['session_date'].isoformat()} is in the future")


def _validate_against(mother: dict[str, Any], existing: list[dict[str, Any]], new: dict[str, Any],
                      errors: dict[str, str]) -> None:
    """Run the pure session rules over the mother's other sessions plus the new one; keep the new row's errors."""
    mid = mother["mother_id"]
    rows = [pure_session_row(s, mid) for s in existing] + [pure_session_row(new, mid)]
    try:
        validate_sessions([mother], rows)
    except SessionDataError as exc:
        new_index = len(rows) - 1
        for message in exc.errors:
            match = _ROW_FIELD_RE.match(message)
            if match and int(match.group(1)) == new_index:
                errors.setdefault(_PURE_TO_FORM.get(match.group(2), match.group(2)), match.group(3))
            elif not match:
                errors.setdefault("", message)


def save_mio_session(clinic: Clinic, session: MioSession | None, values: dict[str, Any], user=None) -> MioSession:
    """Create or edit a session with a mother in MIO + TAU; ``DeliveryError`` by field, nothing written."""
    errors: dict[str, str] = {}
    mother = next((p for p in mio_mothers(clinic, user) if p.id == values.get("participant_id")), None)
    if mother is None:
        errors["participant_id"] = "choose a mother of this clinic randomized to MIO + TAU"
    counselor = counselor_in_clinic(clinic, values.get("counselor_id"), user)
    if counselor is None:
        errors["counselor_id"] = "choose a counselor of this clinic"
    _check_common(values, errors)
    _keep_rated_sessions_recorded(session, values, errors)
    if mother is not None and values.get("session_date") and isinstance(values.get("session_number"), int):
        others = [session_values(s) for s in mio_sessions(clinic, user, mother) if session is None or s.id != session.id]
        _validate_against({"mother_id": mother.study_id, "randomized_on": mother.randomized_on, "arm": mother.arm},
                          others, values, errors)
    if errors:
        raise DeliveryError(errors)
    previous = session.participant if session is not None else None
    if session is None:
        session = MioSession(clinic_id=clinic.id)
        db.session.add(session)
    session.participant_id = mother.id
    session.counselor_id = counselor.id
    _copy_session_fields(session, values)
    db.session.flush()
    _sync_started(mother)
    if previous is not None and previous.id != mother.id:
        _sync_started(previous)
    if mother.counselor_id is None:
        mother.counselor_id = counselor.id
    db.session.commit()
    return session


def _copy_session_fields(session, values: dict[str, Any]) -> None:
    for name in ("session_number", "session_date", "modality", "status"):
        setattr(session, name, values[name])
    attended = values["status"] == "attended"
    session.duration_minutes = values.get("duration_minutes") if attended else None
    session.audio_recorded = bool(values.get("audio_recorded")) and attended


def _sync_started(mother: TrialParticipant) -> None:
    """'started' = randomized to MIO + TAU and attended a first session (``reach.SCREENING_STATUSES``)."""
    attended = db.session.execute(
        sa.select(sa.func.count(MioSession.id)).where(MioSession.participant_id == mother.id,
                                                      MioSession.status == "attended")).scalar()
    if attended and mother.status == "randomized" and mother.arm == "mio_tau":
        mother.status = "started"
    elif not attended and mother.status == "started":
        mother.status = "randomized"


def _is_rated(session) -> bool:
    column = FidelityRating.mio_session_id if session.kind == "mio" else FidelityRating.training_case_session_id
    return db.session.execute(sa.select(FidelityRating.id).where(column == session.id).limit(1)).first() is not None


def _refuse_if_rated(session) -> None:
    if _is_rated(session):
        raise DeliveryError("this session has fidelity ratings; it cannot be deleted")


def _keep_rated_sessions_recorded(session, values: dict[str, Any], errors: dict[str, str]) -> None:
    """A rated session is a coded recording: it stays attended and recorded (coverage counts it as coded)."""
    if session is not None and session.id and _is_rated(session):
        if values.get("status") != "attended":
            errors.setdefault("status", "this session has fidelity ratings, so it took place")
        if not values.get("audio_recorded"):
            errors.setdefault("audio_recorded", "this session has fidelity ratings of its recording")


def delete_mio_session(session: MioSession) -> None:
    _refuse_if_rated(session)
    mother = session.participant
    _delete_assignments(session)
    db.session.delete(session)
    db.session.flush()
    _sync_started(mother)
    db.session.commit()


def _delete_assignments(session) -> None:
    """A deleted session takes its coding assignments and its stored recording with it."""
    from implementation_outcomes.delivery.models import CodingAssignment
    from implementation_outcomes.delivery.services.recordings import delete_recording

    delete_recording(session)

    column = CodingAssignment.mio_session_id if session.kind == "mio" else CodingAssignment.training_case_session_id
    for assignment in db.session.execute(sa.select(CodingAssignment).where(column == session.id)).scalars():
        db.session.delete(assignment)


# --- training cases -----------------------------------------------------------------------------------------


def save_training_session(clinic: Clinic, session: TrainingCaseSession | None, values: dict[str, Any],
                          user=None) -> TrainingCaseSession:
    """Create or edit a training-case session (no trial mother: a case label); same session rules as MIO."""
    errors: dict[str, str] = {}
    counselor = counselor_in_clinic(clinic, values.get("counselor_id"), user)
    if counselor is None:
        errors["counselor_id"] = "choose a counselor of this clinic"
    if values.get("training_case") not in (1, 2):
        errors["training_case"] = "a counselor has training case 1 or 2"
    label = (values.get("case_label") or "").strip()
    if not label:
        errors["case_label"] = "a label for the training case is required (never the client's name)"
    _check_common(values, errors)
    _keep_rated_sessions_recorded(session, values, errors)
    if counselor is not None and values.get("training_case") in (1, 2):
        same_case = [s for s in training_sessions(clinic, user)
                     if s.counselor_id == counselor.id and s.training_case == values["training_case"]
                     and (session is None or s.id != session.id)]
        if label and same_case and same_case[0].case_label != label:
            errors.setdefault("case_label", f"training case {values['training_case']} of {counselor.display_name} is "
                                            f"labelled {same_case[0].case_label!r}; use the same label")
        if values.get("session_date") and isinstance(values.get("session_number"), int):
            case = {"mother_id": label or "case", "randomized_on": date.min, "arm": "mio_tau"}
            _validate_against(case, [session_values(s) for s in same_case], values, errors)
    if errors:
        raise DeliveryError(errors)
    if session is None:
        session = TrainingCaseSession(clinic_id=clinic.id)
        db.session.add(session)
    session.counselor_id = counselor.id
    session.training_case = values["training_case"]
    session.case_label = label
    _copy_session_fields(session, values)
    db.session.commit()
    return session


def delete_training_session(session: TrainingCaseSession) -> None:
    _refuse_if_rated(session)
    _delete_assignments(session)
    db.session.delete(session)
    db.session.commit()


def save_call(clinic: Clinic, values: dict[str, Any], user=None) -> ConsultationCall:
    errors: dict[str, str] = {}
    counselor = counselor_in_clinic(clinic, values.get("counselor_id"), user)
    if counselor is None:
        errors["counselor_id"] = "choose a counselor of this clinic"
    if values.get("call_date") is None:
        errors["call_date"] = "the call date is required"
    elif counselor is not None and db.session.execute(
            sa.select(ConsultationCall.id).where(ConsultationCall.counselor_id == counselor.id,
                                                 ConsultationCall.call_date == values["call_date"])).first():
        errors["call_date"] = f"{counselor.display_name} already has a call on {values['call_date'].isoformat()}"
    if errors:
        raise DeliveryError(errors)
    call = ConsultationCall(clinic_id=clinic.id, counselor_id=counselor.id, call_date=values["call_date"],
                            attended=bool(values.get("attended")))
    db.session.add(call)
    db.session.commit()
    return call


def delete_call(call: ConsultationCall) -> None:
    db.session.delete(call)
    db.session.commit()


def counselor_delivery(counselor: Person, user=None, date_from: date | None = None, date_to: date | None = None
                       ) -> dict[str, Any]:
    """The MIO sessions a counselor delivered to trial mothers (in the period when given): sessions by status
    (one grouped query), audio-recorded attended sessions and the number of mothers seen."""
    stmt = (sa.select(MioSession.status, sa.func.count(), sa.func.sum(sa.case((MioSession.audio_recorded, 1), else_=0)))
            .where(MioSession.counselor_id == counselor.id))
    stmt = scoped(in_period(stmt, MioSession.session_date, date_from, date_to), MioSession, user).group_by(MioSession.status)
    by_status = {key: 0 for key in SESSION_STATUSES}
    recorded = 0
    mothers_stmt = (sa.select(sa.func.count(sa.distinct(MioSession.participant_id)))
                    .where(MioSession.counselor_id == counselor.id, MioSession.status == "attended"))
    mothers_stmt = scoped(in_period(mothers_stmt, MioSession.session_date, date_from, date_to), MioSession, user)
    for status, count, n_recorded in db.session.execute(stmt):
        by_status[status] = count
        if status == "attended":
            recorded = int(n_recorded or 0)
    return {"by_status": by_status, "attended": by_status["attended"], "recorded": recorded,
            "mothers": db.session.execute(mothers_stmt).scalar_one()}
