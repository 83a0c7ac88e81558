"""A clinic's sessions list: 100 a page, filters by mother, counselor, status and period (counts by hand), refusals
naming the parameter, counselor ids scoped to the clinic, and CSV/Excel downloads holding every filtered row."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import openpyxl

from app.db import db
from implementation_outcomes.delivery.models import MioSession

SESSION_ROW = re.compile(r'href="/outcomes/mio-sessions/(\d+)/edit"')
MONDAYS = [date(2026, 1, 12) + timedelta(weeks=n) for n in range(12)]  # Jan 12 ... Mar 30


def _seed(world, add_participant) -> None:
    """Ten MIO mothers SPR1-001..010, twelve weekly sessions each (120): mothers 1-6 with counselor A1 (72 sessions),
    7-10 with A2 (48). Session 12 of every mother is a no-show (10); session 11 of mothers 1-3 was cancelled (3);
    the other 107 were attended."""
    a1, a2 = world.counselors_a
    rows = []
    for m in range(1, 11):
        mother = add_participant(world.clinic_a, f"SPR1-{m:03d}", "started", arm="mio_tau",
                                 randomized_on=date(2026, 1, 5))
        for n, day in enumerate(MONDAYS, start=1):
            status = "no_show" if n == 12 else "cancelled" if n == 11 and m <= 3 else "attended"
            rows.append(MioSession(clinic_id=world.clinic_a.id, participant_id=mother.id,
                                   counselor_id=(a1 if m <= 6 else a2).id, session_number=n, session_date=day,
                                   modality="in_person", status=status,
                                   duration_minutes=55 if status == "attended" else None,
                                   audio_recorded=status == "attended"))
    db.session.add_all(rows)
    db.session.commit()


def _list(client, world, query: str = "") -> tuple[str, list[int]]:
    response = client.get(f"/outcomes/clinics/{world.clinic_a.id}/sessions?{query}")
    assert response.status_code == 200, (query, response.status_code)
    page = response.get_data(as_text=True)
    return page, [int(i) for i in SESSION_ROW.findall(page)]


def test_sessions_list_pages_a_hundred_at_a_time(world, client_for, add_participant):
    _seed(world, add_participant)
    client = client_for(world.trial_a)
    first, first_ids = _list(client, world)
    assert len(first_ids) == 100 and "Rows 1–100 of 120, page 1 of 2" in first
    second, second_ids = _list(client, world, "page=2")
    assert len(second_ids) == 20 and "Rows 101–120 of 120" in second
    assert not set(first_ids) & set(second_ids) and len(set(first_ids + second_ids)) == 120
    # ordered by mother then session number: row 101 is session 5 of the ninth mother
    assert re.search(r'<th scope="row">SPR1-009</th><td class="num">5</td>', second[second.index("<tbody>"):])
    assert _list(client, world, "page=7")[1] == second_ids  # past the end: the last page
    for bad in ("abc", "0"):
        response = client.get(f"/outcomes/clinics/{world.clinic_a.id}/sessions?page={bad}")
        assert response.status_code == 400
        assert "The “page” filter" in response.get_data(as_text=True)


def test_sessions_filters_count_by_hand(world, client_for, add_participant):
    _seed(world, add_participant)
    a1, a2 = world.counselors_a
    client = client_for(world.trial_a)
    counts = {
        f"counselor={a1.id}": 72, f"counselor={a2.id}": 48, "status=attended": 107, "status=no_show": 10,
        "status=cancelled": 3, "from=2026-02-01&to=2026-02-28": 40,  # sessions 4-7 of each mother
        f"counselor={a2.id}&status=no_show": 4, f"counselor={a1.id}&from=2026-03-01": 30,  # sessions 8-12 x 6
        "to=2026-01-12": 10, "study_id=SPR1-002&status=cancelled": 1, "study_id=SPR1-007&status=cancelled": 0,
        f"study_id=SPR1-007&counselor={a1.id}": 0,
    }
    for query, expected in counts.items():
        page, ids = _list(client, world, query)
        assert len(ids) == min(expected, 100), query
        assert f"of {expected}" in page if expected else "No sessions match these filters." in page, query
    page, _ = _list(client, world, f"status=attended&counselor={a1.id}")
    # A1's 72 sessions less 6 no-shows and 3 cancelled; the chosen options stay selected
    assert "Rows 1–63 of 63</p>" in page
    assert f'<option value="{a1.id}" selected>' in page and '<option value="attended" selected>' in page
    page, _ = _list(client, world, "status=attended&page=2")  # the pager keeps the filters
    assert f'href="/outcomes/clinics/{world.clinic_a.id}/sessions?page=1&amp;status=attended" rel="prev"' in page


def test_sessions_refusals_name_the_parameter_and_counselors_are_scoped(world, client_for, add_participant):
    _seed(world, add_participant)
    client = client_for(world.trial_a)
    url = f"/outcomes/clinics/{world.clinic_a.id}/sessions"

    def refusal(query: str) -> str:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        return response.get_data(as_text=True)

    for query, name in (("status=done", "status"), ("from=2026-02-30", "from"), ("to=March", "to"),
                        ("from=2026-03-01&to=2026-02-01", "to"), ("counselor=abc", "counselor"),
                        ("study_id=SPR1-999", "study_id")):
        assert f"The “{name}” filter" in refusal(query), query
    # a counselor of another agency's clinic reads exactly like an id that does not exist
    other = world.counselors_b[0].id
    assert refusal(f"counselor={other}") == refusal("counselor=999999").replace("999999", str(other))
    assert "is not a known counselor of this clinic" in refusal(f"counselor={other}")
    assert client_for(world.trial_b).get(f"{url}?status=attended").status_code == 404


def test_session_downloads_hold_every_filtered_row_not_only_the_page(world, client_for, add_participant):
    _seed(world, add_participant)
    a2 = world.counselors_a[1]
    client = client_for(world.trial_a)
    base = f"/outcomes/clinics/{world.clinic_a.id}/tables/sessions/mio-sessions"
    rows = list(csv.reader(io.StringIO(client.get(f"{base}.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 120  # every session, though the page shows 100
    page, _ = _list(client, world, f"counselor={a2.id}&status=attended&page=1")
    link = f'{base}.csv?counselor={a2.id}&amp;status=attended"'
    assert link in page  # the download keeps the filters and leaves the page number out
    filtered = client.get(f"{base}.csv?counselor={a2.id}&status=attended").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(filtered)))
    assert len(rows) == 1 + 44  # mothers 7-10, sessions 1-11 each
    assert {r[-1] for r in rows[1:]} == {"Counselor A2"} and {r[5] for r in rows[1:]} == {"Attended"}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}.xlsx?from=2026-02-01&to=2026-02-28").data))
    assert workbook.active.max_row == 1 + 40
    whole = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/outcomes/clinics/{world.clinic_a.id}/tables/sessions.xlsx?status=no_show").data))
    assert whole["mio-sessions"].max_row == 1 + 10
    response = client.get(f"{base}.csv?status=done")
    assert response.status_code == 400 and "The “status” filter" in response.get_data(as_text=True)


def test_deleting_a_session_returns_to_the_same_filtered_page(world, client_for, add_participant):
    _seed(world, add_participant)
    client = client_for(world.trial_a)
    _, ids = _list(client, world, "status=no_show")
    response = client.post(f"/outcomes/mio-sessions/{ids[0]}/delete?status=no_show&page=1&other=x")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/outcomes/clinics/{world.clinic_a.id}/sessions?status=no_show&page=1")
    assert db.session.get(MioSession, ids[0]) is None
