"""Demo: the project "MIO implementation interviews 2026" with twelve transcripts written for the demo (supervisor,
counselor and program-director interviews at each clinic, one focus group per agency), imported through the real
parsers from ``qualitative/demo_data/`` (Zoom .vtt, Otter .txt, plain .txt), de-identified through the real review
(staff names become "[supervisor]" / "[counselor]", a phone number "[PHONE]", one false positive rejected),
speakers mapped to pseudonymous participants with CFIR roles, and coded by both analysts: every transcript by the
first analyst, six of them also by the second, with overlapping but not identical spans and a few different codes,
so inter-coder agreement is meaningful. The content differs by clinic: SPR-1 is well resourced, HFR-2 strained.

Deterministic: fixed dates, ``random.Random(2026)``. Later qualitative seeders call ``demo_codings_done(ctx)``
and ``demo_project(ctx)`` (this seeder is registered first).
"""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from app.db import db
from app.demo import DemoContext
from app.models import Person
from qualitative.models import Code, Document, Privilege, QualProject
from qualitative.workspace.services import coding as coding_service
from qualitative.workspace.services import deidentify, participants, projects
from qualitative.workspace.services.transcripts import ImportSettings, import_files

PROJECT_NAME = "MIO implementation interviews 2026"
EXTRAS_KEY = "qualitative.workspace"
DATA = Path(__file__).resolve().parent.parent / "demo_data"

#: file, clinic, kind, date, interviewer
TRANSCRIPTS = [
    ("spr1_supervisor_interview.vtt", "SPR-1", "interview", date(2026, 5, 4), "QA"),
    ("spr1_counselor_interview.txt", "SPR-1", "interview", date(2026, 5, 6), "QA"),
    ("spr1_director_interview.txt", "SPR-1", "interview", date(2026, 5, 8), "RS"),
    ("spr2_supervisor_interview.txt", "SPR-2", "interview", date(2026, 5, 11), "QA"),
    ("spr2_counselor_interview.vtt", "SPR-2", "interview", date(2026, 5, 13), "RS"),
    ("hfr1_supervisor_interview.txt", "HFR-1", "interview", date(2026, 5, 18), "QA"),
    ("hfr1_counselor_interview.txt", "HFR-1", "interview", date(2026, 5, 20), "RS"),
    ("hfr2_supervisor_interview.vtt", "HFR-2", "interview", date(2026, 5, 26), "QA"),
    ("hfr2_counselor_interview.txt", "HFR-2", "interview", date(2026, 5, 27), "RS"),
    ("hfr2_director_interview.txt", "HFR-2", "interview", date(2026, 5, 29), "QA"),
    ("spr_focus_group.vtt", "SPR-1", "focus-group", date(2026, 6, 10), "QA"),
    ("hfr_focus_group.txt", "HFR-2", "focus-group", date(2026, 6, 17), "QA"),
]

#: speaker label -> (pseudonym template, CFIR role key, clinic override) per transcript; None = not a participant
_ROLE = {"Supervisor": ("{clinic} supervisor", "IV.ROLE.B"), "Counselor": ("{clinic} counselor 1", "IV.ROLE.H"),
         "Interviewee": ("{clinic} program director", "IV.ROLE.A")}
FOCUS_GROUP_SPEAKERS = {
    "spr_focus_group": {"Counselor A": ("SPR-1 counselor 1", "SPR-1"), "Counselor B": ("SPR-2 counselor 1", "SPR-2"),
                        "Counselor C": ("SPR-1 counselor 2", "SPR-1"), "Counselor D": ("SPR-1 counselor 3", "SPR-1")},
    "hfr_focus_group": {"Counselor A": ("HFR-2 counselor 1", "HFR-2"), "Counselor B": ("HFR-1 counselor 1", "HFR-1"),
                        "Counselor C": ("HFR-2 counselor 2", "HFR-2"), "Counselor D": ("HFR-1 counselor 2", "HFR-1")},
}

#: per transcript: (phrase, codes) — the first analyst codes the sentence holding the phrase with these codes
CODINGS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "spr1_supervisor_interview": [
        ("leadership took a couple of things off my plate", ("IV.ROLE.A", "III.G")),
        ("two protected hours every other week", ("IV.CHAR.C",)),
        ("That's the reflective part, and it's new for a lot of them", ("IV.CHAR.B",)),
        ("The consultation calls with the developers help too", ("III.K",)),
        ("The agency bought digital recorders", ("III.J.3",)),
        ("We practiced the consent conversation in a start-up meeting", ("V.D", "V.F.2")),
        ("Caseloads are around twenty-five", ("III.A.3",)),
        ("so the sessions are billable", ("II.F",)),
        ("we have bus passes and a ride voucher fund", ("II.C", "III.J")),
        ("When a mom can't come in we do the session by video", ("V.I",)),
        ("reviewing them has been motivating", ("V.H.1", "III.D.4")),
    ],
    "spr1_counselor_interview": [
        ("that's when childcare is open downstairs", ("III.J",)),
        ("The private room on the second floor is booked for us", ("III.J.2",)),
        ("The first few sessions I was reading from the manual", ("IV.CHAR.B", "I.F")),
        ("The manual is clear", ("I.G",)),
        ("the first time anyone asked about her as a parent", ("IV.CHAR.A",)),
        ("They like that it's not a parenting class", ("I.C",)),
        ("the ride vouchers mean a missed bus isn't a missed session", ("II.C",)),
        ("leadership talks about MIO as part of the mission", ("III.I", "IV.ROLE.A")),
    ],
    "spr1_director_interview": [
        ("We had a gap", ("III.E",)),
        ("it matched our strategic plan around family recovery", ("III.I",)),
        ("the sessions pay for themselves", ("II.F",)),
        ("a small foundation grant for childcare and transportation vouchers", ("III.J.1",)),
        ("It's a standing item at the all-staff meeting", ("III.C",)),
        ("We recognize counselors who complete their training cases", ("III.H",)),
        ("training a replacement is expensive", ("I.H",)),
    ],
    "spr2_supervisor_interview": [
        ("so private space is tight", ("III.J.2",)),
        ("twice this spring it got cancelled because of a staffing crisis", ("IV.CHAR.C", "III.A.3")),
        ("is becoming a real champion", ("IV.ROLE.C",)),
        ("We have two recorders for four counselors", ("III.J.3",)),
        ("it's slow on our internet connection", ("III.A.2",)),
        ("a couple of claims were denied early on", ("II.F",)),
        ("The counselors still feel the productivity pressure", ("III.A.3",)),
        ("we don't have childcare on site", ("III.J",)),
        ("We adapted by doing some sessions by video", ("V.I",)),
    ],
    "spr2_counselor_interview": [
        ("My caseload is in the low thirties", ("III.A.3", "IV.CHAR.C")),
        ("finding a room is still a puzzle", ("III.J.2",)),
        ("I was skeptical", ("IV.CHAR.D",)),
        ("Supervision helps me notice when I jump in too fast", ("III.K",)),
        ("so I see them by video in the early afternoon", ("V.I",)),
        ("we shortened the check-in", ("V.I",)),
        ("it doesn't fit on top of a full caseload", ("III.F", "III.A.3")),
    ],
    "hfr1_supervisor_interview": [
        ("Our director was enthusiastic about the program", ("IV.ROLE.A",)),
        ("because of our state audit and the new electronic health record rollout", ("III.G", "III.A.2")),
        ("the consultation calls are where I get my footing", ("III.K",)),
        ("They worried it would be used in their evaluations", ("III.D.3", "III.J.3")),
        ("Caseloads are around thirty-five", ("III.A.3",)),
        ("the billing rules are a bit of a grey area", ("II.F",)),
        ("The bus line stops a mile away", ("II.C",)),
        ("we have none on site", ("III.J",)),
        ("We're trying to get volunteers from a church partner", ("II.D", "V.E")),
    ],
    "hfr1_counselor_interview": [
        ("I was excited about it from the training", ("IV.CHAR.D",)),
        ("I have about thirty-six clients", ("III.A.3",)),
        ("went back to residential treatment", ("V.F.2",)),
        ("The manual and the handouts", ("I.G",)),
        ("Transportation and childcare are the biggest barriers", ("II.C", "III.J")),
        ("credit for the longer sessions", ("III.H",)),
    ],
    "hfr2_supervisor_interview": [
        ("We lost two counselors this winter", ("III.A.3",)),
        ("Everyone is over forty clients", ("III.A.3",)),
        ("MIO is one more thing on a very full plate", ("III.G",)),
        ("so it becomes more of a check-in than reflective supervision", ("IV.CHAR.C", "III.K")),
        ("The laptop we were supposed to get for uploads never arrived", ("III.A.2", "III.J.3")),
        ("Some counselors stopped recording altogether", ("V.H.1",)),
        ("Several MIO sessions were denied", ("II.F",)),
        ("the bus runs twice a day", ("II.C",)),
        ("We lose a lot of them between session two and session five", ("V.F.2",)),
        ("nobody has mentioned MIO at a staff meeting since the fall", ("IV.ROLE.A", "III.C")),
    ],
    "hfr2_counselor_interview": [
        ("one because of transportation", ("II.C", "V.F.2")),
        ("I have forty-three clients", ("III.A.3",)),
        ("MIO sessions get squeezed into whatever hour is left", ("IV.CHAR.C", "III.G")),
        ("I believe in it", ("IV.CHAR.D",)),
        ("But I don't feel confident yet", ("IV.CHAR.B",)),
        ("our internet is unreliable", ("III.A.2",)),
        ("We tried phone sessions", ("V.I",)),
        ("Either protect the time or don't ask us to do it", ("IV.CHAR.C",)),
    ],
    "hfr2_director_interview": [
        ("I still think it's the right program for our population", ("III.I",)),
        ("We are in the middle of a merger", ("II.A", "III.G")),
        ("We never sorted the billing properly", ("II.F",)),
        ("I didn't have the budget to reduce caseloads", ("III.J.1",)),
        ("Since the merger talks began, honestly, it hasn't come up", ("III.C",)),
        ("help from the study team to plan a restart", ("V.D", "IV.ROLE.D")),
    ],
    "spr_focus_group": [
        ("Now I ask about the baby", ("IV.CHAR.B",)),
        ("We had to find a room, share recorders, figure out the billing", ("III.J",)),
        ("Leadership made MIO a priority and everyone knew it", ("IV.ROLE.A", "III.G")),
        ("if you remove the practical barriers, rides and childcare, they keep coming", ("II.C", "V.F.2")),
        ("No childcare on site means sessions with kids climbing on everything", ("III.J",)),
        ("We listen to recordings and talk about our own reactions", ("III.K",)),
        ("Keep the protected time", ("IV.CHAR.C",)),
        ("Same program, very different conditions", ("III.J",)),
    ],
    "hfr_focus_group": [
        ("With over forty clients and two groups a day", ("III.A.3",)),
        ("Supervision mostly happens", ("III.K",)),
        ("Supervision is once a month if we're lucky", ("IV.CHAR.C",)),
        ("Transportation, first and last", ("II.C",)),
        ("walked forty minutes with her stroller", ("IV.CHAR.A",)),
        ("the message was clear: MIO is extra", ("II.F", "III.G")),
        ("It feels supported at our clinic, just not resourced", ("III.J",)),
        ("Phone sessions for moms with no internet", ("V.I",)),
    ],
}
#: transcripts the second analyst codes too
DOUBLE_CODED = ("spr1_supervisor_interview", "spr2_supervisor_interview", "hfr1_supervisor_interview",
                "hfr2_supervisor_interview", "spr_focus_group", "hfr_focus_group")
#: the second analyst sometimes reads a passage differently: code -> alternative code
ALTERNATIVES = {"III.J": "III.J.1", "IV.CHAR.C": "III.A.3", "III.K": "IV.CHAR.B", "II.F": "III.J.1",
                "III.G": "IV.ROLE.A", "V.I": "V.E"}
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def demo_project(ctx: DemoContext) -> QualProject | None:
    """The demo project (for later seeders), or None when this seeder has not run."""
    info = ctx.extras.get(EXTRAS_KEY)
    return db.session.get(QualProject, info["project_id"]) if info else None


def demo_codings_done(ctx: DemoContext) -> bool:
    """True once the demo transcripts are imported, de-identified, mapped and manually coded by both analysts."""
    return bool(ctx.extras.get(EXTRAS_KEY, {}).get("codings_done"))


def _sentence(text: str, lo: int, hi: int, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of text[lo:hi] (one utterance) around [start, end)."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    s = before[-1] if before else lo
    after = _SENTENCE_END.search(text, end, hi)
    e = after.end() if after else hi
    while s < e and text[s].isspace():
        s += 1
    return s, e


def _deidentify(document, staff: dict[str, str]) -> None:
    deidentify.propose(document, list(staff))
    decisions = {}
    for proposal in deidentify.proposals(document):
        if proposal.kind == "name" and "MIO" in proposal.original:  # "MIO-trained": a false positive
            decisions[proposal.id] = ("rejected", None)
        elif proposal.kind == "participant_name":
            kind = next((k for name, k in staff.items() if proposal.original in name.split() or proposal.original == name),
                        None)
            decisions[proposal.id] = ("accepted", f"[{kind}]" if kind else None)
        else:
            decisions[proposal.id] = ("accepted", None)
    deidentify.decide(document, decisions)
    deidentify.apply(document)


def _map_speakers(project, document, stem: str, clinics: dict) -> None:
    choices: dict[str, dict] = {}
    existing = {p.pseudonym: p.id for p in participants.participants(project)}
    for row in participants.speakers(document):
        if stem in FOCUS_GROUP_SPEAKERS:
            spec = FOCUS_GROUP_SPEAKERS[stem].get(row.label)
            if spec is None:
                choices[row.label] = {}
                continue
            pseudonym, clinic_code, role = spec[0], spec[1], "IV.ROLE.H"
        elif row.label in _ROLE:
            template, role = _ROLE[row.label]
            clinic_code = document.clinic.code
            pseudonym = template.format(clinic=clinic_code)
        else:
            choices[row.label] = {}
            continue
        if pseudonym in existing:
            choices[row.label] = {"participant_id": existing[pseudonym]}
        else:
            choices[row.label] = {"new": {"pseudonym": pseudonym, "cfir_role": role,
                                          "clinic_id": clinics[clinic_code].id}}
    participants.map_speakers(project, document, choices)


def _code(document, user, rng: random.Random, codes: dict[str, Code], plan, second: bool) -> int:
    text = document.text
    turns = [(t.start, t.end) for t in document.turns]
    made = 0
    for phrase, keys in plan:
        at = text.find(phrase)
        if at < 0:
            raise LookupError(f"demo phrase not found in {document.name}: {phrase!r}")
        lo, hi = next((a, b) for a, b in turns if a <= at < b)
        start, end = _sentence(text, lo, hi, at, at + len(phrase))
        if second:
            roll = rng.random()
            if roll < 0.12:
                continue  # the second analyst did not code this passage
            if roll < 0.45:
                start, end = at, at + len(phrase)  # only the key phrase
            elif roll < 0.6:
                _, end = _sentence(text, lo, hi, min(end + 1, hi), min(end + 1, hi))  # ran on to the next sentence
            keys = tuple(ALTERNATIVES.get(k, k) if rng.random() < 0.2 else k for k in keys)
        created, _ = coding_service.create_codings(document, user, start, end, [codes[k].id for k in dict.fromkeys(keys)],
                                                   commit=False)
        made += len(created)
    return made


def seed_workspace_demo(ctx: DemoContext) -> None:
    analyst, analyst2 = ctx.users["analyst@mio.example"], ctx.users["analyst2@mio.example"]
    director = ctx.users["director@mio.example"]
    project = projects.create_project(
        PROJECT_NAME,
        "Semi-structured interviews with supervisors, counselors and program directors at the four MIO clinics, and "
        "one focus group of MIO counselors per agency, about six months after start-up. Coded with CFIR 2.0.",
        analyst,
    )
    projects.add_member(project, analyst2.id, Privilege.CODE, commit=False)
    projects.add_member(project, director.id, Privilege.READ, commit=False)
    db.session.flush()

    staff_by_clinic: dict[str, dict[str, str]] = {}
    for person in db.session.execute(sa.select(Person).order_by(Person.id)).scalars():
        staff_by_clinic.setdefault(person.clinic.code, {})[person.display_name] = person.kind
    rng = random.Random(2026)
    codes = {c.key: c for c in db.session.execute(sa.select(Code).where(Code.project_id == project.id)).scalars()}
    documents = {}
    for filename, clinic_code, kind, when, interviewer in TRANSCRIPTS:
        settings = ImportSettings(project.id, ctx.clinics[clinic_code].id, kind, when, interviewer, analyst.id)
        path = DATA / filename
        outcome = import_files(settings, [(filename, path.read_bytes)], 1)[0]
        if not outcome.ok:
            raise RuntimeError(f"demo transcript {filename} did not import: {outcome.error}")
        document = db.session.get(Document, outcome.document_id)
        agency = clinic_code.split("-")[0]
        staff = {name: kind for code, people in staff_by_clinic.items() if code.startswith(agency)
                 for name, kind in people.items()}
        _deidentify(document, staff)
        db.session.commit()
        stem = filename.rsplit(".", 1)[0]
        _map_speakers(project, document, stem, ctx.clinics)
        documents[stem] = document
    made = 0
    for stem, document in documents.items():
        made += _code(document, analyst, rng, codes, CODINGS[stem], second=False)
        if stem in DOUBLE_CODED:
            made += _code(document, analyst2, rng, codes, CODINGS[stem], second=True)
    db.session.commit()
    ctx.extras[EXTRAS_KEY] = {
        "project_id": project.id, "document_ids": {stem: d.id for stem, d in documents.items()},
        "double_coded": [documents[s].id for s in DOUBLE_CODED], "coder_ids": [analyst.id, analyst2.id],
        "codings": made, "codings_done": True,
    }
