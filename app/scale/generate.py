"""Deterministic synthetic data at production scale, written in bulk into the real tables.

Per agency: ``clinics_per_agency`` clinics; per clinic a supervisor and ``counselors_per_clinic`` counselors, a
screening log of ``mothers_per_clinic`` mothers randomized to MIO + TAU plus half as many to TAU (2:1, external
allocation), ``sessions_per_mother`` MIO sessions of each MIO mother, ``ratings_per_clinic`` coder fidelity ratings
(about a fifth of the rated sessions double-coded, with their coding assignments),
effectiveness assessments of every mother at three time points (PDI-RF, PSI-4-SF, BDI-II; some missed),
one closed AIM survey wave whose ``respondents_per_clinic`` links were all submitted (with scores), and
``transcripts_per_clinic`` interview transcripts in the agency's qualitative project, each with
``turns_per_transcript`` speaker turns and ``codings_per_transcript`` codings by two analysts.

Defaults (``--scale 1``): 100 agencies, 400 clinics, 4,000 counselors, 60,000 mothers (40,000 in MIO),
480,000 sessions, 40,000 fidelity ratings, 20,000 survey responses, 2,000 transcripts, 200,000 codings.
Mothers appear by study ID only. Everything comes from ``random.Random(seed)`` and fixed dates.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.db import db
from app.scale.bulk import (
    SCALE_AGENCY_PREFIX,
    SCALE_EMAIL_DOMAIN,
    SCALE_PROJECT_PREFIX,
    BulkWriter,
    delete_scale_rows,
    scale_rows_exist,
)

START = date(2025, 9, 1)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
WORDS = ("we the mothers session time staff supervisor trust culture space money training video reflective baby "
         "feelings group clinic counselor manual week hard easy helped never always billing room schedule").split()
SURVEY_INSTRUMENT = "shipped:aim@1.0.0"
ROLES = ("clinician", "clinician", "clinician", "supervisor", "administrator", "other")


@dataclass(frozen=True)
class ScaleSpec:
    agencies: int = 100
    clinics_per_agency: int = 4
    counselors_per_clinic: int = 10
    mothers_per_clinic: int = 100
    sessions_per_mother: int = 12
    ratings_per_clinic: int = 100
    respondents_per_clinic: int = 50
    transcripts_per_clinic: int = 5
    turns_per_transcript: int = 40
    codings_per_transcript: int = 100
    codes_per_project: int = 20
    seed: int = 2026

    def validate(self) -> None:
        for name, value in asdict(self).items():
            if value < (0 if name in ("ratings_per_clinic", "transcripts_per_clinic") else 1):
                raise ValueError(f"--{name.replace('_', '-')}: must be at least 1 (got {value}).")
        if self.sessions_per_mother > 12:
            raise ValueError("--sessions-per-mother: MIO has 12 sessions; give 1 to 12.")
        if self.ratings_per_clinic > self.mothers_per_clinic:
            raise ValueError("--ratings-per-clinic: at most one rating per MIO mother (<= --mothers-per-clinic).")
        if self.agencies > 999:
            raise ValueError("--agencies: at most 999.")

    @property
    def expected(self) -> dict[str, int]:
        clinics = self.agencies * self.clinics_per_agency
        return {
            "agencies": self.agencies, "clinics": clinics, "counselors": clinics * self.counselors_per_clinic,
            "mothers": clinics * (self.mothers_per_clinic + self.mothers_per_clinic // 2),
            "sessions": clinics * self.mothers_per_clinic * self.sessions_per_mother,
            "fidelity_ratings": clinics * self.ratings_per_clinic,
            "survey_responses": clinics * self.respondents_per_clinic,
            "transcripts": clinics * self.transcripts_per_clinic,
            "codings": clinics * self.transcripts_per_clinic * self.codings_per_transcript,
        }


TINY = ScaleSpec(agencies=2, clinics_per_agency=2, counselors_per_clinic=3, mothers_per_clinic=6,
                 sessions_per_mother=4, ratings_per_clinic=6, respondents_per_clinic=5, transcripts_per_clinic=2,
                 turns_per_transcript=10, codings_per_transcript=12, codes_per_project=5)


def spec_for(scale: str | float | None, **overrides) -> ScaleSpec:
    """``tiny`` (for tests), or a factor on the number of agencies (``0.01`` = 1 agency of full-size clinics)."""
    if scale == "tiny":
        base = TINY
    else:
        factor = 1.0 if scale in (None, "") else float(scale)
        if factor <= 0:
            raise ValueError(f"--scale: give tiny or a positive factor (got {scale}).")
        base = replace(ScaleSpec(), agencies=max(1, round(ScaleSpec.agencies * factor)))
    spec = replace(base, **{k: v for k, v in overrides.items() if v is not None})
    spec.validate()
    return spec


Progress = Callable[[int, int, str], None]


def generate(spec: ScaleSpec, reset: bool = False, progress: Progress | None = None) -> dict[str, int]:
    """Write the scale dataset in one transaction (the caller commits). Refuses when scale data exists, unless
    ``reset``, which first deletes exactly the earlier scale rows. Returns the row counts per table."""
    spec.validate()
    conn = db.session.connection()
    metadata = db.metadata
    if scale_rows_exist(conn, metadata):
        if not reset:
            raise ValueError("Scale data already exists; run again with --reset to replace it.")
        delete_scale_rows(conn, metadata)
    report = progress or (lambda done, total, message: None)
    return _Generator(spec, BulkWriter(conn), report).run()


class _Generator:
    def __init__(self, spec: ScaleSpec, writer: BulkWriter, report: Progress):
        self.spec, self.w, self.report = spec, writer, report
        self.rng = random.Random(spec.seed)
        self.t = db.metadata.tables
        self.steps = 0

    def step(self, message: str) -> None:
        self.steps += 1
        self.report(self.steps, 7, message)

    def run(self) -> dict[str, int]:
        self.users()
        self.organisation()
        self.step(f"{self.spec.agencies} agencies, {len(self.clinics)} clinics, {len(self.people)} staff")
        self.screening_log()
        self.step(f"{self.w.counts.get('trial_participant', 0):,} mothers in the screening logs")
        self.sessions()
        self.assessments()
        self.step(f"{self.w.counts.get('mio_session', 0):,} MIO sessions, "
                  f"{self.w.counts.get('assessment_visit', 0):,} effectiveness assessments")
        self.fidelity()
        self.step(f"{self.w.counts.get('fidelity_rating', 0):,} fidelity ratings")
        self.surveys()
        self.step(f"{self.w.counts.get('survey_response', 0):,} survey responses")
        self.transcripts()
        self.step(f"{self.w.counts.get('qual_document', 0):,} transcripts, "
                  f"{self.w.counts.get('qual_coding', 0):,} codings")
        if self.w.postgresql:
            db.session.execute(sa.text("ANALYZE"))
        self.step("statistics refreshed")
        return dict(self.w.counts)

    # --- people and organisation ---------------------------------------------------------------------------

    def users(self) -> None:
        from app.security import hash_password

        table = self.t["user_account"]
        unusable = hash_password(base64.urlsafe_b64encode(self.rng.randbytes(24)).decode())
        accounts = [("analyst1", "Scale Analyst 1", "analyst"), ("analyst2", "Scale Analyst 2", "analyst"),
                    ("coder1", "Scale Coder 1", "fidelity_coder"), ("coder2", "Scale Coder 2", "fidelity_coder")]
        ids = self.w.ids(table, len(accounts))
        self.user_ids = dict(zip((a[0] for a in accounts), ids, strict=True))
        self.w.insert(table, ("id", "email", "name", "password_hash", "role", "active", "must_change_password",
                              "created_at", "updated_at"),
                      [(i, f"{local}{SCALE_EMAIL_DOMAIN}", name, unusable, role, True, True, NOW, NOW)
                       for i, (local, name, role) in zip(ids, accounts, strict=True)])

    def organisation(self) -> None:
        s, t = self.spec, self.t
        agency_ids = self.w.ids(t["agency"], s.agencies)
        clinic_ids = iter(self.w.ids(t["clinic"], s.agencies * s.clinics_per_agency))
        staff_per_clinic = s.counselors_per_clinic + 1
        person_ids = iter(self.w.ids(t["person"], s.agencies * s.clinics_per_agency * staff_per_clinic))
        agencies, clinics, people = [], [], []
        self.clinics: list[tuple[int, int, str]] = []  # (clinic id, agency id, code)
        self.counselors: dict[int, list[int]] = {}
        for a, agency_id in enumerate(agency_ids, start=1):
            code = f"{SCALE_AGENCY_PREFIX}{a:03d}"
            agencies.append((agency_id, f"Scale Agency {a:03d}", code, "Springfield", "MA", True, NOW, NOW))
            for c in range(1, s.clinics_per_agency + 1):
                clinic_id = next(clinic_ids)
                clinic_code = f"{code}-{c}"
                clinics.append((clinic_id, agency_id, f"Scale clinic {a:03d}-{c}", clinic_code, "Springfield",
                                "Outpatient SUD treatment", True, True, NOW, NOW))
                self.clinics.append((clinic_id, agency_id, clinic_code))
                people.append((next(person_ids), clinic_id, "supervisor", f"Supervisor {clinic_code}", True, NOW, NOW))
                self.counselors[clinic_id] = []
                for n in range(1, s.counselors_per_clinic + 1):
                    pid = next(person_ids)
                    people.append((pid, clinic_id, "counselor", f"Counselor {clinic_code}-{n:02d}", True, NOW, NOW))
                    self.counselors[clinic_id].append(pid)
        self.agency_ids = agency_ids
        self.people = people
        self.w.insert(t["agency"], ("id", "name", "code", "city", "state", "active", "created_at", "updated_at"),
                      agencies)
        self.w.insert(t["clinic"], ("id", "agency_id", "name", "code", "city", "setting", "taking_part", "active",
                                    "created_at", "updated_at"), clinics)
        self.w.insert(t["person"], ("id", "clinic_id", "kind", "display_name", "active", "created_at",
                                    "updated_at"), people)

    # --- delivery ------------------------------------------------------------------------------------------

    def screening_log(self) -> None:
        s, rng = self.spec, self.rng
        table = self.t["trial_participant"]
        per_clinic = s.mothers_per_clinic + s.mothers_per_clinic // 2
        ids = iter(self.w.ids(table, len(self.clinics) * per_clinic))
        rows = []
        self.mio_mothers: list[tuple[int, int, int, date]] = []  # (participant, clinic, counselor, randomized on)
        self.mothers: list[tuple[int, int, str, date]] = []  # (participant, clinic, arm, randomized on)
        substances = ("opioids", "alcohol", "stimulants", "cannabis", "polysubstance")
        for clinic_id, _agency, code in self.clinics:
            arms = ["mio_tau"] * s.mothers_per_clinic + ["tau"] * (s.mothers_per_clinic // 2)
            rng.shuffle(arms)
            for n, arm in enumerate(arms, start=1):
                pid = next(ids)
                screened = START + timedelta(days=rng.randrange(240))
                randomized = screened + timedelta(days=rng.randrange(3, 15))
                counselor = rng.choice(self.counselors[clinic_id]) if arm == "mio_tau" else None
                rows.append((pid, clinic_id, f"M{code.removeprefix(SCALE_AGENCY_PREFIX)}-{n:04d}", screened,
                             "started" if arm == "mio_tau" else "randomized", randomized - timedelta(days=1),
                             randomized, arm, "external", n, counselor, rng.randint(18, 44), rng.randrange(0, 60),
                             rng.choice(substances), rng.random() < 0.6, NOW, NOW))
                self.mothers.append((pid, clinic_id, arm, randomized))
                if arm == "mio_tau":
                    self.mio_mothers.append((pid, clinic_id, counselor, randomized))
        self.w.insert(table, ("id", "clinic_id", "study_id", "screened_on", "status", "consented_on", "randomized_on",
                              "arm", "allocation_source", "allocation_index", "counselor_id", "mother_age",
                              "child_age_months", "primary_substance", "medication_treatment", "created_at",
                              "updated_at"), rows)

    def sessions(self) -> None:
        s, rng = self.spec, self.rng
        table = self.t["mio_session"]
        ids = iter(self.w.ids(table, len(self.mio_mothers) * s.sessions_per_mother))
        self.rateable: dict[int, list[int]] = {}  # clinic -> one recorded, attended session id per MIO mother
        rows = []
        for participant, clinic_id, counselor, randomized in self.mio_mothers:
            engaged = rng.random()
            chosen = None
            for number in range(1, s.sessions_per_mother + 1):
                sid = next(ids)
                roll = rng.random()
                status = "attended" if roll < 0.55 + 0.4 * engaged else ("no_show" if roll < 0.97 else "cancelled")
                recorded = status == "attended" and rng.random() < 0.8
                if chosen is None and number == s.sessions_per_mother:
                    status, recorded = "attended", True  # every MIO mother has a recorded session to rate
                if chosen is None and recorded:
                    chosen = sid
                rows.append((sid, clinic_id, participant, counselor, number,
                             randomized + timedelta(days=7 * number), 55 if status == "attended" else None,
                             "virtual" if rng.random() < 0.25 else "in_person", status, recorded, NOW, NOW))
            self.rateable.setdefault(clinic_id, []).append(chosen)
        self.w.insert(table, ("id", "clinic_id", "participant_id", "counselor_id", "session_number", "session_date",
                              "duration_minutes", "modality", "status", "audio_recorded", "created_at",
                              "updated_at"), rows)

    def assessments(self) -> None:
        """Effectiveness assessments of every mother at baseline, end of treatment and 3-month follow-up (about 12 %
        and 20 % missed, with a reason): PDI-RF, PSI-4-SF (total = its three subscales) and BDI-II, MIO + TAU
        improving more than TAU, so the analyses have statewide-size data (issue 13)."""
        rng = self.rng
        visits, scores = [], []
        plan = []
        for participant, clinic_id, arm, randomized in self.mothers:
            level, treated = rng.gauss(0, 1), arm == "mio_tau"
            for j, (tp, offset, p_missed) in enumerate((("baseline", -1, 0.0), ("end_of_treatment", 112, 0.12),
                                                         ("follow_up_3m", 203, 0.2))):
                plan.append((participant, clinic_id, tp, randomized + timedelta(days=offset),
                             rng.random() < p_missed, level, treated, min(j, 1)))
        visit_ids = iter(self.w.ids(self.t["assessment_visit"], len(plan)))
        score_ids = iter(self.w.ids(self.t["outcome_score"], 3 * sum(1 for row in plan if not row[4])))
        for participant, clinic_id, tp, when, missed, level, treated, after in plan:
            vid = next(visit_ids)
            visits.append((vid, clinic_id, participant, tp, "missed" if missed else "completed",
                           None if missed else when, "unreachable" if missed else None, NOW, NOW))
            if missed:
                continue
            rf = round(min(9, max(-1, 3 + 0.9 * level + after * (1.0 if treated else 0.2) + rng.gauss(0, 0.8))))
            total = 98 + 12 * level - after * (10 if treated else 2) + rng.gauss(0, 8)
            pd = int(min(60, max(12, round(total * 0.36))))
            pcdi = int(min(60, max(12, round(total * 0.30))))
            dc = int(min(60, max(12, round(total - pd - pcdi))))
            bdi = round(min(63, max(0, 18 + 5 * level - after * (4 if treated else 1) + rng.gauss(0, 5))))
            for measure, values in (("pdi_rf", {"rf_overall": rf}),
                                    ("psi_4_sf", {"total_stress": pd + pcdi + dc, "parental_distress": pd,
                                                  "parent_child_dysfunctional_interaction": pcdi,
                                                  "difficult_child": dc}),
                                    ("bdi_ii", {"total": bdi})):
                scores.append((next(score_ids), clinic_id, vid, measure, "primary", values, "1.0.0", False, "demo",
                               NOW, NOW))
        self.w.insert(self.t["assessment_visit"], ("id", "clinic_id", "participant_id", "time_point", "status",
                                                   "assessed_on", "missed_reason", "created_at", "updated_at"), visits)
        self.w.insert(self.t["outcome_score"], ("id", "clinic_id", "visit_id", "measure", "coder_slot", "values",
                                                "definitions_version", "entered_unblinded", "source", "created_at",
                                                "updated_at"), scores)

    def fidelity(self) -> None:
        """``ratings_per_clinic`` coder ratings per clinic, as the trial rates: about a fifth of the rated sessions
        double-coded (one in six ratings' worth of sessions get a second coder, whose scores share the session's
        level), with the coding assignments (primary, second) that go with them."""
        from implementation_outcomes.delivery.services.common import current_scheme

        version, scheme = current_scheme()
        keys = [scale["key"] for scale in scheme["scales"]]
        low, high = scheme["rating_range"]["min"], scheme["rating_range"]["max"]
        rng, table = self.rng, self.t["fidelity_rating"]
        coders = [self.user_ids["coder1"], self.user_ids["coder2"]]
        double = self.spec.ratings_per_clinic // 6
        rated = self.spec.ratings_per_clinic - double
        picked = [(clinic_id, sid, i < double) for clinic_id, sessions in self.rateable.items()
                  for i, sid in enumerate(sessions[:rated])]
        ids = iter(self.w.ids(table, sum(2 if two else 1 for *_ignored, two in picked)))
        assignment_ids = iter(self.w.ids(self.t["coding_assignment"], sum(2 if two else 1 for *_i, two in picked)))
        rows, assignments = [], []
        for clinic_id, sid, two in picked:
            level = rng.uniform(low + 0.5, high - 0.5)
            order = coders if rng.random() < 0.5 else coders[::-1]
            for role, coder in zip(("primary", "second"), order[: 2 if two else 1], strict=False):
                scores = {k: min(high, max(low, round(level + rng.gauss(0, 0.7)))) for k in keys}
                rows.append((next(ids), clinic_id, sid, "coder", coder, version, scores,
                             START + timedelta(days=rng.randrange(250, 270)), NOW, NOW))
                assignments.append((next(assignment_ids), clinic_id, sid, coder, role, 1, NOW, NOW))
        self.w.insert(table, ("id", "clinic_id", "mio_session_id", "source", "coder_id", "scheme_version", "scores",
                              "rated_on", "created_at", "updated_at"), rows)
        self.w.insert(self.t["coding_assignment"], ("id", "clinic_id", "mio_session_id", "coder_id", "role", "batch",
                                                    "created_at", "updated_at"), assignments)

    # --- readiness surveys ---------------------------------------------------------------------------------

    def surveys(self) -> None:
        from readiness.scoring import SCORING_RULE_VERSION, score_response
        from readiness.surveys.library import instrument_for_ref
        from readiness.surveys.services import token_hash

        instrument = instrument_for_ref(SURVEY_INSTRUMENT)
        db.session.flush()
        definition = instrument.definition
        items = [key for sub in definition["subscales"] for key in sub["items"]]
        s, rng, t = self.spec, self.rng, self.t
        n = len(self.clinics)
        wave_ids = self.w.ids(t["survey_wave"], n)
        wi_ids = self.w.ids(t["survey_wave_instrument"], n)
        link_ids = iter(self.w.ids(t["survey_link"], n * s.respondents_per_clinic))
        response_ids = iter(self.w.ids(t["survey_response"], n * s.respondents_per_clinic))
        waves, wave_instruments, links, responses, scores = [], [], [], [], []
        opens, closes = date(2026, 2, 9), date(2026, 3, 6)
        for (clinic_id, _agency, _code), wave_id, wi_id in zip(self.clinics, wave_ids, wi_ids, strict=True):
            waves.append((wave_id, clinic_id, "Readiness survey, winter 2026", opens, closes,
                          datetime(2026, 3, 7, 9, tzinfo=UTC), NOW, NOW))
            wave_instruments.append((wi_id, wave_id, instrument.id, 0))
            centre = rng.uniform(2.2, 4.6)
            for number in range(1, s.respondents_per_clinic + 1):
                link_id, response_id = next(link_ids), next(response_ids)
                token = base64.urlsafe_b64encode(rng.randbytes(24)).decode()
                when = datetime.combine(opens + timedelta(days=rng.randrange(25)), datetime.min.time(), UTC) \
                    + timedelta(hours=rng.randrange(8, 18))
                links.append((link_id, wave_id, number, token_hash(token), rng.choice(ROLES),
                              when - timedelta(minutes=9), when, NOW, NOW))
                person = centre + rng.gauss(0, 0.5)
                answers = {key: min(5, max(1, round(person + rng.gauss(0, 0.5)))) for key in items}
                responses.append((response_id, link_id, instrument.id, answers, "submitted", when, NOW, NOW))
                for subscale, result in score_response(definition, answers, SCORING_RULE_VERSION).items():
                    scores.append((response_id, subscale, result["score"], result["n_answered"], result["n_items"],
                                   result["rule_version"], result["instrument_version"], NOW, NOW))
        self.w.insert(t["survey_wave"], ("id", "clinic_id", "title", "opens_on", "closes_on", "closed_at",
                                         "created_at", "updated_at"), waves)
        self.w.insert(t["survey_wave_instrument"], ("id", "survey_wave_id", "instrument_id", "position"),
                      wave_instruments)
        self.w.insert(t["survey_link"], ("id", "survey_wave_id", "number", "token_hash", "respondent_role",
                                         "started_at", "submitted_at", "created_at", "updated_at"), links)
        self.w.insert(t["survey_response"], ("id", "survey_link_id", "instrument_id", "answers", "status",
                                             "submitted_at", "created_at", "updated_at"), responses)
        self.w.insert(t["score"], ("survey_response_id", "subscale", "score", "n_answered", "n_items", "rule_version",
                                   "instrument_version", "created_at", "updated_at"), scores)

    # --- qualitative ---------------------------------------------------------------------------------------

    def transcripts(self) -> None:
        s, rng, t = self.spec, self.rng, self.t
        if not s.transcripts_per_clinic:
            return
        analysts = [self.user_ids["analyst1"], self.user_ids["analyst2"]]
        project_ids = self.w.ids(t["qual_project"], s.agencies)
        project_of = dict(zip(self.agency_ids, project_ids, strict=True))
        self.w.insert(t["qual_project"], ("id", "name", "codebook_version", "created_at", "updated_at"),
                      [(pid, f"{SCALE_PROJECT_PREFIX}{a:03d}", 1, NOW, NOW)
                       for a, pid in enumerate(project_ids, start=1)])
        self.w.insert(t["qual_project_member"], ("project_id", "user_id", "privilege", "created_at", "updated_at"),
                      [(pid, uid, "code", NOW, NOW) for pid in project_ids for uid in analysts])
        code_ids = self.w.ids(t["qual_code"], s.agencies * s.codes_per_project)
        codes_of: dict[int, list[int]] = {}
        code_rows = []
        for i, cid in enumerate(code_ids):
            pid = project_ids[i // s.codes_per_project]
            position = i % s.codes_per_project
            codes_of.setdefault(pid, []).append(cid)
            code_rows.append((cid, pid, f"S{position + 1:02d}", f"Scale code {position + 1}", "custom", True, [],
                              position, True, NOW, NOW))
        self.w.insert(t["qual_code"], ("id", "project_id", "key", "name", "kind", "codable", "lexicon", "position",
                                       "active", "created_at", "updated_at"), code_rows)
        doc_ids = iter(self.w.ids(t["qual_document"], len(self.clinics) * s.transcripts_per_clinic))
        documents, turns, codings = [], [], []
        for clinic_id, agency_id, code in self.clinics:
            pid = project_of[agency_id]
            for d in range(1, s.transcripts_per_clinic + 1):
                doc_id = next(doc_ids)
                parts, spans, position = [], [], 0
                for turn in range(s.turns_per_transcript):
                    label = "Interviewer: " if turn % 2 == 0 else "Counselor: "
                    utterance = " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 35)))
                    if turn:
                        parts.append("\n\n")
                        position += 2
                    parts.append(label + utterance)
                    start = position + len(label)
                    spans.append((start, start + len(utterance)))
                    position = start + len(utterance)
                    turns.append((doc_id, turn, label[:-2], start, start + len(utterance)))
                documents.append((doc_id, pid, clinic_id, f"Interview {code}-{d:02d}", "interview",
                                  date(2026, 4, 1) + timedelta(days=d), "".join(parts), "applied", NOW, NOW))
                seen: set[tuple[int, int, int, int]] = set()
                while len(seen) < s.codings_per_transcript:
                    a, b = spans[rng.randrange(len(spans))]
                    first = rng.randrange(a, b - 1)
                    seen.add((rng.choice(analysts), rng.choice(codes_of[pid]), first, rng.randrange(first + 1, b + 1)))
                codings += [(doc_id, code_id, coder, first, last, "manual", 1, NOW, NOW)
                            for coder, code_id, first, last in sorted(seen)]
        self.w.insert(t["qual_document"], ("id", "project_id", "clinic_id", "name", "kind", "interview_date", "text",
                                           "deidentification", "created_at", "updated_at"), documents)
        self.w.insert(t["qual_document_turn"], ("document_id", "index", "speaker", "start", "end"), turns)
        self.w.insert(t["qual_coding"], ("document_id", "code_id", "coder_id", "start", "end", "source", "version",
                                         "created_at", "updated_at"), codings)
