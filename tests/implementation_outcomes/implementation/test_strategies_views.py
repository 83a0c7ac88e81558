"""Strategy log and adaptation records through the client: entry, validation messages naming the field, filters by
ERIC cluster / CFIR domain / place, CSV and Excel exports, agency scoping."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.db import db
from implementation_outcomes.implementation.models import Adaptation, StrategyUse


def strategy_data(where: str, **overrides) -> dict:
    data = {
        "where": where, "used_on": "2026-01-12", "eric_strategy": "facilitation", "name": "Start-up facilitation",
        "definition": "Problem-solving support", "actor": "Implementation director", "action": "Fortnightly calls",
        "action_target": "Clinic supervisor", "temporality": "Implementation", "dose": "45 min fortnightly",
        "implementation_outcome": ["feasibility", "adoption"], "justification": "Slow start-up", "cfir_construct": "V.D",
    }
    data.update(overrides)
    return data


def adaptation_data(where: str, **overrides) -> dict:
    data = {
        "where": where, "occurred_on": "2026-03-09", "description": "Video sessions for mothers without transport",
        "when": "implementation", "planned": "planned_reactive", "who_decided": ["treatment_team"],
        "what_modified": ["context"], "context_modified": ["format"], "level": "cohort",
        "fidelity_consistent": "consistent", "reasons": ["recipient:access_to_resources"],
    }
    data.update(overrides)
    return data


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count(model.id))).scalar()


def test_strategy_entry_filters_and_exports(org, client, sign_in, read_csv, read_xlsx):
    sign_in(org.staff_a)
    form = client.get("/implementation/strategies/new").get_data(as_text=True)
    assert "Implementation outcome(s) affected" in form and f'value="clinic-{org.b1.id}"' not in form
    assert client.post("/implementation/strategies/new", data=strategy_data(f"clinic-{org.a1.id}")).status_code == 302
    agency_wide = strategy_data(f"agency-{org.agency_a.id}", eric_strategy="conduct_educational_meetings",
                                name="Didactic training", cfir_construct="IV.CHAR.B", used_on="2025-11-17")
    assert client.post("/implementation/strategies/new", data=agency_wide).status_code == 302
    assert count(StrategyUse) == 2
    rows = read_csv(client.get("/implementation/tables/strategies.csv"))
    assert rows[0][:4] == ["Date used", "Where", "ERIC strategy", "ERIC cluster"]
    assert rows[1][:5] == ["2026-01-12", "AGA-1", "Facilitation", "Provide interactive assistance",
                           "Start-up facilitation"]
    assert rows[1][11] == "Feasibility; Adoption"
    assert rows[1][13:] == ["V.D Planning", "V. Implementation Process"]
    assert rows[2][1:4] == ["AGA (agency-wide)", "Conduct educational meetings", "Train and educate stakeholders"]
    # filters: ERIC cluster, CFIR domain, place (a clinic includes its agency-wide strategies)
    by_cluster = read_csv(client.get("/implementation/tables/strategies.csv?cluster=provide_interactive_assistance"))
    assert [r[4] for r in by_cluster[1:]] == ["Start-up facilitation"]
    by_domain = read_csv(client.get("/implementation/tables/strategies.csv?cfir_domain=IV"))
    assert [r[4] for r in by_domain[1:]] == ["Didactic training"]
    assert len(read_csv(client.get(f"/implementation/tables/strategies.csv?where=clinic-{org.a2.id}"))) == 2
    assert len(read_csv(client.get(f"/implementation/tables/strategies.csv?where=agencywide-{org.agency_a.id}"))) == 2
    xlsx = read_xlsx(client.get("/implementation/tables/strategies.xlsx?cluster=train_and_educate_stakeholders"))
    assert [r[4] for r in xlsx[1:]] == ["Didactic training"]
    page = client.get("/implementation/strategies?cfir_domain=V")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 strategy listed." in html and "cfir_domain=V" in html  # downloads keep the filter


def test_strategy_bad_input_names_the_field_and_saves_nothing(org, client, sign_in):
    sign_in(org.staff_a)
    where = f"clinic-{org.a1.id}"
    unknown = client.post("/implementation/strategies/new",
                          data=strategy_data(where, eric_strategy="hope_for_the_best", cfir_construct="III.Z"))
    assert unknown.status_code == 400
    html = unknown.get_data(as_text=True)
    assert "&#39;hope_for_the_best&#39; is not an ERIC strategy key" in html
    assert "&#39;III.Z&#39; is not a CFIR 2.0 construct key" in html
    missing = client.post("/implementation/strategies/new",
                          data=strategy_data(where, actor="", dose=" ", implementation_outcome=[]))
    assert missing.status_code == 400
    html = missing.get_data(as_text=True)
    assert 'id="actor-error">required' in html and 'id="dose-error">required' in html
    assert 'id="implementation_outcome-error">required' in html
    future = (date.today() + timedelta(days=2)).isoformat()
    late = client.post("/implementation/strategies/new", data=strategy_data(where, used_on=future))
    assert late.status_code == 400 and f"Date used: {future} is in the future" in late.get_data(as_text=True)
    other_agency = client.post("/implementation/strategies/new", data=strategy_data(f"clinic-{org.b1.id}"))
    assert other_agency.status_code == 400
    assert "Choose an agency or clinic you can record for" in other_agency.get_data(as_text=True)
    assert count(StrategyUse) == 0
    bad_filter = client.get("/implementation/strategies?cluster=nonsense&cfir_domain=VI")
    assert bad_filter.status_code == 400
    assert "&#39;nonsense&#39; is not an ERIC cluster." in bad_filter.get_data(as_text=True)
    assert client.get("/implementation/tables/strategies.csv?cluster=nonsense").status_code == 400
    assert client.get(f"/implementation/strategies?where=clinic-{org.b1.id}").status_code == 400


def test_strategy_edit_delete_and_scoping(org, client, sign_in):
    sign_in(org.staff_a)
    client.post("/implementation/strategies/new", data=strategy_data(f"clinic-{org.a1.id}"))
    strategy_id = db.session.execute(sa.select(StrategyUse.id)).scalar_one()
    edit = client.get(f"/implementation/strategies/{strategy_id}/edit").get_data(as_text=True)
    assert f'<option selected value="clinic-{org.a1.id}">' in edit
    changed = strategy_data(f"clinic-{org.a1.id}", dose="Weekly, 30 min")
    assert client.post(f"/implementation/strategies/{strategy_id}/edit", data=changed).status_code == 302
    db.session.expire_all()
    assert db.session.get(StrategyUse, strategy_id).dose == "Weekly, 30 min"
    sign_in(org.staff_b)
    assert "Start-up facilitation" not in client.get("/implementation/strategies").get_data(as_text=True)
    assert client.get(f"/implementation/strategies/{strategy_id}/edit").status_code == 404
    assert client.post(f"/implementation/strategies/{strategy_id}/delete").status_code == 404
    sign_in(org.director)
    assert client.post(f"/implementation/strategies/{strategy_id}/delete").status_code == 302
    assert count(StrategyUse) == 0


def test_adaptation_entry_filter_and_export(org, client, sign_in, read_csv):
    sign_in(org.staff_a)
    form = client.get("/implementation/adaptations/new").get_data(as_text=True)
    assert "<legend>Reasons (contextual factors that prompted the modification)" in form
    assert 'value="recipient:access_to_resources"' in form
    assert client.post("/implementation/adaptations/new", data=adaptation_data(f"clinic-{org.a1.id}")).status_code == 302
    unplanned = adaptation_data(f"agency-{org.agency_a.id}", planned="unplanned_reactive", what_modified=["content"],
                                type=["shortening", "other"], type_other="split across two visits",
                                fidelity_consistent="unknown", description="Shortened sessions for childcare", occurred_on="2026-02-01",
                                reasons=["recipient:crisis_circumstances", "organization_setting:time_constraints"])
    assert client.post("/implementation/adaptations/new", data=unplanned).status_code == 302
    rows = read_csv(client.get("/implementation/tables/adaptations.csv"))
    header = rows[0]
    assert header[:3] == ["Date", "Where", "Description"] and "Was it planned?" in header
    latest = dict(zip(header, rows[1], strict=True))
    assert latest["Where"] == "AGA-1" and latest["Was it planned?"] == "Planned / reactive (reactive adaptation)"
    shortened = dict(zip(header, rows[2], strict=True))
    assert shortened["Type or nature of content modification"] == (
        "Shortening / condensing (pacing / timing); Other (split across two visits)")
    assert shortened["Reasons (contextual factors that prompted the modification)"] == (
        "Recipient: Crisis or emergent circumstances; Organization / setting: Time constraints")
    only_planned = read_csv(client.get("/implementation/tables/adaptations.csv?planned=unplanned_reactive"))
    assert [r[2] for r in only_planned[1:]] == ["Shortened sessions for childcare"]
    page = client.get("/implementation/adaptations?fidelity_consistent=consistent").get_data(as_text=True)
    assert "1 adaptation listed." in page


def test_adaptation_missing_frame_fields_are_named(org, client, sign_in):
    sign_in(org.staff_a)
    data = adaptation_data(f"clinic-{org.a1.id}", planned="", who_decided=["other"], reasons=[], description="")
    del data["level"]
    response = client.post("/implementation/adaptations/new", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field in ("planned", "level", "reasons"):
        assert f'id="{field}-error">required' in html
    assert "describe the &#39;other&#39; choice" in html
    assert "Describe the adaptation" in html
    bogus = client.post("/implementation/adaptations/new",
                        data=adaptation_data(f"clinic-{org.a1.id}", reasons=["recipient:weather"], when="someday"))
    assert bogus.status_code == 400
    html = bogus.get_data(as_text=True)
    assert "&#39;recipient:weather&#39; is not an option" in html and "&#39;someday&#39; is not an option" in html
    assert count(Adaptation) == 0


def test_adaptation_scoping(org, client, sign_in):
    sign_in(org.staff_a)
    client.post("/implementation/adaptations/new", data=adaptation_data(f"clinic-{org.a1.id}"))
    adaptation_id = db.session.execute(sa.select(Adaptation.id)).scalar_one()
    edit = client.get(f"/implementation/adaptations/{adaptation_id}/edit").get_data(as_text=True)
    assert '<input checked id="planned-1" name="planned" type="radio" value="planned_reactive">' in edit
    assert re.search(r'<input checked id="reasons-\d+" name="reasons" type="checkbox" '
                     r'value="recipient:access_to_resources">', edit)
    assert "Video sessions for mothers" in edit
    sign_in(org.staff_b)
    assert client.get(f"/implementation/adaptations/{adaptation_id}/edit").status_code == 404
    assert client.post(f"/implementation/adaptations/{adaptation_id}/delete").status_code == 404
    assert "Video sessions" not in client.get("/implementation/adaptations").get_data(as_text=True)
    assert count(Adaptation) == 1
