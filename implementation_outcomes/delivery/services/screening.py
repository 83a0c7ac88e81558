"""The screening log of a clinic: entries, CSV import (all or nothing), outside and concealed in-platform
randomization, and the reach figures the pages and the director's overview show.

Concealment (CONSORT 2010 items 9-10; Schulz & Grimes 2002): the clinic's seed is created server-side on first
use and never leaves this module; the sequence is regenerated from it only inside ``randomize`` for a consented
mother, under a row lock on the clinic's allocation record, and only the arm of that one assignment is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.audit import current_actor
from app.db import db
from app.models import AuditEvent, Clinic
from app.security import scoped
from implementation_outcomes.delivery.models import ClinicAllocation, MioSession, TrialParticipant
from implementation_outcomes.delivery.screening_log import (
    COLUMNS,
    DEFAULT_MAX_ROWS,
    PROGRESS_EVERY,
    check_entry,
    normalise_entry,
    parse_screening_csv,
)
from implementation_outcomes.delivery.services.common import (
    DeliveryError,
    clinic_or_404,
    counselor_in_clinic,
    in_period,
    study_id_pattern,
)
from implementation_outcomes.errors import ScreeningLogError
from implementation_outcomes.metrics import (
    consort_flow,
    generate_allocation_sequence,
    new_allocation_seed,
    next_assignment,
    reach_cascade,
    reach_pct,
    reach_pct_sensitivity,
    representativeness,
)

REPRESENTATIVENESS_VARIABLES: dict[str, str] = {
    "mother_age": "continuous",
    "child_age_months": "continuous",
    "primary_substance": "categorical",
    "medication_treatment": "binary",
}
VARIABLE_LABELS: dict[str, str] = {
    "mother_age": "Mother's age (years)",
    "child_age_months": "Child's age (months)",
    "primary_substance": "Primary substance",
    "medication_treatment": "In medication treatment",
}
ENROLLED = ("consented", "randomized", "started")
ELIGIBLE_NOT_ENROLLED = ("not_offered", "declined")
ENTRY_FIELDS = (*COLUMNS, "counselor_id")


def participants_query(clinic: Clinic, user=None, status: str | None = None, date_from: date | None = None,
                       date_to: date | None = None) -> sa.Select:
    """The clinic's screening log in study-ID order (ids break no ties: study IDs are unique per clinic); with a
    period, the mothers screened in it (``screened_on``). Counselors are loaded with the rows (one more query, not
    one per mother)."""
    stmt = (sa.select(TrialParticipant).where(TrialParticipant.clinic_id == clinic.id)
            .options(selectinload(TrialParticipant.counselor)).order_by(TrialParticipant.study_id))
    if status:
        stmt = stmt.where(TrialParticipant.status == status)
    stmt = in_period(stmt, TrialParticipant.screened_on, date_from, date_to)
    return scoped(stmt, TrialParticipant, user)


def participants(clinic: Clinic, user=None, status: str | None = None, date_from: date | None = None,
                 date_to: date | None = None) -> list[TrialParticipant]:
    """Every row of ``participants_query``."""
    return list(db.session.execute(participants_query(clinic, user, status, date_from, date_to)).scalars())


def rows_before(participant: TrialParticipant, user=None) -> int:
    """How many rows of the (unfiltered) log come before ``participant`` in its order: where a saved row lands."""
    stmt = (sa.select(sa.func.count()).select_from(TrialParticipant)
            .where(TrialParticipant.clinic_id == participant.clinic_id,
                   TrialParticipant.study_id < participant.study_id))
    return db.session.execute(scoped(stmt, TrialParticipant, user)).scalar_one()


def assign_counselor(participant: TrialParticipant, counselor_id: int | None, user=None) -> TrialParticipant:
    """The step after randomization to MIO + TAU: the counselor who will deliver her sessions (a counselor of her
    clinic). ``DeliveryError`` on ``counselor_id`` otherwise; nothing written."""
    if participant.arm != "mio_tau":
        raise DeliveryError({"counselor_id": f"{participant.study_id} is not in MIO + TAU: only MIO mothers have a "
                                             "MIO counselor"})
    counselor = counselor_in_clinic(participant.clinic, counselor_id, user)
    if counselor is None:
        raise DeliveryError({"counselor_id": "choose a counselor of this clinic"})
    participant.counselor_id = counselor.id
    db.session.commit()
    return participant


def mio_mothers(clinic: Clinic, user=None, date_from: date | None = None, date_to: date | None = None
                ) -> list[TrialParticipant]:
    """Mothers randomized to MIO + TAU (the only ones who can have MIO sessions); with a period, those screened
    in it."""
    stmt = (sa.select(TrialParticipant)
            .where(TrialParticipant.clinic_id == clinic.id, TrialParticipant.arm == "mio_tau",
                   TrialParticipant.status.in_(("randomized", "started")))
            .order_by(TrialParticipant.study_id))
    stmt = in_period(stmt, TrialParticipant.screened_on, date_from, date_to)
    return list(db.session.execute(scoped(stmt, TrialParticipant, user)).scalars())


def _study_id_taken(clinic: Clinic, study_id: str, exclude_id: int | None) -> bool:
    stmt = sa.select(TrialParticipant.id).where(TrialParticipant.clinic_id == clinic.id,
                                           sa.func.lower(TrialParticipant.study_id) == study_id.lower())
    if exclude_id:
        stmt = stmt.where(TrialParticipant.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def _has_sessions(participant: TrialParticipant) -> bool:
    return db.session.execute(
        sa.select(MioSession.id).where(MioSession.participant_id == participant.id).limit(1)).first() is not None


def save_entry(clinic: Clinic, participant: TrialParticipant | None, raw: dict[str, Any], user=None) -> TrialParticipant:
    """Create or edit one screening-log entry; ``DeliveryError`` by field when invalid, nothing written.

    A mother randomized in the platform keeps her arm, date and allocation: those are the trial's record.
    Choosing "randomized" here records an assignment made outside the platform (``allocation_source`` external).
    """
    values, errors = normalise_entry(raw)
    for name, message in check_entry(values, study_id_pattern(), date.today()).items():
        errors.setdefault(name, message)
    study_id = values.get("study_id")
    if study_id and "study_id" not in errors and _study_id_taken(clinic, study_id, participant and participant.id):
        errors["study_id"] = f"{study_id} is already in this clinic's screening log (duplicate study ID)"
    counselor = None
    if raw.get("counselor_id"):
        counselor = counselor_in_clinic(clinic, int(raw["counselor_id"]), user)
        if counselor is None:
            errors["counselor_id"] = "choose a counselor of this clinic"
    if participant is not None and participant.allocation_source == "platform":
        if values.get("arm") != participant.arm or values.get("randomized_on") != participant.randomized_on \
                or values.get("status") not in ("randomized", "started"):
            errors.setdefault("status", "randomized in the platform: status, arm and date are the trial record and "
                                        "cannot be changed here")
    if participant is not None and participant.id and _has_sessions(participant) and values.get("arm") != "mio_tau":
        errors.setdefault("arm", "this mother has MIO sessions recorded; she must stay in MIO + TAU")
    if errors:
        raise DeliveryError(errors)
    if participant is None:
        participant = TrialParticipant(clinic_id=clinic.id)
        db.session.add(participant)
    for name in COLUMNS:
        setattr(participant, name, values.get(name))
    participant.counselor_id = counselor.id if counselor else None
    if participant.arm is None:
        participant.allocation_source = None
    elif participant.allocation_source is None:
        participant.allocation_source = "external"
    db.session.commit()
    return participant


def import_csv(clinic: Clinic, data: bytes | str, user=None, *, filename: str | None = None,
               progress: Callable[[str, int], None] | None = None) -> int:
    """Add every row of a screening-log CSV, or none (``ScreeningLogError`` lists each row and field): every row is
    checked before the first is written, and all are written in one transaction with an ``import`` audit event
    (who, clinic, file, rows) beside each row's own ``create`` event. ``progress(phase, rows)`` reports "check"
    and then "save" every ``PROGRESS_EVERY`` rows (the background job's progress page)."""
    existing = db.session.execute(scoped(
        sa.select(TrialParticipant.study_id).where(TrialParticipant.clinic_id == clinic.id), TrialParticipant,
        user)).scalars().all()
    rows = parse_screening_csv(data, existing, max_import_rows(), study_id_pattern(),
                               progress=(lambda n: progress("check", n)) if progress else None, today=date.today())
    # flushed in steps (one transaction: nothing is visible to others until the commit) so progress is real; on
    # SQLite, whose one writer would then lock out the job's progress reports, in one flush at the end
    stepwise = db.session.get_bind().dialect.name != "sqlite"
    for number, row in enumerate(rows, start=1):
        participant = TrialParticipant(clinic_id=clinic.id, **{name: row.get(name) for name in COLUMNS})
        participant.allocation_source = "external" if participant.arm else None
        db.session.add(participant)
        if number % PROGRESS_EVERY == 0:
            if stepwise:
                db.session.flush()
            if progress:
                progress("save", number)
    user_id, actor = current_actor()
    db.session.execute(sa.insert(AuditEvent), [{
        "at": datetime.now(UTC), "user_id": user_id, "actor": actor[:255], "action": "import",
        "entity": "screening_log", "entity_id": f"clinic_id={clinic.id}"[:40],
        "changes": {"clinic": {"old": None, "new": clinic.code}, "rows": {"old": None, "new": len(rows)},
                    "file": {"old": None, "new": filename}}}])
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent entry took a study ID between the check and the write
        db.session.rollback()
        raise ScreeningLogError("file: a study ID in the file was added by someone else meanwhile; import again") from exc
    return len(rows)


def max_import_rows() -> int:
    """The most data rows one import takes (``SCREENING_IMPORT_MAX_ROWS``, default ``DEFAULT_MAX_ROWS``)."""
    return int(current_app.config.get("SCREENING_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def delete_entry(participant: TrialParticipant) -> None:
    """Remove a mistaken entry; a randomized mother stays (intention to treat) and is refused."""
    if participant.is_randomized:
        raise DeliveryError(f"{participant.study_id} is randomized: randomized mothers stay in the log "
                            "(intention to treat); correct the entry instead")
    db.session.delete(participant)
    db.session.commit()


def randomize(participant: TrialParticipant, randomized_on: date) -> str:
    """Assign a consented mother with the clinic's concealed 2:1 permuted-block sequence; return her arm.

    The allocation row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), the
    sequence regenerated from the stored seed up to this mother's index (``randomization`` prefixes are stable),
    and the assignment stored with its index; the audit trail records the change to the mother's entry.
    """
    if participant.status != "consented" or participant.arm is not None:
        raise DeliveryError({"": f"{participant.study_id} is {participant.status}: only a consented mother without "
                                 "an assignment can be randomized"})
    if participant.consented_on and randomized_on < participant.consented_on:
        raise DeliveryError({"randomized_on": f"{randomized_on.isoformat()} is before consent "
                                              f"({participant.consented_on.isoformat()})"})
    if randomized_on < participant.screened_on:
        raise DeliveryError({"randomized_on": f"{randomized_on.isoformat()} is before screening "
                                              f"({participant.screened_on.isoformat()})"})
    today = date.today()
    if randomized_on > today:  # the same rule as the log's dates (screening_log.check_entry)
        raise DeliveryError({"randomized_on": f"{randomized_on.isoformat()} is in the future (today is "
                                              f"{today.isoformat()}): log randomization once it has happened"})
    clinic = participant.clinic
    allocation = _locked_allocation(clinic)
    index = allocation.assigned_count
    assignment = next_assignment(generate_allocation_sequence(clinic.code, allocation.seed, index + 1), index)
    participant.arm = assignment["arm"]
    participant.status = "randomized"
    participant.randomized_on = randomized_on
    participant.allocation_source = "platform"
    participant.allocation_index = index
    allocation.assigned_count = index + 1
    db.session.commit()
    return participant.arm


def _locked_allocation(clinic: Clinic) -> ClinicAllocation:
    stmt = sa.select(ClinicAllocation).where(ClinicAllocation.clinic_id == clinic.id).with_for_update()
    allocation = db.session.execute(stmt).scalar_one_or_none()
    if allocation is None:
        allocation = ClinicAllocation(clinic_id=clinic.id, seed=new_allocation_seed(), assigned_count=0)
        db.session.add(allocation)
        try:
            db.session.flush()
        except IntegrityError:  # created concurrently: use theirs
            db.session.rollback()
            allocation = db.session.execute(stmt).scalar_one()
    return allocation


def uses_platform_randomization(clinic: Clinic) -> bool:
    return db.session.execute(
        sa.select(ClinicAllocation.id).where(ClinicAllocation.clinic_id == clinic.id)).first() is not None


# --- reach --------------------------------------------------------------------------------------------------


def _log_row(p: TrialParticipant) -> dict[str, Any]:
    return {"status": p.status, "reason": p.reason, "arm": p.arm, "clinic": p.clinic.code if p.clinic else ""}


def clinic_reach(clinic_id: int, user=None, date_from: date | None = None, date_to: date | None = None
                 ) -> dict[str, Any]:
    """Reach of one clinic as plain data (for the reach page and the director's overview).

    Returns ``{clinic, cascade, reach (numerator -> {main, sensitivity}), representativeness, flow, decline_reasons,
    exclusion_reasons, allocation}``. reach % = numerator / eligible-and-offered; sensitivity adds lost /
    undetermined to the denominator (``reach.reach_pct``/``reach_pct_sensitivity``, RE-AIM). Representativeness
    compares enrolled mothers with eligible non-participants (not offered or declined) by standardized mean
    differences (``representativeness``, Austin 2009; Yang & Dalton 2012). With a period (``date_from`` /
    ``date_to``, either optional) only mothers screened in it count.
    """
    clinic = clinic_or_404(clinic_id, user)
    log = participants(clinic, user, date_from=date_from, date_to=date_to)
    rows = [_log_row(p) for p in log]
    cascade = reach_cascade(rows)
    enrolled = [_characteristics(p) for p in log if p.status in ENROLLED]
    others = [_characteristics(p) for p in log if p.status in ELIGIBLE_NOT_ENROLLED]
    flows = consort_flow(rows)
    return {
        "clinic": {"id": clinic.id, "code": clinic.code, "name": clinic.name},
        "cascade": cascade,
        "reach": reach_figures(cascade),
        "representativeness": representativeness(enrolled, others, REPRESENTATIVENESS_VARIABLES),
        "flow": flows["clinics"].get(clinic.code, flows["overall"]),
        "decline_reasons": cascade["declined_by_reason"],
        "exclusion_reasons": cascade["excluded_by_reason"],
        "allocation": {
            "platform": sum(p.allocation_source == "platform" for p in log),
            "external": sum(p.allocation_source == "external" for p in log),
            "awaiting": sum(p.status == "consented" for p in log),
        },
    }


def reach_figures(cascade: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """``{numerator: {main, sensitivity}}`` for enrolled, randomized and started MIO (``reach_pct`` and
    ``reach_pct_sensitivity`` of the cascade); shared by the clinic page and the set-based overview."""
    return {numerator: {"main": reach_pct(cascade, numerator), "sensitivity": reach_pct_sensitivity(cascade, numerator)}
            for numerator in ("enrolled", "randomized", "started_mio")}


def _characteristics(p: TrialParticipant) -> dict[str, Any]:
    return {"mother_age": p.mother_age, "child_age_months": p.child_age_months,
            "primary_substance": p.primary_substance, "medication_treatment": p.medication_treatment}
