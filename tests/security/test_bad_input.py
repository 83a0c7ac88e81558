"""Bad input that gave 500 in the probe of issue 14 (item 7), each now a 400 naming the problem with nothing saved:
Excel sheet titles with ':' (setting-adoption, stages-comparison), REDCap branching logic nested 5,000 deep, and a
CSV cell over 131,072 characters (the csv module's default limit) in every CSV importer."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa

from app import csvinput
from app.db import db
from app.exports import SHEET_TITLE_MAX, sheet_titles, xlsx_bytes
from app.models import Role
from readiness.branching import MAX_NESTING, BranchingError, parse_branching
from readiness.redcap import COLUMNS as REDCAP_COLUMNS
from readiness.redcap import RedcapDictionaryError, parse_data_dictionary

BIG = csvinput.MAX_CELL_CHARS + 1


# --- Excel sheet titles ------------------------------------------------------------------------------------------

def test_sheet_titles_follow_excels_rules():
    """Excel refuses [ ] : * ? / \\ in a title, more than 31 characters, a blank title, a leading or trailing
    apostrophe, and two titles equal ignoring case (Microsoft support, "Rename a worksheet")."""
    titles = sheet_titles(["Stages: comparison", "a/b\\c?d*e[f]g", "x" * 40, "x" * 40, "Sheet", "SHEET", "''", "'q'"])
    assert titles == ["Stages - comparison", "a-b-c-d-e-f-g", "x" * 31, "x" * 27 + " (2)", "Sheet", "SHEET (2)",
                      "Sheet (3)", "q"]
    assert all(len(t) <= SHEET_TITLE_MAX for t in titles)
    assert len({t.casefold() for t in titles}) == len(titles)


def test_a_workbook_with_colons_and_clashing_titles_opens():
    from openpyxl import load_workbook

    data = xlsx_bytes({"Setting adoption: agencies": (["a"], [[1]]), "setting adoption - agencies": (["b"], [[2]])})
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Setting adoption - agencies", "setting adoption - agencies (2)"]


def test_long_sheet_titles_are_cut_at_a_word_boundary():
    """Issue 16.9: a title over Excel's 31 characters keeps whole words (no "Organizational Readi"), a clash too;
    one word longer than 31 characters is the only thing cut mid-word."""
    from openpyxl import load_workbook

    name = "Implementation Climate: Organizational Readiness"
    data = xlsx_bytes({name: (["a"], [[1]]), name.upper(): (["b"], [[2]])})
    titles = load_workbook(io.BytesIO(data)).sheetnames
    assert titles == ["Implementation Climate", "IMPLEMENTATION CLIMATE (2)"]
    assert all(len(t) <= SHEET_TITLE_MAX and ":" not in t for t in titles)


@pytest.mark.parametrize("name", ["setting-adoption", "stages-comparison", "funnel-comparison", "staff-adoption",
                                  "clinic-progress", "strategies", "adaptations"])
def test_the_comparison_excel_exports_download(app, populated, login, client, name):
    login(populated["users"][Role.DIRECTOR])
    response = client.get(f"/outcomes/implementation/tables/{name}.xlsx")
    if response.status_code == 404:  # the blueprint's prefix: find the rule rather than guess
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint.endswith(".table") and "fmt" in r.arguments
                    and "clinic_id" not in r.arguments)
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, name=name, fmt="xlsx")
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert zipfile.is_zipfile(io.BytesIO(response.data))


# --- REDCap branching logic nested deep --------------------------------------------------------------------------

def test_branching_nested_past_the_limit_is_refused_by_name():
    assert parse_branching("(" * MAX_NESTING + "[a] = 1" + ")" * MAX_NESTING)["type"] == "compare"
    with pytest.raises(BranchingError, match=f"nested more than {MAX_NESTING} deep"):
        parse_branching("(" * 5000 + "[a] = 1" + ")" * 5000)


def _dictionary(*rows: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REDCAP_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in REDCAP_COLUMNS])
    return out.getvalue()


def _field(name, **cells):
    return {REDCAP_COLUMNS[0]: name, REDCAP_COLUMNS[1]: "form_a", REDCAP_COLUMNS[3]: "text",
            REDCAP_COLUMNS[4]: "A question", **cells}


def _upload(client, url, data: bytes, name="file.csv", **fields):
    return client.post(url, data={"file": (io.BytesIO(data), name), **fields}, content_type="multipart/form-data")


def test_a_dictionary_with_branching_nested_5000_deep_is_a_400_naming_row_and_column(populated, login, client):
    from readiness.surveys.models import Instrument

    deep = "(" * 5000 + "[a] = '1'" + ")" * 5000
    text = _dictionary(_field("a"), _field("b", **{REDCAP_COLUMNS[11]: deep}))
    with pytest.raises(RedcapDictionaryError) as caught:
        parse_data_dictionary(text)
    assert caught.value.column == REDCAP_COLUMNS[11] and "nested more than" in str(caught.value)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Instrument))
    login(populated["users"][Role.DIRECTOR])
    response = _upload(client, "/readiness/instruments/import", text.encode(), key="deep", title="Deep")
    assert response.status_code == 400
    assert "nested more than" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)) == before


# --- CSV cells over 131,072 characters ---------------------------------------------------------------------------

def test_the_bounded_reader_names_row_line_and_column():
    text = "key,name,definition\r\nk1,One,short\r\nk2,\"Two\nlines\",\"" + "d" * BIG + "\"\r\n"
    reader = csvinput.reader(io.StringIO(text, newline=""))
    assert next(reader) == ["key", "name", "definition"]
    assert next(reader) == ["k1", "One", "short"]
    with pytest.raises(csvinput.CellTooLong) as caught:
        next(reader)
    error = caught.value
    assert (error.row, error.line, error.column, error.name, error.length) == (3, 4, 3, "definition", BIG)
    assert str(error).startswith("row 3 (line 4), column 3 (definition): a cell of 131,073 characters")
    # the same cell at the limit is read
    ok = "a\r\n" + "x" * csvinput.MAX_CELL_CHARS + "\r\n"
    assert list(csvinput.reader(io.StringIO(ok, newline="")))[1][0] == "x" * csvinput.MAX_CELL_CHARS


def test_a_huge_cell_in_a_redcap_dictionary_names_row_and_column():
    text = _dictionary(_field("a"), _field("b", **{REDCAP_COLUMNS[4]: "L" * BIG}))
    with pytest.raises(RedcapDictionaryError) as caught:
        parse_data_dictionary(text)
    assert caught.value.column == REDCAP_COLUMNS[4]
    assert "row 3 (line 3), column 5 (Field Label): a cell of 131,073 characters" in str(caught.value)


def test_a_huge_cell_in_a_screening_log_import_is_a_400_with_nothing_saved(populated, login, client):
    from implementation_outcomes.delivery.models import TrialParticipant
    from implementation_outcomes.delivery.screening_log import COLUMNS

    row = {"study_id": "WLK-0101", "screened_on": "2026-03-02", "status": "declined", "reason": "x" * BIG}
    body = ",".join(COLUMNS) + "\r\n" + ",".join(row.get(c, "") for c in COLUMNS) + "\r\n"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant))
    login(populated["users"][Role.TRIAL_STAFF])
    response = _upload(client, f"/outcomes/clinics/{populated['clinic'].id}/screening-log/import", body.encode())
    assert response.status_code == 400
    assert "row 2 (line 2), column 4 (reason): a cell of 131,073 characters" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrialParticipant)) == before


@pytest.mark.parametrize("kind", ["codebook", "taguette"])
def test_a_huge_cell_in_a_codebook_import_is_refused_with_its_row(kind):
    from qualitative.codebook_io import CodebookImportError, read_codebook_csv, read_taguette_csv

    if kind == "codebook":
        text, read = "key,name,definition\r\nk1,One," + "d" * BIG + "\r\n", read_codebook_csv
    else:
        text, read = "tag,description,number of highlights\r\nOne," + "d" * BIG + ",1\r\n", read_taguette_csv
    with pytest.raises(CodebookImportError) as caught:
        read(text)
    assert "a cell of 131,073 characters" in str(caught.value)
    assert "row 2 (line 2)" in str(caught.value)
