"""Demo seeder: per clinic a screening log of ~100 mothers of whom 50 are randomized 2:1 by the platform's own
permuted-block sequence, MIO sessions, training cases, consultation calls, coding assignments with a fifth double
coded, coder ratings and counselors' self-reflection ratings. Deterministic: one ``random.Random`` per clinic seeded
with the clinic code, fixed dates relative to the demo start. Clinics differ the way the trial expects them to:
SPR-1 high dose and fidelity; HFR-2 low dose, late starts, fewer recordings, lower fidelity; one HFR-1 counselor
drifts.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import wave
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.demo import DemoContext
from app.models import Role, User
from app.storage import storage
from implementation_outcomes.delivery.models import (
    ClinicAllocation,
    CodingAssignment,
    ConsultationCall,
    DeliverySettings,
    FidelityRating,
    MioSession,
    SessionRecording,
    TrainingCaseSession,
    TrialParticipant,
)
from implementation_outcomes.delivery.services import recordings
from implementation_outcomes.delivery.services.common import DEFAULT_DOUBLE_CODING_SHARE, packaged_scheme
from implementation_outcomes.metrics import double_coding_sample, generate_allocation_sequence


@dataclass(frozen=True)
class Profile:
    dose: float  # mean attended sessions of those who start
    not_started: float  # share of MIO mothers who never start
    delay: tuple[int, int]  # days from randomization to first session
    recorded: float
    virtual: float
    minutes: tuple[float, float]  # mean, sd
    fidelity: float  # offset of the adherence level
    consultation: float  # attendance probability
    coded: float  # share of recorded sessions already coded
    screening: tuple[int, int, int, int, int]  # declined, not offered, lost, excluded, consented (not yet randomized)
    drift_counselor: int | None = None  # index of a counselor whose adherence declines


PROFILES: dict[str, Profile] = {
    "SPR-1": Profile(10.3, 0.04, (4, 14), 0.95, 0.15, (55, 5), 0.55, 0.92, 0.92, (10, 3, 5, 20, 2)),
    "SPR-2": Profile(8.4, 0.08, (6, 21), 0.9, 0.3, (54, 6), 0.3, 0.85, 0.85, (15, 5, 8, 18, 2)),
    "HFR-1": Profile(7.6, 0.1, (7, 24), 0.85, 0.25, (53, 7), 0.15, 0.8, 0.8, (17, 6, 9, 17, 3), drift_counselor=1),
    "HFR-2": Profile(4.8, 0.2, (18, 55), 0.7, 0.45, (47, 9), -0.35, 0.66, 0.62, (24, 9, 14, 16, 1)),
}
DEFAULT_PROFILE = PROFILES["SPR-2"]
RANDOMIZED_PER_CLINIC = 50
EXCLUSIONS = [("No child aged 0-60 months in her care", 6), ("Severe mental health symptoms", 4),
              ("Needs inpatient care or detoxification", 3), ("Not English-speaking", 3), ("Cognitive impairment", 2)]
DECLINES = ["Too busy / scheduling", "Not interested in a parenting program", "Transportation or childcare",
            "Does not want sessions recorded", "Already in another parenting program"]
SUBSTANCE_WEIGHTS = [("opioids", 45), ("polysubstance", 20), ("alcohol", 15), ("stimulants", 12), ("cannabis", 6),
                     ("other", 2)]
CODER_BIAS = (0.0, 0.15)


def seed_delivery(ctx: DemoContext) -> None:
    """Registered in ``app.extensions["mio.demo_seeders"]``; writes through the ORM (audited), committed by the caller."""
    cutoff = ctx.start + timedelta(days=280)
    coders = sorted((u for u in ctx.users.values() if u.role == Role.FIDELITY_CODER), key=lambda u: u.email)
    staff = {u.agency_id: u for u in ctx.users.values() if u.role == Role.AGENCY_STAFF}
    settings_row = db.session.execute(sa.select(DeliverySettings)).scalars().first()
    if settings_row is None:
        settings_row = DeliverySettings(completion_threshold=8, double_coding_share=DEFAULT_DOUBLE_CODING_SHARE,
                                        double_coding_seed="demo-" + hashlib.sha256(b"mio-demo").hexdigest()[:24])
        db.session.add(settings_row)
    scheme = packaged_scheme()
    for code, clinic in sorted(ctx.clinics.items()):
        rng = random.Random(f"mio-demo-delivery-{code}")
        profile = PROFILES.get(code, DEFAULT_PROFILE)
        counselors = ctx.counselors.get(code, [])
        if not counselors:
            continue
        mothers = _screening_log(rng, clinic, code, counselors, profile, ctx.start)
        sessions = _mio_sessions(rng, clinic, mothers, profile, cutoff)
        training = _training(rng, clinic, counselors, profile, ctx.start)
        _calls(rng, clinic, counselors, profile, ctx.start)
        db.session.flush()
        if coders:
            _fidelity(rng, clinic, sessions + training, profile, counselors, coders, staff.get(clinic.agency_id),
                      scheme, settings_row, cutoff)
        db.session.flush()


def _screening_log(rng: random.Random, clinic, code: str, counselors, profile: Profile,
                   start: date) -> list[TrialParticipant]:
    declined, not_offered, lost, excluded, consented = profile.screening
    mix = [("randomized", RANDOMIZED_PER_CLINIC), ("consented", consented), ("declined", declined),
           ("not_offered", not_offered), ("lost", lost), ("excluded", excluded)]
    statuses = [s for s, n in mix for _ in range(n)]
    rng.shuffle(statuses)
    prefix = code.replace("-", "")
    seed = "demo-seed-" + hashlib.sha256(f"mio-demo-allocation-{code}".encode()).hexdigest()
    sequence = generate_allocation_sequence(code, seed, sum(s == "randomized" for s in statuses))
    entries = []
    for i, status in enumerate(statuses):
        screened = start + timedelta(days=int(i * 150 / len(statuses)) + rng.randint(0, 1))
        eligible = status not in ("excluded", "lost")
        declined = status in ("declined", "not_offered")
        p = TrialParticipant(clinic=clinic, study_id=f"{prefix}-{i + 1:03d}", screened_on=screened, status=status,
                        mother_age=max(18 if eligible else 16, round(rng.gauss(30.5 + (1.5 if declined else 0), 5))),
                        child_age_months=min(60, max(0, round(rng.gauss(24 + (6 if declined else 0), 15)))),
                        primary_substance=_weighted(rng, SUBSTANCE_WEIGHTS),
                        medication_treatment=rng.random() < (0.55 if declined else 0.68))
        if status == "excluded":
            p.reason = _weighted(rng, EXCLUSIONS)
            if p.reason.startswith("No child"):
                p.child_age_months = rng.randint(61, 96)
        elif status == "declined":
            p.reason = _weighted(rng, list(zip(DECLINES, (6, 4, 4, 2, 1), strict=True)))
        if status in ("consented", "randomized"):
            p.consented_on = screened + timedelta(days=rng.randint(0, 6))
        entries.append(p)
    randomized = sorted((p for p in entries if p.status == "randomized"), key=lambda p: (p.consented_on, p.study_id))
    for index, (p, assignment) in enumerate(zip(randomized, sequence, strict=True)):
        p.randomized_on = p.consented_on + timedelta(days=rng.randint(0, 4))
        p.arm = assignment["arm"]
        p.allocation_source = "platform"
        p.allocation_index = index
        if p.arm == "mio_tau":
            p.counselor = counselors[index % len(counselors)]
    db.session.add_all(entries)
    db.session.add(ClinicAllocation(clinic_id=clinic.id, seed=seed, assigned_count=len(randomized)))
    return [p for p in randomized if p.arm == "mio_tau"]


def _weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _session_series(rng: random.Random, first: date, dose: int, profile: Profile, cutoff: date) -> list[dict[str, Any]]:
    """Weekly sessions 1..dose with the odd no-show (rescheduled a week later) or cancellation."""
    out, when, number = [], first, 1
    while number <= dose and when <= cutoff:
        roll = rng.random()
        if number > 1 and roll < 0.08:
            out.append({"number": number, "date": when, "status": "no_show"})
        elif number > 1 and roll < 0.12:
            out.append({"number": number, "date": when, "status": "cancelled"})
        else:
            minutes = round(min(80, max(30, rng.gauss(*profile.minutes))))
            out.append({"number": number, "date": when, "status": "attended", "minutes": minutes,
                        "recorded": rng.random() < profile.recorded,
                        "modality": "virtual" if rng.random() < profile.virtual else "in_person"})
            number += 1
        when += timedelta(days=7 + (rng.randint(1, 7) if rng.random() < 0.15 else 0))
    return out


def _mio_sessions(rng: random.Random, clinic, mothers: list[TrialParticipant], profile: Profile,
                  cutoff: date) -> list[MioSession]:
    rows = []
    for mother in mothers:
        if rng.random() < profile.not_started:
            continue
        dose = min(12, max(1, round(rng.gauss(profile.dose, 2.3))))
        first = mother.randomized_on + timedelta(days=rng.randint(*profile.delay))
        series = _session_series(rng, first, dose, profile, cutoff)
        for s in series:
            rows.append(MioSession(clinic_id=clinic.id, participant=mother, counselor=mother.counselor,
                                   session_number=s["number"], session_date=s["date"], status=s["status"],
                                   duration_minutes=s.get("minutes"), modality=s.get("modality", "in_person"),
                                   audio_recorded=s.get("recorded", False)))
        if any(s["status"] == "attended" for s in series):
            mother.status = "started"
    db.session.add_all(rows)
    return rows


def _training(rng: random.Random, clinic, counselors, profile: Profile, start: date) -> list[TrainingCaseSession]:
    rows = []
    training_start = start - timedelta(days=119)
    for k, counselor in enumerate(counselors):
        for case in (1, 2):
            dose = rng.randint(10, 12) if case == 1 else rng.randint(5 if profile.dose < 6 else 7, 12)
            first = training_start + timedelta(days=7 * (case - 1) + rng.randint(0, 6))
            for s in _session_series(rng, first, dose, profile, start - timedelta(days=1)):
                rows.append(TrainingCaseSession(
                    clinic_id=clinic.id, counselor=counselor, training_case=case, case_label=f"TC-{k + 1}{'AB'[case - 1]}",
                    session_number=s["number"], session_date=s["date"], status=s["status"],
                    duration_minutes=s.get("minutes"), modality=s.get("modality", "in_person"),
                    audio_recorded=s["status"] == "attended" and rng.random() < max(profile.recorded, 0.9)))
    db.session.add_all(rows)
    return rows


def _calls(rng: random.Random, clinic, counselors, profile: Profile, start: date) -> None:
    first = start - timedelta(days=126)
    for counselor in counselors:
        skill = min(1.0, max(0.3, rng.gauss(profile.consultation, 0.08)))
        db.session.add_all(ConsultationCall(clinic_id=clinic.id, counselor=counselor, call_date=first + timedelta(days=7 * w),
                                            attended=rng.random() < skill) for w in range(20))


def _fidelity(rng: random.Random, clinic, sessions: list, profile: Profile, counselors, coders: list[User],
              staff: User | None, scheme: dict, settings_row: DeliverySettings, cutoff: date) -> None:
    """Coding assignments (a primary coder each, ``double_coding_sample`` of a fifth to the other coder), coder
    ratings of the coded share, and self-reflection ratings of every attended training-case session."""
    counselor_level = {c.id: rng.gauss(0, 0.25) for c in counselors}
    drifting = counselors[profile.drift_counselor].id if profile.drift_counselor is not None else None
    recorded = sorted((s for s in sessions if s.status == "attended" and s.audio_recorded), key=_stable_key)
    coded = [s for s in recorded if s.session_date <= cutoff - timedelta(days=14) and rng.random() < profile.coded]
    keys = [_stable_key(s) for s in coded]
    double = set(double_coding_sample(keys, settings_row.double_coding_share,
                                      f"{settings_row.double_coding_seed}:{clinic.code}"))
    order: dict[int, int] = {}
    for i, s in enumerate(coded):
        true = _true_levels(rng, s, profile, counselor_level, drifting, order)
        primary = coders[i % len(coders)]
        pair = [primary] + ([c for c in coders if c is not primary][:1] if _stable_key(s) in double else [])
        for role, coder in zip(("primary", "second"), pair, strict=False):
            link = {"mio_session": s} if s.kind == "mio" else {"training_case_session": s}
            db.session.add(CodingAssignment(clinic_id=clinic.id, coder=coder, role=role, batch=1, **link))
            bias = CODER_BIAS[coders.index(coder) % len(CODER_BIAS)]
            db.session.add(FidelityRating(clinic_id=clinic.id, source="coder", coder=coder, entered_by=coder,
                                          scheme_version=0, scores=_scores(rng, scheme, true, bias, 0.45),
                                          rated_on=s.session_date + timedelta(days=rng.randint(3, 12)), **link))
    coded_keys = set(keys)
    _backlog(clinic, [s for s in recorded if _stable_key(s) not in coded_keys], coders)
    for s in sessions:
        if s.kind == "training" and s.status == "attended":
            true = _true_levels(rng, s, profile, counselor_level, drifting, order)
            db.session.add(FidelityRating(clinic_id=clinic.id, source="self", entered_by=staff, scheme_version=0,
                                          scores=_scores(rng, scheme, true, 0.45, 0.5), rated_on=s.session_date,
                                          training_case_session=s))


BACKLOG_PER_CLINIC = 6


def _backlog(clinic, uncoded: list, coders: list[User]) -> None:
    """A coder's work in hand: the ``BACKLOG_PER_CLINIC`` latest recorded trial sessions not yet coded are assigned
    (alternating coders, no random draw, so every other demo figure stays as it was) but not rated, and carry a
    short stored recording (``demo_recording``) for the rating form's player; older uncoded sessions stay
    unassigned, for the director's "assign" button."""
    recent = sorted((s for s in uncoded if s.kind == "mio"), key=lambda s: (s.session_date, _stable_key(s)))
    recent = recent[-BACKLOG_PER_CLINIC:]
    audio = demo_recording()
    for i, s in enumerate(recent):
        db.session.add(CodingAssignment(clinic_id=clinic.id, coder=coders[i % len(coders)], role="primary", batch=1,
                                        mio_session=s))
        db.session.flush()
        info = storage().put(recordings.storage_key(s), audio, content_type="audio/wav",
                             filename=f"{s.participant.study_id}-session-{s.session_number}.wav")
        db.session.add(SessionRecording(clinic_id=clinic.id, mio_session=s, storage_key=info.key,
                                        content_type=info.content_type, size=info.size, filename=info.filename))


def demo_recording(seconds: float = 4.0, rate: int = 8000) -> bytes:
    """A short WAV (8 kHz, 8-bit mono): a soft 440 Hz tone fading in and out, standing in for a session's audio."""
    frames = bytes(int(128 + 60 * math.sin(2 * math.pi * 440 * n / rate) * math.sin(math.pi * n / (seconds * rate)))
                   for n in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def _stable_key(session) -> str:
    """A key that does not depend on database ids (sequences differ between databases and runs)."""
    if session.kind == "mio":
        return f"{session.session_date.isoformat()}:mio:{session.participant.study_id}:{session.session_number}"
    return (f"{session.session_date.isoformat()}:training:{session.counselor.display_name}:{session.training_case}:"
            f"{session.session_number}")


def _true_levels(rng, session, profile: Profile, counselor_level, drifting, order: dict[int, int]) -> dict[str, float]:
    cid = session.counselor_id if session.counselor_id is not None else session.counselor.id
    n = order[cid] = order.get(cid, 0) + 1
    drift = -0.03 * n if cid == drifting and session.kind == "mio" else 0.0
    adherence = 3.35 + profile.fidelity + counselor_level.get(cid, 0) + drift + rng.gauss(0, 0.3)
    return {"mentalization_based": adherence,
            "alliance_building": 3.7 + 0.5 * profile.fidelity + rng.gauss(0, 0.4),
            "psychoeducation": 2.4 - 0.6 * profile.fidelity - 0.5 * drift + rng.gauss(0, 0.45)}


def _scores(rng, scheme: dict, true: dict[str, float], bias: float, noise: float) -> dict[str, int]:
    lo, hi = scheme["rating_range"]["min"], scheme["rating_range"]["max"]
    out = {}
    for s in scheme["scales"]:
        level = true.get(s["group"], (lo + hi) / 2)
        out[s["key"]] = int(min(hi, max(lo, round(level + bias + rng.gauss(0, noise)))))
    return out
