"""Adoption: dated counselor steps, funnels per clinic, staff- and setting-level adoption, penetration.

Formulas live in ``implementation_outcomes.adoption`` (Proctor et al. 2011; RE-AIM): ``adoption_funnel``,
``staff_adoption`` (delivering / eligible and / invited), ``penetration`` (delivering / trained),
``setting_adoption`` (clinics taking part / approached). This module loads the dated steps and records new ones,
refusing a step whose predecessor is missing or later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.models import Clinic, Person
from app.security import scoped
from implementation_outcomes.adoption import (
    COUNSELOR_STEPS,
    DATA_PROVEN_STEPS,
    TRAINED_STEP,
    adoption_evidence,
    adoption_funnel,
    derive_steps,
    penetration,
    setting_adoption,
    staff_adoption,
)
from implementation_outcomes.implementation.models import AdoptionStep
from implementation_outcomes.implementation.services.common import (
    FieldErrors,
    acting_user,
    add_error,
    check_not_future,
    clinic_info,
    recorded_by_id,
    visible_clinics,
)

STEP_LABELS: dict[str, str] = {
    "invited": "Invited",
    "eligible": "Eligible (readiness screening)",
    "consented": "Consented",
    "didactic_complete": "Didactic training complete (16 h)",
    "training_case_started": "Training case started",
    "training_case_8_sessions": "8+ sessions of a training case",
    "consultation_70pct": "Consultation calls attended 70%+",
    "rostered": "Rostered for trial mothers",
    "delivering": "Delivering to trial mothers",
}
TRAINED_LABEL = STEP_LABELS[TRAINED_STEP]
#: why a step counts (``derive_steps``'s sources)
SOURCE_LABELS: dict[str, str] = {"recorded": "recorded by hand", "both": "recorded; the data agree",
                                 "data": "proven by the data, not recorded", "implied": "implied by a later step"}
READINESS_SOURCE = "readiness screening"
#: an eligible step typed in on the adoption page still comes from the screening, just not through the hook
READINESS_BY_HAND = "readiness screening (recorded by hand)"


def counselors(clinic_ids: Sequence[int], user=None) -> list[Person]:
    """Counselor person records at these clinics (active or not: they stay in the denominators), by clinic and name."""
    stmt = (sa.select(Person).join(Clinic, Person.clinic_id == Clinic.id)
            .where(Person.kind == "counselor", Person.clinic_id.in_(list(clinic_ids)))
            .order_by(Clinic.code, Person.display_name))
    return list(db.session.execute(scoped(stmt, Person, acting_user(user))).scalars())


def steps_by_person(person_ids: Sequence[int], user=None) -> dict[int, dict[str, AdoptionStep]]:
    stmt = sa.select(AdoptionStep).where(AdoptionStep.person_id.in_(list(person_ids)))
    out: dict[int, dict[str, AdoptionStep]] = {pid: {} for pid in person_ids}
    for row in db.session.execute(scoped(stmt, AdoptionStep, acting_user(user))).scalars():
        out[row.person_id][row.step] = row
    return out


def evidence_by_person(person_ids: Sequence[int] | sa.Select, user=None) -> dict[int, dict[str, Any]]:
    """What the delivery rows prove about each counselor's adoption steps (``adoption.adoption_evidence``), from
    four grouped queries (MIO sessions, training-case sessions, consultation calls, mothers assigned) whatever the
    number of counselors. ``person_ids``: ids or a select of ids. All dates (adoption is not cut by a period)."""
    from implementation_outcomes.delivery.models import (
        ConsultationCall,
        MioSession,
        TrainingCaseSession,
        TrialParticipant,
    )

    user = acting_user(user)
    ids = person_ids if isinstance(person_ids, sa.Select) else list(person_ids)
    mio = (sa.select(MioSession.counselor_id, sa.func.min(MioSession.session_date), sa.func.count())
           .where(MioSession.counselor_id.in_(ids), MioSession.status == "attended").group_by(MioSession.counselor_id))
    training = (sa.select(TrainingCaseSession.counselor_id, TrainingCaseSession.training_case,
                          TrainingCaseSession.session_number, TrainingCaseSession.session_date)
                .where(TrainingCaseSession.counselor_id.in_(ids), TrainingCaseSession.status == "attended"))
    calls = (sa.select(ConsultationCall.counselor_id, ConsultationCall.attended, sa.func.count())
             .where(ConsultationCall.counselor_id.in_(ids))
             .group_by(ConsultationCall.counselor_id, ConsultationCall.attended))
    mothers = (sa.select(TrialParticipant.counselor_id, sa.func.count())
               .where(TrialParticipant.counselor_id.in_(ids)).group_by(TrialParticipant.counselor_id))
    evidence = adoption_evidence(
        [{"counselor_id": c, "date": d, "count": n} for c, d, n in db.session.execute(scoped(mio, MioSession, user))],
        [{"counselor_id": c, "training_case": k, "session_number": m, "date": d}
         for c, k, m, d in db.session.execute(scoped(training, TrainingCaseSession, user))],
        [{"counselor_id": c, "attended": a, "count": n}
         for c, a, n in db.session.execute(scoped(calls, ConsultationCall, user))],
        [{"counselor_id": c, "count": n} for c, n in db.session.execute(scoped(mothers, TrialParticipant, user))],
    )
    return {int(cid): ev for cid, ev in evidence.items()}


def _derived(steps: dict[str, date], evidence: dict[str, Any] | None) -> dict[str, Any]:
    derived = derive_steps(steps, evidence)
    for flag in derived["flags"]:
        flag["label"] = STEP_LABELS[flag["step"]]
        flag["message"] = flag_message(flag)
    return derived


def flag_message(flag: dict[str, Any]) -> str:
    """One plain sentence for a contradiction between the recorded steps and the data (``derive_steps``)."""
    label, shown = STEP_LABELS[flag["step"]], flag["shown"]
    if flag["kind"] == "not_recorded":
        since = f" (since {flag['data_on'].isoformat()})" if flag.get("data_on") else ""
        return f"“{label}” is not recorded, but the data prove it: {shown}{since}."
    if flag["kind"] == "contradicted":
        return (f"“{label}” is recorded{_on(flag['recorded_on'])}, but the data do not show it: {shown} "
                f"(needs {DATA_PROVEN_STEPS[flag['step']]}).")
    return (f"“{label}” is recorded on {flag['recorded_on'].isoformat()}, before the data show it "
            f"({flag['data_on'].isoformat()}; {shown}).")


def _on(when: date | None) -> str:
    return f" on {when.isoformat()}" if when else ""


def _counselor_dict(person: Person, steps: dict[str, AdoptionStep], evidence: dict[str, Any] | None
                    ) -> dict[str, Any]:
    reached = [s for s in COUNSELOR_STEPS if s in steps]
    derived = _derived({s: steps[s].reached_on for s in reached}, evidence)
    return {"id": person.id, "name": person.display_name, "clinic_code": person.clinic.code, "active": person.active,
            "steps": {s: steps[s].reached_on for s in reached},
            "step_ids": {s: steps[s].id for s in reached},
            "derived_steps": derived["steps"], "sources": derived["sources"], "flags": derived["flags"],
            "furthest": derived["furthest"], "recorded_furthest": derived["recorded_furthest"],
            "next_step": COUNSELOR_STEPS[len(reached)] if len(reached) < len(COUNSELOR_STEPS) else None}


def _summary(counselor_dicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Funnel, staff adoption and penetration of a group of counselors (pure functions, strict step order) over
    the steps recorded or proven by the data (``derive_steps``), and how many counselors carry a contradiction."""
    rows = [{"counselor_id": c["id"], **c["derived_steps"]} for c in counselor_dicts]
    recorded = [{"counselor_id": c["id"], **c["steps"]} for c in counselor_dicts]
    return {"funnel": adoption_funnel(rows), "staff_adoption": staff_adoption(rows), "penetration": penetration(rows),
            "recorded_staff_adoption": staff_adoption(recorded),
            "flagged_counselors": sum(bool(c["flags"]) for c in counselor_dicts)}


def adoption_by_clinic(clinics: Sequence[Clinic], user=None) -> list[dict[str, Any]]:
    """For each clinic: ``{clinic, counselors: [...], funnel, staff_adoption, penetration, recorded_staff_adoption,
    flagged_counselors}`` (six queries in all)."""
    people = counselors([c.id for c in clinics], user)
    steps = steps_by_person([p.id for p in people], user)
    evidence = evidence_by_person([p.id for p in people], user)
    by_clinic: dict[int, list[dict[str, Any]]] = {c.id: [] for c in clinics}
    for person in people:
        by_clinic[person.clinic_id].append(_counselor_dict(person, steps[person.id], evidence.get(person.id)))
    return [{"clinic": clinic_info(c), "counselors": by_clinic[c.id], **_summary(by_clinic[c.id])} for c in clinics]


def adoption_figures_by_clinic(clinic_ids: Sequence[int], user=None) -> dict[int, dict[str, Any]]:
    """``{clinic_id: {funnel, staff_adoption, penetration}}`` for many clinics from two column queries (the
    director's overview): the same ``_summary`` as ``adoption_by_clinic`` without loading person objects."""
    ids = list(clinic_ids)
    user = acting_user(user)
    people = sa.select(Person.id, Person.clinic_id).where(Person.kind == "counselor", Person.clinic_id.in_(ids))
    by_person: dict[int, dict[str, Any]] = {}
    by_clinic: dict[int, list[dict[str, Any]]] = {cid: [] for cid in ids}
    for person_id, clinic_id in db.session.execute(scoped(people, Person, user)):
        by_person[person_id] = {"id": person_id, "steps": {}}
        by_clinic[clinic_id].append(by_person[person_id])
    steps = sa.select(AdoptionStep.person_id, AdoptionStep.step, AdoptionStep.reached_on).where(
        AdoptionStep.person_id.in_(people.with_only_columns(Person.id)))
    for person_id, step, reached_on in db.session.execute(scoped(steps, AdoptionStep, user)):
        if person_id in by_person:
            by_person[person_id]["steps"][step] = reached_on
    evidence = evidence_by_person(scoped(people.with_only_columns(Person.id), Person, user), user)
    for person_id, member in by_person.items():
        derived = derive_steps(member["steps"], evidence.get(person_id))
        member.update(derived_steps=derived["steps"], flags=derived["flags"])
    return {cid: _summary(members) for cid, members in by_clinic.items()}


def clinic_adoption(clinic_id: int, user=None) -> dict[str, Any] | None:
    """Plain-dict adoption of one clinic for other pages (the director overview); None when not visible.

    ``{clinic: {id, code, name, agency_id, agency_code}, counselors: [{id, name, steps: {step: date}, furthest}],
    funnel: [{step, count, pct_of_previous, pct_of_invited}], staff_adoption: {...}, penetration: {...}}``.
    Counselors also carry ``derived_steps``/``sources``/``flags`` (steps the data prove, contradictions).
    """
    clinics = visible_clinics(user, [clinic_id])
    return adoption_by_clinic(clinics, user)[0] if clinics else None


def counselor_adoption(person: Person, user=None) -> dict[str, Any]:
    """One counselor's recorded and derived steps and contradictions (``_counselor_dict``); ``person`` in scope."""
    steps = steps_by_person([person.id], user)[person.id]
    return _counselor_dict(person, steps, evidence_by_person([person.id], user).get(person.id))


def all_clinics_summary(per_clinic: list[dict[str, Any]]) -> dict[str, Any]:
    """The same figures over every counselor of the given clinics."""
    return _summary([c for entry in per_clinic for c in entry["counselors"]])


def setting_level(clinics: Sequence[Clinic]) -> tuple[list[dict[str, Any]], list[str]]:
    """Setting-level adoption per agency and over all: clinics taking part / clinics approached.

    A clinic counts as approached when its agency has an ``approached_on`` date, or when it takes part (taking part
    implies an approach). Returns the rows and the codes of agencies with clinics taking part but no approach date
    recorded, so the page can ask for the date.
    """
    rows: list[dict[str, Any]] = []
    by_agency: dict[str, list[dict[str, Any]]] = {}
    undated: list[str] = []
    for clinic in clinics:
        dated = clinic.agency.approached_on is not None
        if clinic.taking_part and not dated and clinic.agency.code not in undated:
            undated.append(clinic.agency.code)
        by_agency.setdefault(clinic.agency.code, []).append(
            {"clinic": clinic.code, "approached": dated or clinic.taking_part, "taking_part": clinic.taking_part})
    for code, members in by_agency.items():
        rows.append({"agency": code, **setting_adoption(members)})
    rows.append({"agency": "All agencies", **setting_adoption([m for ms in by_agency.values() for m in ms])})
    return rows, undated


# --- writes --------------------------------------------------------------------------------------------------------
def record_step(person: Person, step: str, reached_on: date, note: str | None = None, *, source: str | None = None,
                user=None, today: date | None = None, commit: bool = True) -> AdoptionStep:
    """Record (or correct) the date ``person`` reached ``step``.

    Refused with ``FieldErrors`` (nothing written) when: the step is unknown; the date is after today; the person
    is not a counselor; the previous step is not recorded or is dated later; a later step is dated earlier.
    ``person`` must already be in the caller's scope (``get_scoped_or_404``).
    """
    errors: dict[str, list[str]] = {}
    who = person.display_name
    if step not in COUNSELOR_STEPS:
        add_error(errors, "step", f"{step!r} is not an adoption step ({', '.join(COUNSELOR_STEPS)}).")
        raise FieldErrors(errors)
    label = STEP_LABELS[step]
    if person.kind != "counselor":
        add_error(errors, "person_id", f"{who} is a {person.kind_label.lower()}, not a counselor.")
    check_not_future(reached_on, "reached_on", f"{who}, {label}", errors, today)
    recorded = steps_by_person([person.id], user)[person.id]
    index = COUNSELOR_STEPS.index(step)
    if index:
        previous = COUNSELOR_STEPS[index - 1]
        if previous not in recorded:
            add_error(errors, "step", f"{who}: “{label}” cannot be recorded before “{STEP_LABELS[previous]}” "
                                      "(not recorded yet).")
        elif recorded[previous].reached_on > reached_on:
            add_error(errors, "reached_on", f"{who}: “{label}” on {reached_on.isoformat()} is before "
                                            f"“{STEP_LABELS[previous]}” on {recorded[previous].reached_on.isoformat()}.")
    if index + 1 < len(COUNSELOR_STEPS):
        following = COUNSELOR_STEPS[index + 1]
        if following in recorded and recorded[following].reached_on < reached_on:
            add_error(errors, "reached_on", f"{who}: “{label}” on {reached_on.isoformat()} is after "
                                            f"“{STEP_LABELS[following]}” on {recorded[following].reached_on.isoformat()}.")
    if errors:
        raise FieldErrors(errors)
    row = recorded.get(step) or AdoptionStep(person_id=person.id, step=step)
    row.reached_on = reached_on
    row.note = (note or "").strip() or None
    row.source = source or (READINESS_BY_HAND if step == "eligible" else None)
    row.recorded_by_id = recorded_by_id(user)
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def mark_eligible_from_readiness(person_id: int, on: date, user=None, *, commit: bool = True) -> AdoptionStep:
    """Record the ``eligible`` step from readiness screening (source "readiness screening").

    Called by the readiness package when a counselor meets the trial's counselor criteria. The person is looked up
    within ``user``'s scope (default: the signed-in user; outside a request pass the acting user). Raises
    ``LookupError`` when the person is not visible, ``FieldErrors`` when the step order or date is wrong (e.g. the
    counselor was never recorded as invited).
    """
    stmt = sa.select(Person).where(Person.id == person_id)
    person = db.session.execute(scoped(stmt, Person, acting_user(user))).scalar_one_or_none()
    if person is None:
        raise LookupError(f"person {person_id}: not found or not visible to this user")
    return record_step(person, "eligible", on, "Eligible by readiness screening.", source=READINESS_SOURCE,
                       user=user, commit=commit)


class StepDeleteRefused(ValueError):
    pass


def delete_step(row: AdoptionStep, user=None) -> None:
    """Remove a counselor's latest step (a correction). An earlier step would leave a gap in the order: refused."""
    recorded = steps_by_person([row.person_id], user)[row.person_id]
    later = [s for s in COUNSELOR_STEPS[COUNSELOR_STEPS.index(row.step) + 1:] if s in recorded]
    if later:
        raise StepDeleteRefused(f"{row.person.display_name}: remove “{STEP_LABELS[later[-1]]}” first; "
                                f"“{STEP_LABELS[row.step]}” has later steps recorded.")
    db.session.delete(row)
    db.session.commit()

