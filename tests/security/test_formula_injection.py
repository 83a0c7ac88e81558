"""Spreadsheet formula injection (issue 14, item 3; OWASP "CSV Injection"): free text such as
``=cmd|' /C calc'!A0`` must reach no CSV or Excel download as a live formula. Every download is guarded in one place
(``app.exports``): a cell starting with = + - @ TAB or CR gets a leading apostrophe. REDCap files are exact only
behind the links that ask for a REDCap import file, and the page says so next to them."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from app.db import db
from app.exports import guard_csv_text, safe_cell
from app.models import Role
from tests.security.conftest import build_world
from tests.security.test_downloads import walk_downloads

PAYLOAD = "=cmd|' /C calc'!A0"
#: OWASP's list of characters that start a formula (https://owasp.org/www-community/attacks/CSV_Injection)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _live_formula(cell: str) -> bool:
    if not isinstance(cell, str) or not cell.startswith(DANGEROUS):
        return False
    try:
        float(cell)  # a negative number is data, not a formula
        return False
    except ValueError:
        return True


@pytest.mark.parametrize("text", [PAYLOAD, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")"])
def test_every_dangerous_start_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_numbers_and_plain_text_are_kept():
    assert [safe_cell(v) for v in ("-1.5", "-3", "ok", "a=b", 5, None)] == ["-1.5", "-3", "ok", "a=b", 5, None]


def test_guard_csv_text_guards_headers_and_cells_and_keeps_the_rest():
    text = "record_id,=h\n1,\"=cmd|' /C calc'!A0\"\n2,-1\n"
    rows = list(csv.reader(io.StringIO(guard_csv_text(text))))
    assert rows == [["record_id", "'=h"], ["1", "'" + PAYLOAD], ["2", "-1"]]


def _cells(response) -> list[str]:
    if response.mimetype == "text/csv":
        return [c for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))) for c in row]
    if zipfile.is_zipfile(io.BytesIO(response.data)) and "spreadsheetml" in response.mimetype:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(response.data))
        return [c.value for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row
                if isinstance(c.value, str)]
    return []


@pytest.fixture
def payload_world(app_ctx, factories):
    """Every text column of every agency-owned row starts with the payload; one submitted survey answer is it."""
    from readiness.surveys.models import SurveyResponse

    world = build_world(factories, PAYLOAD)
    response = world["objects"][SurveyResponse]
    response.answers = {"q1": PAYLOAD}
    response.status = "submitted"
    response.submitted_at = datetime(2026, 3, 2, tzinfo=UTC)
    db.session.commit()
    return world


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ADMIN])
def test_no_download_carries_a_live_formula(app, payload_world, login, client, role):
    user = payload_world["users"][role]
    login(user)
    fetched, failures = walk_downloads(app, client, payload_world["ids"])
    assert not failures, "\n".join(failures)
    live, exact, guarded_seen = [], [], 0
    for endpoint, hits in fetched.items():
        for url, response in hits:
            if response.status_code != 200:
                continue
            cells = _cells(response)
            guarded_seen += sum(1 for c in cells if isinstance(c, str) and c.startswith("'" + PAYLOAD[:4]))
            bad = [c for c in cells if _live_formula(c)]
            if "redcap_import=1" in url:
                exact.append((endpoint, url, bad))
            elif bad:
                live.append(f"{endpoint} {url}: {bad[:3]}")
    assert not live, "\n".join(live)
    assert guarded_seen > 10  # the payload did reach the downloads, guarded
    if role == Role.DIRECTOR:
        # the exact REDCap import files are reached only through links that ask for them, and keep the answer
        assert {e for e, _u, _b in exact} == {"readiness_surveys.redcap_records", "readiness_instruments.dictionary"}
        records = [b for e, _u, b in exact if e == "readiness_surveys.redcap_records"]
        assert any(PAYLOAD in b for b in records)


def test_redcap_records_guarded_by_default_exact_on_the_import_link(app, payload_world, login, client):
    from readiness.surveys.models import SurveyResponse

    login(payload_world["users"][Role.DIRECTOR])
    response = payload_world["objects"][SurveyResponse]
    wave_id, instrument_id = response.link.survey_wave_id, response.instrument_id
    url = f"/readiness/surveys/{wave_id}/instruments/{instrument_id}/redcap-records.csv"
    guarded = client.get(url)
    assert guarded.status_code == 200
    assert list(csv.reader(io.StringIO(guarded.get_data(as_text=True).lstrip("\ufeff"))))[1][2] == "'" + PAYLOAD
    exact = client.get(url, query_string={"redcap_import": "1"})
    assert exact.status_code == 200 and "redcap-import.csv" in exact.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(exact.get_data(as_text=True))))[1][2] == PAYLOAD
    page = client.get(f"/readiness/surveys/{wave_id}").get_data(as_text=True)
    note = re.search(r'<p class="help" id="redcap-exact-note">(.*?)</p>', page, re.S)
    assert note and "exactly as REDCap reads them" in note.group(1)
    assert page.count('aria-describedby="redcap-exact-note"') >= 2
    assert "redcap_import=1" in page


def test_dictionary_guarded_by_default_exact_on_the_import_link(app, app_ctx, factories, login, client):
    from readiness.surveys import library

    director = factories.user(Role.DIRECTOR)
    text = ("Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
            "\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,"
            "Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),"
            "Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,"
            "Field Annotation\n"
            f"record_id,form_a,,text,Record ID,,,,,,,,,,,,,\nq1,form_a,,text,\"{PAYLOAD}\",,,,,,,,,,,,,\n")
    instrument = library.import_dictionary(text, key="payload", user=director)
    db.session.commit()
    login(director)
    url = f"/readiness/instruments/payload/{instrument.version}/dictionary.csv"
    guarded = list(csv.reader(io.StringIO(client.get(url).get_data(as_text=True).lstrip("\ufeff"))))
    assert "'" + PAYLOAD in guarded[2]
    exact = list(csv.reader(io.StringIO(client.get(url, query_string={"redcap_import": "1"}).get_data(as_text=True))))
    assert PAYLOAD in exact[2]
    for page in (f"/readiness/instruments/payload/{instrument.version}", "/readiness/instruments"):
        html = client.get(page).get_data(as_text=True)
        assert 'id="redcap-exact-note"' in html and "redcap_import=1" in html
