"""Fixtures for the qualitative tests: sample transcripts on disk and a python-docx builder."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

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
