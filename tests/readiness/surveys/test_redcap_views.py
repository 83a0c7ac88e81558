"""REDCap interchange through the UI and the CLI: dictionary import (all or nothing, errors naming row and column),
versioned re-import, preview, dictionary export, and a wave's records in REDCap's import format."""

import csv
import io

import sqlalchemy as sa

from app.db import db
from app.models import Role
from readiness.instruments import load_instrument
from readiness.redcap import COLUMNS, parse_data_dictionary
from readiness.surveys import library
from readiness.surveys.models import Instrument
from tests.readiness.surveys.support import FIXTURE, fim_answers, oric_answers


def _upload(client, data: bytes, name="dictionary.csv", **fields):
    return client.post("/readiness/instruments/import", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def _dictionary(*rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue().encode()


def _field(name, ftype="text", label="A question", **cells):
    return {COLUMNS[0]: name, COLUMNS[1]: "form_a", COLUMNS[3]: ftype, COLUMNS[4]: label, **cells}


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count(Instrument.id))).scalar()


def test_ui_import_preview_and_versioned_reimport(client, login, director):
    login(director)
    response = _upload(client, FIXTURE.read_bytes(), title="Team leadership check-in")
    assert response.status_code == 302
    row = db.session.execute(sa.select(Instrument)).scalar_one()
    assert (row.key, row.version, row.source, row.title) == ("team_leadership_survey", "1.0.0", "redcap",
                                                            "Team leadership check-in")
    assert row.imported_by_id == director.id and row.source_filename == "dictionary.csv"
    assert row.definition["items"] == parse_data_dictionary(FIXTURE.read_text())["items"]
    preview = client.get(response.headers["Location"]).data.decode()
    assert "Team leadership check-in" in preview and 'data-branching="[credentials(1)] = &#39;1&#39;"' in preview
    assert 'type="date"' in preview and 'inputmode="numeric"' in preview and "<select" in preview
    assert 'type="checkbox" name="credentials"' in preview and "<textarea" in preview
    assert "likert-grid opts-5" in preview  # the leadership matrix group is drawn as a grid
    assert "A whole number from 0 to 50." in preview and "Round to whole years" in preview
    listing = client.get("/readiness/instruments").data.decode()
    assert "REDCap import by" in listing and "team_leadership_survey" in listing and "Shea CM" not in listing
    # the same file again: refused, nothing stored
    again = _upload(client, FIXTURE.read_bytes(), title="Team leadership check-in")
    assert again.status_code == 400 and b"identical to team_leadership_survey version 1.0.0" in again.data
    # a changed dictionary under the same key becomes the next version
    changed = FIXTURE.read_text().replace("Date completed", "Date you completed this survey").encode()
    assert _upload(client, changed, title="Team leadership check-in").status_code == 302
    versions = db.session.execute(sa.select(Instrument.version).order_by(Instrument.id)).scalars().all()
    assert versions == ["1.0.0", "2.0.0"]
    assert client.get("/readiness/instruments/team_leadership_survey/2.0.0").status_code == 200


def test_ui_import_does_not_ask_a_renamed_record_id(client, login, director):
    login(director)
    data = _dictionary(_field("participant_id", label="Participant ID"),
                       _field("supervised", "yesno", label="Are you supervised weekly?"))
    response = _upload(client, data)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).data.decode()
    assert "Are you supervised weekly?" in preview and "Participant ID" not in preview
    assert 'name="participant_id"' not in preview


def test_ui_import_errors_name_row_and_column_and_import_nothing(client, login, director):
    login(director)
    cases = [
        (b"Variable / Field Name,Form,Section Header\nx,form_a,\n",
         'Header (line 1), column \u201cForm Name\u201d: header 2 must be'),
        (_dictionary(_field("a"), _field("b"), _field("c", "matrix")),
         'Data row 3 (line 4 of the file), column \u201cField Type\u201d: unknown field type'),
        (_dictionary(_field("a", "radio", **{COLUMNS[5]: "1, Yes | 2"})),
         'Data row 1 (line 2 of the file), column \u201cChoices, Calculations, OR Slider Labels\u201d: malformed choice'),
        (_dictionary(_field("a"), _field("b", **{COLUMNS[11]: "[zz] = '1'"})),
         'Data row 2 (line 3 of the file), column \u201cBranching Logic (Show field only if...)\u201d: refers to unknown field [zz]'),
    ]
    for data, message in cases:
        response = _upload(client, data)
        assert response.status_code == 400
        text = response.data.decode().replace("&#34;", '"').replace("&#39;", "'")
        assert "Nothing was imported." in text and message in text, text[:4000]
    latin = _upload(client, "Variable / Field Name\nCafé\n".encode("latin-1"))
    assert latin.status_code == 400 and b"not UTF-8 text" in latin.data
    bad_key = _upload(client, FIXTURE.read_bytes(), key="Bad Key")
    assert bad_key.status_code == 400 and b"Use a-z, 0-9 and _" in bad_key.data
    shipped_key = _upload(client, FIXTURE.read_bytes(), key="oric")
    assert shipped_key.status_code == 400 and b"belongs to a shipped instrument" in shipped_key.data
    missing = client.post("/readiness/instruments/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and b"Choose a CSV file." in missing.data
    assert _count() == 0


def test_cli_import_with_key_and_errors(runner, app_ctx, tmp_path):
    result = runner.invoke(args=["import-redcap-dictionary", str(FIXTURE), "--key", "leadership",
                                 "--title", "Leadership"])
    assert result.exit_code == 0, result.output
    assert "Imported 'Leadership' as leadership version 1.0.0: 24 fields, 6 with branching logic." in result.output
    row = db.session.execute(sa.select(Instrument)).scalar_one()
    assert row.definition["redcap_form"] == "team_leadership_survey" and row.imported_by_id is None
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_dictionary(_field("a"), _field("b", "matrix")))  # issue 11: slider is accepted now
    result = runner.invoke(args=["import-redcap-dictionary", str(bad)])
    assert result.exit_code == 1
    assert 'data row 2 (line 3 of the file), column "Field Type": unknown field type \'matrix\'' in result.output
    assert "nothing was imported" in result.output
    result = runner.invoke(args=["import-redcap-dictionary", str(FIXTURE), "--key", "9x"])
    assert result.exit_code == 2 and "--key" in result.output
    assert _count() == 1


def test_dictionary_export_round_trips(client, login, director):
    login(director)
    oric = client.get("/readiness/instruments/oric/1.0.0/dictionary.csv?redcap_import=1")
    assert oric.status_code == 200 and oric.mimetype == "text/csv"
    back = parse_data_dictionary(oric.data.decode())
    assert [i["text"] for i in back["items"]] == [i["text"] for i in load_instrument("oric")["items"]]
    imported = library.import_dictionary(FIXTURE.read_text(), key="leadership", user=director)
    exported = client.get(f"/readiness/instruments/leadership/{imported.version}/dictionary.csv?redcap_import=1").data.decode()
    assert exported.splitlines()[1].split(",")[1] == "team_leadership_survey"  # the REDCap form name
    assert parse_data_dictionary(exported)["items"] == imported.definition["items"]
    assert client.get("/readiness/instruments/nope/1.0.0/dictionary.csv").status_code == 404
    assert client.get("/readiness/instruments/oric/9.9.9").status_code == 404


def test_records_export_in_redcap_import_format(client, login, director, create_user, make_wave, respond):
    imported = library.import_dictionary(FIXTURE.read_text(), user=director)
    wave = make_wave(refs=(f"db:{imported.id}", "shipped:fim@1.0.0"), n_links=3)
    leadership = {"survey_date": "2026-03-02", "role": "99", "role_other": "Peer, recovery coach",
                  "years_agency": "4", "credentials": ["1", "3"], "credential_year": "2011", "supervises": "0",
                  "contact_ok": "1", "contact_email": "someone@example.org",
                  **{k: "3" for k in ("lead_plan", "lead_removes", "lead_knows", "lead_expert", "lead_recognizes",
                                      "lead_supports", "lead_persists", "lead_problems")}}
    respond(wave.issued_tokens[2], [leadership, fim_answers(4, fim_02=99)])
    client.post(f"/s/{wave.issued_tokens[1]}", data={"role": "clinician"})  # a draft is not exported
    login(director)
    response = client.get(f"/readiness/surveys/{wave.id}/instruments/{imported.id}/redcap-records.csv?redcap_import=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(response.data.decode())))
    assert header[:2] == ["record_id", "redcap_data_access_group"] and header.count("record_id") == 1
    assert header[-1] == "team_leadership_survey_complete" and "intro" not in header
    assert [h for h in header if h.startswith("credentials")] == [f"credentials___{i}" for i in range(1, 6)]
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["record_id"] == f"SPR-1-W{wave.id}-002" and row["redcap_data_access_group"] == "spr_1"
    assert [row[f"credentials___{i}"] for i in range(1, 6)] == ["1", "0", "1", "0", "0"]
    assert row["role_other"] == "Peer, recovery coach" and row["team_leadership_survey_complete"] == "2"
    assert row["contact_email"] == ""  # an identifier field: blank for the director
    fim = client.get(f"/readiness/surveys/{wave.id}/instruments/{wave.instruments[1].id}/redcap-records.csv?redcap_import=1")
    fim_row = next(csv.DictReader(io.StringIO(fim.data.decode())))
    assert fim_row["fim_02"] == "99" and fim_row["fim_01"] == "4" and fim_row["fim_complete"] == "2"
    denied = client.get(f"/readiness/surveys/{wave.id}/instruments/{imported.id}/redcap-records.csv?identifiers=1")
    assert denied.status_code == 403
    client.post("/auth/logout")
    login(create_user(Role.ADMIN))
    full = client.get(f"/readiness/surveys/{wave.id}/instruments/{imported.id}/redcap-records.csv?identifiers=1&redcap_import=1")
    assert next(csv.DictReader(io.StringIO(full.data.decode())))["contact_email"] == "someone@example.org"


def test_oric_wave_export_columns(client, login, director, make_wave, respond):
    wave = make_wave(refs=("shipped:oric@1.0.0",), n_links=2)
    respond(wave.issued_tokens[1], [oric_answers(5, oric_12=99)])
    login(director)
    text = client.get(f"/readiness/surveys/{wave.id}/instruments/{wave.instruments[0].id}/redcap-records.csv?redcap_import=1")
    header, row = list(csv.reader(io.StringIO(text.data.decode())))
    assert header == ["record_id", "redcap_data_access_group", *[f"oric_{i:02d}" for i in range(1, 13)],
                      "oric_complete"]
    assert row == [f"SPR-1-W{wave.id}-001", "spr_1", *["5"] * 11, "99", "2"]
