"""Helpers for the REFI-QDA tests: schema location, zipped tool fixtures and a sample project."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from qualitative.refiqda import (
    QdaCase,
    QdaCode,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaTextSource,
    QdaUser,
    QdaVariable,
    stable_guid,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "refi"
WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def refi_schema_dir() -> Path:
    """The REFI QDA-XML 1.0 schemas (MIT), vendored in qualitative/refiqda/schemas/ (copied unchanged from the
    project's shared reference, where the test also checks they have not drifted). A missing schema fails the run
    instead of skipping it: without the schema the export is unchecked."""
    from qualitative.refiqda import SCHEMA_DIR

    missing = [name for name in ("Project.xsd", "Codebook.xsd") if not (SCHEMA_DIR / name).is_file()]
    if missing:
        pytest.fail(f"REFI-QDA schema files {missing} not found in {SCHEMA_DIR}; they are needed to validate exports")
    shared = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "refi-qda"
    for name in ("Project.xsd", "Codebook.xsd"):
        if (shared / name).is_file():
            assert (shared / name).read_bytes() == (SCHEMA_DIR / name).read_bytes(), f"vendored {name} differs from shared/"
    return SCHEMA_DIR


def zip_folder(name: str) -> bytes:
    """Zip a hand-written fixture folder under data/refi/ exactly as a tool's .qdpx would hold it."""
    folder = DATA / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.writestr(path.relative_to(folder).as_posix(), path.read_bytes())
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return buffer.getvalue()


def build_sample_project() -> QdaProject:
    """Two users, a domain with two codes, variables of every type, a case, two sources, a note."""
    g = stable_guid
    ana, ben = QdaUser(g("user", 1), "Ana"), QdaUser(g("user", 2), "Ben")
    stigma = QdaCode(g("code", 2), "Stigma", "#81BEF7", True, "Feeling judged")
    prompt = QdaCode(g("code", 3), "Mentalizing prompt", "#9FF781")
    domain = QdaCode(g("code", 1), "Engagement", "#F781F3", False, "Domain", [stigma, prompt])
    other = QdaCode(g("code", 4), "Other")
    variables = [QdaVariable(g("var", "clinic"), "Clinic", "Text"),
                 QdaVariable(g("var", "consented"), "Consented", "Boolean"),
                 QdaVariable(g("var", "sessions"), "Sessions", "Integer"),
                 QdaVariable(g("var", "score"), "RF score", "Float", "Reflective functioning"),
                 QdaVariable(g("var", "enrolled"), "Enrolled", "Date"),
                 QdaVariable(g("var", "interviewed"), "Interviewed", "DateTime")]
    text1 = "Mother: At first I felt judged.\nMother: Then she asked what my baby felt 😀.\nEnd."
    text2 = "Counselor: Supervision helped.\n\nCounselor: I got curious."
    s1 = QdaTextSource(
        g("source", 1), "Interview M01", text1,
        {variables[0].guid: "Clinic A"},
        [QdaSelection(g("sel", 1), 17, 30, ana.guid, WHEN, [stigma.guid]),
         QdaSelection(g("sel", 2), 45, 74, ben.guid, WHEN, [prompt.guid, stigma.guid], [g("note", 1)])],
        description="First interview", creating_user=ana.guid, creation_datetime=WHEN)
    s2 = QdaTextSource(g("source", 2), "Counselor C03", text2,
                       selections=[QdaSelection(g("sel", 3), 11, 30, None, None, [other.guid]),
                                   QdaSelection(g("sel", 4), 43, 57, ana.guid, WHEN, [prompt.guid])])
    case = QdaCase(g("case", 1), "Mother 01", "Randomised to MIO",
                   {variables[0].guid: "Clinic A", variables[1].guid: True, variables[2].guid: 9,
                    variables[3].guid: 4.25, variables[4].guid: date(2024, 5, 2),
                    variables[5].guid: datetime(2024, 6, 1, 10, 30, tzinfo=UTC)},
                   [s1.guid])
    note = QdaNote(g("note", 1), "Memo", "Baby-focused question\ninterrupts shame.", ana.guid, WHEN)
    return QdaProject("MIO pilot", [ana, ben], [domain, other], variables, [case], [s1, s2], [note],
                      "Pilot interviews", creating_user=ana.guid, creation_datetime=WHEN)
