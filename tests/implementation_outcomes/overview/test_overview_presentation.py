"""The overview table reads at a glance (issue 16.3): the clinic column stays in view, columns in groups with a
chooser, cells coloured and marked against the director's targets, short stage labels, one number format."""

from __future__ import annotations

import csv
import io
import re

from implementation_outcomes.delivery.services.common import save_targets
from implementation_outcomes.overview.services import Filters, overview_rows
from tests.implementation_outcomes.overview.conftest import as_user

DIRECTOR = "director@mio.example"
NO_TARGETS = {"reach_target": None, "adoption_target": None, "completion_target": None, "fidelity_target": None}


def _row(html: str, clinic: str) -> str:
    return re.search(rf'<tr><th scope="row"><a href="[^"]+">{clinic}</a></th>(.*?)</tr>', html, re.S).group(1)


def _cells(html: str, clinic: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", _row(html, clinic), re.S)


def test_grouped_sticky_table_with_short_stages_and_one_number_format(demo, client_for):
    html = client_for(DIRECTOR).get("/outcomes/overview/").get_data(as_text=True)
    assert 'class="data sticky-first" id="table-outcomes"' in html
    for group, span in (("reach", 6), ("adoption", 6), ("feasibility", 4), ("fidelity", 10), ("stage", 2)):
        assert f'colspan="{span}" class="group-heading" data-group="{group}"' in html
        assert f'<input type="checkbox" name="group" value="{group}" checked>' in html
    # the chooser is hidden until app.js shows it, so without JS every column shows and no dead control is offered
    assert re.search(r'<fieldset class="column-chooser"[^>]*data-storage-key="mio\.overview\.groups\.\d+" hidden>', html)
    with as_user(demo.user(DIRECTOR)):
        row = next(r for r in overview_rows(Filters()) if r["clinic"] == "HFR-1")
    cells = _cells(html, "HFR-1")
    # shares are whole percentages, the dose one decimal, the ICC two (app.formatting), as on the clinic's cards
    assert f'{100 * row["reach"]:.0f}%' == cells[4] and "." not in cells[4]
    assert cells[14] == f'{row["mean_dose"]:.1f}'
    assert cells[19] == f'{row["icc"]:.2f}'
    # the stage: its short label shown, the full one as the title and for screen readers
    assert row["current_stage_label"] == "Ongoing services, consultation and fidelity monitoring"
    assert ('<span title="Ongoing services, consultation and fidelity monitoring" aria-hidden="true">Ongoing services'
            '</span>') in cells[-1]
    # the clinic's page writes the same figures the same way (cards and headline table)
    page = client_for(DIRECTOR).get(f"/outcomes/overview/clinics/{row['clinic_id']}").get_data(as_text=True)
    assert f"<strong>{100 * row['reach']:.0f}%</strong>" in page and f"<strong>{row['mean_dose']:.1f}</strong>" in page
    assert f"<td>{100 * row['reach']:.0f}%</td>" in page and " %</td>" not in page
    # the CSV holds the figures rounded as displayed (whole percentages), still numbers
    text = client_for(DIRECTOR).get("/outcomes/overview/tables/outcomes.csv").get_data(as_text=True).lstrip("\ufeff")
    hfr = next(r for r in csv.DictReader(io.StringIO(text)) if r["Clinic"] == "HFR-1")
    assert hfr["Reach (enrolled / offered) (%)"] == f'{100 * row["reach"]:.0f}'
    assert hfr["Mean dose (sessions)"] == f'{row["mean_dose"]:.1f}'


def test_cells_coloured_and_marked_against_the_directors_targets(demo, client_for):
    director = client_for(DIRECTOR)
    with as_user(demo.user(DIRECTOR)):
        rows = {r["clinic"]: r for r in overview_rows(Filters())}
    assert "No targets set: cells are not coloured." in director.get("/outcomes/overview/").get_data(as_text=True)
    # a bad target is refused by name and nothing is saved
    bad = director.post("/outcomes/overview/targets", data={"reach_target": "120", "adoption_target": "50"})
    assert bad.status_code == 400 and "Number must be between 0 and 100." in bad.get_data(as_text=True)
    assert "No targets set" in director.get("/outcomes/overview/").get_data(as_text=True)
    # reach target halfway between two clinics' reach: one meets it, the other is below
    low, high = sorted(rows.values(), key=lambda r: r["reach"])[:2]
    target = round(100 * (low["reach"] + high["reach"]) / 2, 1)
    try:
        response = director.post("/outcomes/overview/targets", data={"reach_target": str(target),
                                                                     "fidelity_target": "80"})
        assert response.status_code == 302
        html = director.get("/outcomes/overview/").get_data(as_text=True)
        low_cell = re.search(r'<td data-group="reach" class="num below-target">(.*?)</td>', _row(html, low["clinic"]),
                             re.S)
        assert low_cell and low_cell.group(1).startswith(f"{100 * low['reach']:.0f}%")
        assert "▼" in low_cell.group(1) and f"(below the {target:.0f}% target)" in low_cell.group(1)
        high_part = _row(html, high["clinic"])
        assert 'class="num on-target">' in high_part and f"(meets the {target:.0f}% target)" in high_part
        assert f"Reach (enrolled / offered) {target:.0f}%" in html  # the legend names the target
        for r in rows.values():  # fidelity: adequate share against 80 %
            part = _row(html, r["clinic"])
            expected = "on-target" if r["adequate_share"] >= 0.8 else "below-target"
            assert re.search(rf'data-group="fidelity" class="num {expected}">{100 * r["adequate_share"]:.0f}%', part)
        # trial staff see their agency's rows coloured by the same reach target, but may not set targets
        trial = client_for("trial.spr@mio.example")
        assert trial.get("/outcomes/overview/targets").status_code == 403
        assert "Set the targets" not in trial.get("/outcomes/overview/").get_data(as_text=True)
    finally:
        with demo.app.test_request_context():
            save_targets(NO_TARGETS)
