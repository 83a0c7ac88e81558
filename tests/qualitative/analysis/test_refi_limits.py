"""REFI-QDA imports keep the transcript limits of file imports (issue 14, item 5): a .qdpx source over
``QUAL_MAX_TRANSCRIPT_TURNS`` (20,000), ``_SPEAKERS`` (100) or ``_CHARS`` (2,000,000) is refused by the upload page,
the confirmation, ``import_project`` and ``mio import-qdpx``, with a message naming the source, and nothing is saved.
The files are generated at the default limits, one unit over (and one at the limit, which passes)."""

from __future__ import annotations

import io
import random

import pytest
import sqlalchemy as sa

from app.db import db
from qualitative.analysis.services import refi_import
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.models import Document, QualProject
from qualitative.parsers import TranscriptLimits
from qualitative.refiqda import QdaProject, QdaTextSource, QdaUser, export_qdpx, import_qdpx, stable_guid

LIMITS = TranscriptLimits()


def _qdpx(text: str, name: str = "Interview 7") -> bytes:
    small = QdaTextSource(stable_guid("source", 1), "Short one", "Interviewer: Hello.\nMother: Hi.")
    big = QdaTextSource(stable_guid("source", 2), name, text)
    return export_qdpx(QdaProject("Limits", [QdaUser(stable_guid("user", 1), "Ana")], [], [], [], [small, big], []))


def _turns(n: int) -> str:  # n turns of two speakers
    return "\n".join(f"{'Interviewer' if i % 2 else 'Mother'}: line {i}" for i in range(n))


def _speakers(n: int) -> str:  # n distinct speaker labels, each a capitalised name (read as a speaker)
    return "\n".join(f"Speaker {chr(65 + i // 26)}{chr(97 + i % 26)}: hello" for i in range(n))


def _chars(n: int) -> str:  # n characters of words that compress like text (under the zip-bomb ratio)
    rng = random.Random(14)
    words = " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(n // 5))
    return ("Mother: " + words)[:n]


OVER = [
    (_turns(LIMITS.turns + 1), f"{LIMITS.turns + 1:,} turns is over the {LIMITS.turns:,}-turn limit"),
    (_speakers(LIMITS.speakers + 1), f"{LIMITS.speakers + 1:,} different speaker labels is over the "
                                     f"{LIMITS.speakers:,}-speaker limit"),
    (_chars(LIMITS.chars + 1), f"{LIMITS.chars + 1:,} characters is over the {LIMITS.chars:,}-character limit"),
]


@pytest.mark.parametrize(("text", "message"), OVER, ids=["turns", "speakers", "characters"])
def test_a_source_over_a_limit_is_refused_naming_it_and_nothing_is_saved(world, text, message):
    data = _qdpx(text)
    with pytest.raises(AnalysisInputError) as refused:
        refi_import.read_qdpx(data)
    assert "Source “Interview 7” of the .qdpx: " + message in str(refused.value)
    assert refused.value.field == "file"
    qda = import_qdpx(data)  # a caller that skips read_qdpx is refused by import_project itself
    with pytest.raises(AnalysisInputError, match="Interview 7"):
        refi_import.import_project(qda, world.users["ana"], {}, list(world.clinics.values()), world.clinics["HFR-2"],
                                   project_name="Over")
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "Over")).first() is None
    assert db.session.execute(sa.select(Document).where(Document.name == "Short one")).first() is None


def test_sources_at_the_limits_import(world):
    text = _turns(LIMITS.turns - LIMITS.speakers) + "\n" + _speakers(LIMITS.speakers - 2)
    qda = refi_import.read_qdpx(_qdpx(text))
    result = refi_import.import_project(qda, world.users["ana"], {}, list(world.clinics.values()),
                                        world.clinics["HFR-2"], project_name="At the limit")
    doc = next(d for d in result.project.documents if d.name == "Interview 7")
    assert len(doc.turns) == LIMITS.turns - 2  # speaker rows: Interviewer, Mother and 98 more = 100
    assert len({t.speaker for t in doc.turns}) == LIMITS.speakers


def test_the_limits_follow_the_configuration(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "QUAL_MAX_TRANSCRIPT_TURNS", 10)
    with pytest.raises(AnalysisInputError, match="11 turns is over the 10-turn limit"):
        refi_import.read_qdpx(_qdpx(_turns(11)))


def test_the_upload_page_and_the_command_refuse(world, client, login, runner, tmp_path):
    data = _qdpx(_turns(LIMITS.turns + 1), "Mother M07")
    login(world.users["ana"])
    page = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(data), "big.qdpx"), "target": "new", "project_name": "Too long", "clinic_id": "0",
        "project_id": "0"}, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "Source “Mother M07” of the .qdpx: 20,001 turns is over the 20,000-turn limit" in page.get_data(as_text=True)
    path = tmp_path / "big.qdpx"
    path.write_bytes(data)
    command = runner.invoke(args=["import-qdpx", str(path), "--project", "Too long", "--clinic", "HFR-2",
                                  "--user", "ana@example.org"])
    assert command.exit_code != 0 and "Nothing imported. Source “Mother M07”" in command.output
    db.session.rollback()
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "Too long")).first() is None
