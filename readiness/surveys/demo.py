"""Demo readiness surveys: one closed wave per clinic (ORIC, AIM, IAM, FIM) with answers that differ by clinic,
one imported REDCap instrument, and one open wave whose links can be tried.

Clinic stories (deterministic, ``random.Random(2026)``, fixed dates):
- SPR-1: high readiness, staff agree (8 of 9 links submitted).
- SPR-2: middling readiness (7 of 8; one draft left in progress).
- HFR-1: middling; most staff cannot yet judge MIO's feasibility ("don't know"), so only 2 score on FIM and the
  FIM mean is suppressed (n < 3) (6 of 8 submitted).
- HFR-2: low change commitment with staff split into a keen third and a reluctant majority (low rwg(j)), lower
  acceptability and feasibility (7 of 9; one draft).
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, date, datetime, timedelta
from importlib import resources

from app.db import db
from app.demo import DemoContext
from readiness.scoring import validate_answers
from readiness.surveys import library, services
from readiness.surveys.models import SurveyResponse

WAVE_OPENS = date(2026, 2, 9)
WAVE_CLOSES = date(2026, 3, 6)
SHIPPED = ["shipped:oric@1.0.0", "shipped:aim@1.0.0", "shipped:iam@1.0.0", "shipped:fim@1.0.0"]

#: per clinic: links, submitted, drafts, {subscale: (centre, person SD, item SD)}; "split" = two camps
CLINICS = {
    "SPR-1": (9, 8, 0, {"change_commitment": (4.6, 0.2, 0.35), "change_efficacy": (4.3, 0.2, 0.4),
                        "aim": (4.5, 0.2, 0.35), "iam": (4.4, 0.2, 0.35), "fim": (4.2, 0.25, 0.4)}),
    "SPR-2": (8, 7, 1, {"change_commitment": (3.8, 0.4, 0.5), "change_efficacy": (3.4, 0.4, 0.5),
                        "aim": (3.9, 0.4, 0.5), "iam": (3.7, 0.4, 0.5), "fim": (3.3, 0.4, 0.5)}),
    "HFR-1": (8, 6, 0, {"change_commitment": (3.6, 0.4, 0.5), "change_efficacy": (3.2, 0.4, 0.5),
                        "aim": (3.7, 0.4, 0.5), "iam": (3.8, 0.4, 0.5), "fim": (3.4, 0.4, 0.5)}),
    "HFR-2": (9, 7, 1, {"change_commitment": "split", "change_efficacy": (2.8, 0.5, 0.6),
                        "aim": (2.9, 0.6, 0.6), "iam": (3.0, 0.5, 0.6), "fim": (2.6, 0.5, 0.6)}),
}
ROLES = ["supervisor", "clinician", "clinician", "administrator", "clinician", "clinician", "other", "clinician",
         "clinician"]


def _token_factory(rng: random.Random):
    def token() -> str:
        return base64.urlsafe_b64encode(bytes(rng.getrandbits(8) for _ in range(24))).decode()
    return token


def _answers(rng: random.Random, definition: dict, plan: dict, respondent: int, dont_know_fim: bool) -> dict:
    answers = {}
    for sub in definition["subscales"]:
        params = plan[sub["key"]]
        if params == "split":  # two camps: a keen third, a reluctant majority
            level = 4.4 if respondent % 3 == 0 else 1.8
            person_sd, item_sd = 0.2, 0.45
        else:
            level, person_sd, item_sd = params
        person = level + rng.gauss(0, person_sd)
        for key in sub["items"]:
            answers[key] = min(5, max(1, round(person + rng.gauss(0, item_sd))))
    if dont_know_fim:
        for key in rng.sample(sorted(answers), 1):
            answers[key] = definition["dont_know_code"]
    return answers


def seed(ctx: DemoContext) -> None:
    rng = random.Random(2026)
    tokens = _token_factory(rng)
    director = ctx.users["director@mio.example"]
    for code, (n_links, n_submitted, n_drafts, plan) in CLINICS.items():
        wave = services.create_wave(clinic=ctx.clinics[code], title="MIO readiness survey, winter 2026",
                                    instrument_refs=SHIPPED, opens_on=WAVE_OPENS, closes_on=WAVE_CLOSES,
                                    n_links=n_links, user=director, token_factory=tokens)
        order = list(range(n_links))
        rng.shuffle(order)  # which links were used is not the first n
        for i, index in enumerate(order[:n_submitted]):
            link = wave.links[index]
            when = datetime.combine(WAVE_OPENS + timedelta(days=1 + i * 3), datetime.min.time(), UTC) \
                + timedelta(hours=14 + i % 4)
            link.respondent_role = ROLES[i]
            link.started_at, link.submitted_at = when - timedelta(minutes=12), when
            for instrument in wave.instruments:
                definition = instrument.definition
                # HFR-1: all but two respondents answer "don't know" to a FIM item, so FIM is unscored for them
                dont_know = code == "HFR-1" and instrument.key == "fim" and i >= 2
                answers = _answers(rng, definition, plan, i, dont_know)
                problems = validate_answers(definition, answers)
                if problems:
                    raise AssertionError(f"demo answers invalid for {code} {instrument.key}: {problems}")
                response = SurveyResponse(link=link, instrument=instrument, answers=answers, status="submitted",
                                          submitted_at=when)
                db.session.add(response)
                services.score_response_row(response)
        for index in order[n_submitted:n_submitted + n_drafts]:
            link = wave.links[index]
            link.respondent_role = "clinician"
            link.started_at = datetime.combine(WAVE_OPENS + timedelta(days=5), datetime.min.time(), UTC)
            oric = wave.instruments[0]
            partial = _answers(rng, oric.definition, plan, 1, False)
            db.session.add(SurveyResponse(link=link, instrument=oric, status="draft",
                                                   answers=dict(list(partial.items())[:6])))
        db.session.commit()
    source = resources.files("readiness").joinpath("demo_data", "team_leadership_dictionary.csv")
    imported = library.import_dictionary(source.read_text(encoding="utf-8"), title="Team leadership check-in",
                                         user=director, filename="team_leadership_dictionary.csv")
    services.create_wave(clinic=ctx.clinics["SPR-1"], title="Team leadership check-in",
                         instrument_refs=[f"db:{imported.id}", "shipped:aim@1.0.0"], opens_on=date(2026, 11, 2),
                         closes_on=date(2027, 6, 30), n_links=5, user=director, token_factory=tokens)
