"""Fixtures for the qualitative tests: sample transcripts on disk, a python-docx builder, and ``world``: a project
with clinics, users of every role, codes and transcripts built directly through the models."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.db import db
from app.models import Agency, Clinic, Role, User
from qualitative.models import (
    Code,
    Coding,
    Document,
    DocumentTurn,
    Participant,
    Privilege,
    ProjectMember,
    QualProject,
)

DATA = Path(__file__).parent / "data"

FOCUS_GROUP_DOCX_PARAGRAPHS = [
    "MIO focus group, Clinic 2 (de-identified)",
    "",
    "Facilitator: What changed in your supervision once you started MIO?",
    "Counselor A: We listen to recordings now. At first I hated hearing my own voice.",
    "It got easier after a few weeks.",
    "Counselor B: For me it's the caseload. Twelve weekly sessions is a lot with thirty clients.",
]


def build_docx(paragraphs: list[str], table_rows: list[list[str]] | None = None) -> bytes:
    """A .docx with one paragraph per item (then an optional table), built with python-docx."""
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        for r, row in enumerate(table_rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def make_docx() -> Callable[..., bytes]:
    return build_docx


@pytest.fixture
def sample_bytes() -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        if name == "focus_group.docx":
            return build_docx(FOCUS_GROUP_DOCX_PARAGRAPHS)
        return (DATA / name).read_bytes()

    return read


@dataclass
class QualWorld:
    """Builds rows of one project; every helper commits."""

    factories: object
    project: QualProject | None = None
    clinics: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)

    def make_project(self, name: str = "Interviews 2026") -> QualProject:
        self.project = QualProject(name=name, description="Test project")
        db.session.add(self.project)
        db.session.commit()
        return self.project

    def member(self, user, privilege: str) -> None:
        db.session.add(ProjectMember(project_id=self.project.id, user_id=user.id, privilege=privilege))
        db.session.commit()

    def code(self, key: str, name: str, parent: Code | None = None, lexicon: list[str] | None = None,
             kind: str = "construct", codable: bool = True, colour: str | None = "#1f77b4",
             commit: bool = True) -> Code:
        code = Code(project_id=self.project.id, key=key, name=name, parent_id=parent.id if parent else None,
                    kind=kind, codable=codable, lexicon=lexicon or [], colour=colour,
                    position=len(self.codes), definition=f"Definition of {name}")
        db.session.add(code)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
        self.codes[key] = code
        return code

    def document(self, name: str, clinic, turns: list[tuple[str | None, str]], kind: str = "interview",
                 participants: dict | None = None) -> Document:
        """Text laid out as "Speaker: utterance" blocks separated by blank lines; turns span the utterances."""
        parts, spans, position = [], [], 0
        for i, (speaker, utterance) in enumerate(turns):
            if i:
                parts.append("\n\n")
                position += 2
            label = f"{speaker}: " if speaker else ""
            parts.append(label + utterance)
            start = position + len(label)
            spans.append((speaker, start, start + len(utterance)))
            position = start + len(utterance)
        doc = Document(project_id=self.project.id, clinic_id=clinic.id, name=name, kind=kind, text="".join(parts),
                       deidentification="applied")
        db.session.add(doc)
        db.session.flush()
        for index, (speaker, start, end) in enumerate(spans):
            participant = (participants or {}).get(speaker)
            db.session.add(DocumentTurn(document_id=doc.id, index=index, speaker=speaker, start=start, end=end,
                                        participant_id=participant.id if participant else None))
        db.session.commit()
        return doc

    def participant(self, pseudonym: str, clinic, role: str | None) -> Participant:
        p = Participant(project_id=self.project.id, clinic_id=clinic.id, pseudonym=pseudonym, cfir_role=role)
        db.session.add(p)
        db.session.commit()
        return p

    def coding(self, doc: Document, code: Code, coder, start: int, end: int, source: str = "manual") -> Coding:
        coding = Coding(document_id=doc.id, code_id=code.id, coder_id=coder.id, start=start, end=end, source=source)
        db.session.add(coding)
        db.session.commit()
        return coding

    def code_turn(self, doc: Document, index: int, code: Code, coder) -> Coding:
        turn = doc.turns[index]
        return self.coding(doc, code, coder, turn.start, turn.end)


@pytest.fixture
def world(app_ctx, factories) -> QualWorld:
    """Two agencies, clinics SPR-1/SPR-2 (agency SPR) and HFR-1/HFR-2 (agency HFR), a project managed by
    ``manager`` with coders ``ana``, ``ben`` and ``cleo``, reader ``rita``; a director, an admin, a fidelity coder,
    agency and trial staff; codes with lexicons. Built in one transaction (the tests build many worlds)."""
    from tests.conftest import TEST_PASSWORD
    from tests.factories import password_hash_for

    w = QualWorld(factories)
    spr, hfr = Agency(name="Springfield", code="SPR"), Agency(name="Hampden", code="HFR")
    for code, agency in (("SPR-1", spr), ("SPR-2", spr), ("HFR-1", hfr), ("HFR-2", hfr)):
        w.clinics[code] = Clinic(agency=agency, code=code, name=f"Clinic {code}")
    hashed = password_hash_for(TEST_PASSWORD)
    for key, role, agency in (("manager", Role.ANALYST, None), ("ana", Role.ANALYST, None),
                              ("ben", Role.ANALYST, None), ("cleo", Role.ANALYST, None),
                              ("rita", Role.ANALYST, None), ("outsider", Role.ANALYST, None),
                              ("director", Role.DIRECTOR, None), ("admin", Role.ADMIN, None),
                              ("coder", Role.FIDELITY_CODER, None), ("staff", Role.AGENCY_STAFF, spr),
                              ("trial", Role.TRIAL_STAFF, spr)):
        w.users[key] = User(email=f"{key}@example.org", name=key.capitalize(), role=role, agency=agency,
                            password_hash=hashed)
    w.project = QualProject(name="Interviews 2026", description="Test project")
    db.session.add_all([*w.clinics.values(), *w.users.values(), w.project])
    db.session.flush()
    privileges = {"manager": Privilege.MANAGE, "ana": Privilege.CODE, "ben": Privilege.CODE,
                  "cleo": Privilege.CODE, "rita": Privilege.READ}
    db.session.add_all([ProjectMember(project_id=w.project.id, user_id=w.users[k].id, privilege=p)
                        for k, p in privileges.items()])
    inner = w.code("III", "Inner Setting", kind="domain", codable=False, colour="#2ca02c", commit=False)
    w.code("III.J", "Available Resources", inner, ["staffing", "time", "space"], commit=False)
    w.code("III.D", "Culture", inner, ["culture", "trust"], commit=False)
    w.code("I.C", "Relative Advantage", None, ["better than", "advantage"], commit=False)
    db.session.commit()
    return w
