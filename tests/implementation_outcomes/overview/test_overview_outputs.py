"""The same figures everywhere: ``mio outcomes`` (JSON and CSV) == the overview service's rows == the page's CSV and
Excel downloads == ``/api/v1/outcomes`` (with a bearer token); the pages, drill-downs and their downloads; roles and
agency scope; the overview's number of SQL queries does not grow with the number of clinics."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.db import db
from app.models import Person
from app.security import issue_api_token
from implementation_outcomes.overview import tables
from implementation_outcomes.overview.services import FIDELITY_FIELDS, Filters, overview_rows
from tests.implementation_outcomes.overview.conftest import as_user

DIRECTOR = "director@mio.example"


def _rows(demo, **filters) -> list[dict]:
    with as_user(demo.user(DIRECTOR)):
        return overview_rows(Filters(**filters))


@pytest.mark.parametrize(("args", "query", "filters"), [
    ([], "", {}),
    (["--agency", "SPR", "--from", "2026-04-01", "--to", "2026-06-30"], "?agency=SPR&from=2026-04-01&to=2026-06-30",
     {"agency": "SPR", "date_from": "2026-04-01", "date_to": "2026-06-30"}),
    (["--clinic", "HFR-2"], "?clinic=HFR-2", {"clinic": "HFR-2"}),
])
def test_cli_equals_service_equals_downloads_equals_api(demo, client_for, args, query, filters):
    from datetime import date

    filters = {k: date.fromisoformat(v) if k.startswith("date") else v for k, v in filters.items()}
    rows = _rows(demo, **filters)
    assert rows
    runner = demo.app.test_cli_runner()
    result = runner.invoke(args=["outcomes", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["clinics"] == json.loads(json.dumps(rows))
    result = runner.invoke(args=["outcomes", "--format", "csv", *args])
    assert result.exit_code == 0, result.output
    client = client_for(DIRECTOR)
    response = client.get(f"/outcomes/overview/tables/outcomes.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    downloaded = response.get_data(as_text=True).lstrip("\ufeff")
    assert result.output.replace("\r\n", "\n") == downloaded.replace("\r\n", "\n")
    table = tables.overview_table(rows)
    lines = downloaded.strip().splitlines()
    assert len(lines) == len(rows) + 1 and lines[1].startswith(rows[0]["clinic"] + ",")
    workbook = load_workbook(io.BytesIO(client.get(f"/outcomes/overview/outcomes.xlsx{query}").data))
    sheet = [[("" if v is None else v) for v in r] for r in workbook["outcomes"].iter_rows(values_only=True)]
    assert sheet == [table.export_headers(), *table.export_rows()]
    api = client.get(f"/api/v1/outcomes{query}")
    assert api.status_code == 200 and api.get_json()["clinics"] == json.loads(json.dumps(rows))
    # "Reach" names its denominator wherever it stands (issue 12.4), with RE-AIM's enrolled / eligible beside it
    assert api.get_json()["definitions"]["reach"] == "enrolled / eligible and offered"
    assert "Reach (enrolled / offered)" in lines[0] and "Reach, RE-AIM (enrolled / eligible)" in lines[0]
    for row in rows:
        assert row["reach"] == (row["enrolled"] / row["offered"] if row["offered"] else None)


def test_cli_refuses_bad_filters(demo):
    runner = demo.app.test_cli_runner()
    result = runner.invoke(args=["outcomes", "--from", "2026-02-30"])
    assert result.exit_code == 2 and "--from" in result.output and "'2026-02-30' is not a date" in result.output
    result = runner.invoke(args=["outcomes", "--agency", "XYZ"])
    assert result.exit_code == 2 and "no agency with code 'XYZ'" in result.output
    assert "import-screening-log" in runner.invoke(args=["outcomes", "--help"]).output  # delivery's subcommands stay


def test_api_with_a_token_is_scoped_to_the_users_agency(demo):
    trial = demo.user("trial.spr@mio.example")
    _token, plain = issue_api_token(trial, "overview test")
    director_token = issue_api_token(demo.user(DIRECTOR), "overview test")[1]
    db.session.commit()
    client = demo.app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    body = client.get("/api/v1/outcomes", headers=headers).get_json()
    with as_user(trial):
        own = overview_rows()
    assert [r["clinic"] for r in body["clinics"]] == ["SPR-1", "SPR-2"]
    assert body["clinics"] == json.loads(json.dumps(own))
    hfr = demo.clinic("HFR-1")
    assert client.get(f"/api/v1/outcomes/clinics/{hfr.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/outcomes?agency=HFR", headers=headers).status_code == 400
    spr = demo.clinic("SPR-1")
    clinic = client.get(f"/api/v1/outcomes/clinics/{spr.id}", headers=headers).get_json()
    assert clinic["figures"] == {k: v for k, v in own[0].items() if k not in ("clinic_id", "clinic", "clinic_name", "agency")}
    counselor = demo.counselor("Rosa Delgado")
    assert client.get(f"/api/v1/outcomes/counselors/{counselor.id}", headers=headers).status_code == 403
    director = {"Authorization": f"Bearer {director_token}"}
    detail = client.get(f"/api/v1/outcomes/counselors/{counselor.id}", headers=director).get_json()
    assert detail["person"]["name"] == "Rosa Delgado" and len(detail["steps"]) == 9
    assert client.get("/api/v1/outcomes").status_code == 401
    assert client.get("/api/v1/outcomes", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "/api/v1/outcomes" in client.get("/api/v1/", headers=director).get_json()["endpoints"]


def test_pages_show_every_outcome_and_drill_down(demo, client_for):
    client = client_for(DIRECTOR)
    rows = _rows(demo)
    html = client.get("/outcomes/overview/").get_data(as_text=True)
    for row in rows:
        assert f'/outcomes/overview/clinics/{row["clinic_id"]}"' in html
        assert f'{100 * row["reach"]:.0f}%</text>' in html  # the chart's label of the same figure
    for _key, header, _kind in tables.OVERVIEW_COLUMNS:
        assert header.replace("+", "+") in html.replace("&amp;", "&")
    assert html.count("<svg") == 4 and html.count('role="img"') == 4
    spr = demo.clinic("SPR-1")
    page = client.get(f"/outcomes/overview/clinics/{spr.id}?from=2026-03-01")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Period: 2026-03-01" in text
    assert f"/outcomes/clinics/{spr.id}/feasibility" in text and f"/implementation/clinics/{spr.id}/adoption" in text
    counselor = demo.counselor("Rosa Delgado")
    assert f"/outcomes/overview/counselors/{counselor.id}?from=2026-03-01" in text
    page = client.get(f"/outcomes/overview/counselors/{counselor.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rosa Delgado" in text and "run-chart" in text and "Training-case progress" in text
    for name in ("steps", "sessions", "adequacy", "run-chart", "self-vs-coder", "training"):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/outcomes/overview/counselors/{counselor.id}/tables/{name}.{fmt}")
            assert response.status_code == 200, (name, fmt)
    for name in ("headline", "funnel", "counselors"):
        assert client.get(f"/outcomes/overview/clinics/{spr.id}/tables/{name}.csv").status_code == 200
    for name in ("outcomes", "reach", "adoption", "completion", "fidelity"):
        assert client.get(f"/outcomes/overview/tables/{name}.xlsx").status_code == 200
    assert client.get("/outcomes/overview/tables/nope.csv").status_code == 404
    assert client.get("/outcomes/overview/tables/outcomes.pdf").status_code == 404


def test_bad_filters_on_the_page_are_400_with_the_field(demo, client_for):
    client = client_for(DIRECTOR)
    response = client.get("/outcomes/overview/?from=2026-02-30")
    assert response.status_code == 400 and "from: &#39;2026-02-30&#39; is not a date" in response.get_data(as_text=True)
    response = client.get("/outcomes/overview/?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 400 and "is before the start" in response.get_data(as_text=True)


def test_roles_and_agency_scope_on_the_pages(demo, client_for):
    trial = client_for("trial.spr@mio.example")
    html = trial.get("/outcomes/overview/").get_data(as_text=True)
    assert "SPR-1" in html and "HFR-1" not in html
    assert trial.get(f"/outcomes/overview/clinics/{demo.clinic('HFR-1').id}").status_code == 404
    assert trial.get(f"/outcomes/overview/counselors/{demo.counselor('Rosa Delgado').id}").status_code == 403
    assert client_for("coder@mio.example").get("/outcomes/overview/").status_code == 403
    assert client_for("staff.spr@mio.example").get("/outcomes/overview/").status_code == 403
    director = client_for(DIRECTOR)
    supervisor = db.session.execute(sa.select(Person).where(Person.kind == "supervisor")).scalars().first()
    assert director.get(f"/outcomes/overview/counselors/{supervisor.id}").status_code == 404  # not a counselor
    nav = director.get("/").get_data(as_text=True)
    assert nav.index("Outcomes overview") < nav.index("Adoption &amp; activities")  # first for the director


def _csv_header(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return next(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_trial_staff_read_no_fidelity_figures_the_director_does(demo, client_for, monkeypatch):
    """Least privilege: the fidelity pages are the director's, so the overview gives trial staff (who log screening
    and sessions) reach, adoption, feasibility and stages of their agency but no fidelity column, chart, export or
    API field; the director's outputs carry them all."""
    trial, director = client_for("trial.spr@mio.example"), client_for(DIRECTOR)
    spr = demo.clinic("SPR-1")
    token = issue_api_token(demo.user("trial.spr@mio.example"), "fidelity fields")[1]
    db.session.commit()
    outputs = {}
    for who, client, headers in (("trial", trial, {"Authorization": f"Bearer {token}"}), ("director", director, {})):
        html = client.get("/outcomes/overview/").get_data(as_text=True)
        clinic_html = client.get(f"/outcomes/overview/clinics/{spr.id}").get_data(as_text=True)
        csv_header = _csv_header(client.get("/outcomes/overview/tables/outcomes.csv"))
        book = load_workbook(io.BytesIO(client.get("/outcomes/overview/outcomes.xlsx").data))
        sheet_header = next(book["outcomes"].iter_rows(values_only=True))
        headline = client.get(f"/outcomes/overview/clinics/{spr.id}/tables/headline.csv").get_data(as_text=True)
        api = demo.app.test_client().get("/api/v1/outcomes", headers=headers) if headers else \
            client.get("/api/v1/outcomes")
        api_clinic = demo.app.test_client().get(f"/api/v1/outcomes/clinics/{spr.id}", headers=headers) if headers \
            else client.get(f"/api/v1/outcomes/clinics/{spr.id}")
        assert api.status_code == api_clinic.status_code == 200
        outputs[who] = {"html": html, "clinic_html": clinic_html, "csv": csv_header, "sheets": book.sheetnames,
                        "sheet": list(sheet_header), "headline": headline, "rows": api.get_json()["clinics"],
                        "clinic": api_clinic.get_json(),
                        "fidelity_csv": client.get("/outcomes/overview/tables/fidelity.csv").status_code}

    t, d = outputs["trial"], outputs["director"]
    assert [r["clinic"] for r in t["rows"]] == ["SPR-1", "SPR-2"]  # still their agency's reach, adoption, dose
    assert all(r["reach"] is not None and "adoption" in r and "mean_dose" in r for r in t["rows"])
    assert all(not FIDELITY_FIELDS & set(r) for r in t["rows"]), t["rows"][0].keys()
    assert not FIDELITY_FIELDS & (set(t["clinic"]) | set(t["clinic"]["figures"]))
    assert all(FIDELITY_FIELDS - {"icc_band"} <= set(r) for r in d["rows"])
    assert FIDELITY_FIELDS - {"icc_band"} <= set(d["clinic"]["figures"]) and "icc_band" in d["clinic"]
    every, without = tables.overview_table([]).export_headers(), tables.overview_table([], FIDELITY_FIELDS).export_headers()
    assert d["csv"] == d["sheet"] == every and t["csv"] == t["sheet"] == without
    assert [h for h in every if h not in without] == [
        "Coder-rated sessions", "Adequate fidelity (%)", "ICC, trial sessions", "ICC 95% CI low", "ICC 95% CI high",
        "ICC band (Koo & Li, from the CI)", "ICC form", "ICC double-coded trial sessions (n)",
        "ICC, training-case sessions (apart)", "ICC double-coded training-case sessions (n)"]
    assert "fidelity" not in t["sheets"] and "fidelity" in d["sheets"]
    assert t["fidelity_csv"] == 404 and d["fidelity_csv"] == 200
    assert "Sessions with adequate fidelity" in d["html"] and d["html"].count("<svg") == 4
    assert t["html"].count("<svg") == 3 and "reach" in t["html"].lower()
    for page in (t["html"], t["clinic_html"], t["headline"]):
        assert "fidelity" not in page.lower() and "ICC" not in page
    assert "adequate fidelity" in d["clinic_html"] and "/fidelity" in d["clinic_html"]
    assert "Adequate fidelity" in d["headline"] and "Adequate fidelity" not in t["headline"]


def test_trial_staff_overview_does_not_query_fidelity(demo, monkeypatch):
    from implementation_outcomes.overview import services

    def refuse(*args, **kwargs):
        raise AssertionError("fidelity figures computed for a role that may not read them")

    monkeypatch.setattr(services, "fidelity_by_clinic", refuse)
    monkeypatch.setattr(services.summaries, "clinic_figures", refuse)  # the stored figures, issue 15
    monkeypatch.setattr(services, "clinic_fidelity", refuse)
    with as_user(demo.user("trial.spr@mio.example")):
        assert services.hidden_fields() == FIDELITY_FIELDS
        rows = services.overview_rows()
        detail = services.clinic_overview(demo.clinic("SPR-2").id)
    assert [r["clinic"] for r in rows] == ["SPR-1", "SPR-2"] and detail["figures"]["screened"] >= 0
    with as_user(demo.user(DIRECTOR)), pytest.raises(AssertionError, match="fidelity figures computed"):
        services.overview_rows()
