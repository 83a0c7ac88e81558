"""Column values the generic factory cannot guess for the delivery models (check constraints, the session a rating or
assignment belongs to, a coder account)."""

from __future__ import annotations

import datetime as dt

from app.models import Role, User
from tests.factories import OVERRIDES

DAY = dt.date(2026, 3, 1)


def _coder(f, cache):
    if User not in cache:
        cache[User] = f.user(Role.FIDELITY_CODER)
    return cache[User]


def _mio_session(f, agency, clinic, marker, cache):
    from implementation_outcomes.delivery.models import MioSession

    return f.generic(MioSession, agency, clinic, marker, cache)


OVERRIDES["TrialParticipant"] = lambda f, agency, clinic, marker, cache: {
    "status": "randomized", "arm": "mio_tau", "allocation_source": "external", "primary_substance": "opioids",
    "screened_on": DAY, "randomized_on": DAY, "mother_age": 30, "child_age_months": 20, "allocation_index": None,
}
_SESSION = {"session_number": 1, "session_date": DAY, "duration_minutes": 55, "modality": "in_person",
            "status": "attended", "audio_recorded": True}
OVERRIDES["MioSession"] = lambda f, agency, clinic, marker, cache: dict(_SESSION)
OVERRIDES["TrainingCaseSession"] = lambda f, agency, clinic, marker, cache: {**_SESSION, "training_case": 1}
OVERRIDES["ClinicAllocation"] = lambda f, agency, clinic, marker, cache: {"assigned_count": 0}
OVERRIDES["CodingAssignment"] = lambda f, agency, clinic, marker, cache: {
    "mio_session_id": _mio_session(f, agency, clinic, marker, cache).id, "coder_id": _coder(f, cache).id,
    "role": "primary", "batch": 1,
}
OVERRIDES["FidelityRating"] = lambda f, agency, clinic, marker, cache: {
    "mio_session_id": _mio_session(f, agency, clinic, marker, cache).id, "coder_id": _coder(f, cache).id,
    "source": "coder", "scheme_version": 0, "rated_on": DAY,
    "scores": {"ab_warmth": 3, "ab_collaboration": 3, "ab_session_structure": 3, "pe_parenting_advice": 2,
               "pe_problem_solving": 2, "mb_mother_mental_states": 4, "mb_child_mental_states": 4,
               "mb_affect_regulation": 4, "mb_linking_states_behaviour": 4, "mb_curious_stance": 4},
}
OVERRIDES["SessionRecording"] = lambda f, agency, clinic, marker, cache: {
    "mio_session_id": _mio_session(f, agency, clinic, marker, cache).id, "content_type": "audio/wav", "size": 0,
}
