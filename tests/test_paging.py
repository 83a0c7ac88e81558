"""The one paging and list-filter helper (app/paging.py) and the pager macro, and the audit trail paged through
them: page numbers, refusals naming the parameter, clamping past the last page, literal LIKE wildcards, and links
that keep the filters."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from app import paging
from app.db import db
from app.models import Agency, AuditEvent, Role


def _refused(call) -> str:
    with pytest.raises(BadRequest) as caught:
        call()
    return caught.value.description


def test_page_number_reads_whole_numbers_from_one_and_refuses_the_rest():
    assert paging.page_number({}) == 1
    assert paging.page_number({"page": ""}) == 1
    assert paging.page_number({"page": " 7 "}) == 7
    assert paging.page_number({"page": "007"}) == 7
    assert paging.page_number({"page": "9" * 40}) == 10**9  # past any last page: clamped by paginate
    for bad in ("abc", "0", "000", "-1", "1.5", "²", "1e3"):
        message = _refused(lambda bad=bad: paging.page_number({"page": bad}))
        assert "“page”" in message and f"“{bad}” is not a page number" in message


def test_choice_date_range_and_text_refuse_with_the_parameter_named():
    statuses = {"open": "open", "closed": "closed"}
    assert paging.choice({}, "status", statuses) is None
    assert paging.choice({"status": "open"}, "status", statuses) == "open"
    assert _refused(lambda: paging.choice({"status": "shut"}, "status", statuses)) == \
        "The “status” filter: “shut” is not one of open, closed."
    # records (codes) are not listed: an unknown code and a code the user may not see read the same
    assert _refused(lambda: paging.choice({"clinic": "ZZ-1"}, "clinic", {"AA-1": 1}, noun="clinic code")) == \
        "The “clinic” filter: “ZZ-1” is not a known clinic code."
    assert paging.date_range({"from": "2026-03-01", "to": "2026-03-31"}) == (date(2026, 3, 1), date(2026, 3, 31))
    assert paging.date_range({"to": "2026-03-31"}) == (None, date(2026, 3, 31))
    assert "“from”" in _refused(lambda: paging.date_range({"from": "2026-13-01"}))
    assert _refused(lambda: paging.date_range({"from": "2026-03-02", "to": "2026-03-01"})) == \
        "The “to” filter: 2026-03-01 is before the “from” date 2026-03-02."
    assert paging.text_arg({"q": "  Rosa "}, "q") == "Rosa"
    assert "at most 5 characters" in _refused(lambda: paging.text_arg({"q": "x" * 6}, "q", max_length=5))
    assert paging.query_args({"a": "", "b": None, "c": "x", "page": 2}) == {"c": "x", "page": 2}


def test_page_arithmetic():
    page = paging.Page(items=[], page=3, per_page=50, total=120)
    assert (page.pages, page.first, page.last, page.has_prev, page.has_next) == (3, 101, 120, True, False)
    assert (page.prev_num, page.next_num) == (2, 3)
    empty = paging.Page(items=[], page=1, per_page=50, total=0)
    assert (empty.pages, empty.first, empty.last, empty.has_prev, empty.has_next) == (1, 0, 0, False, False)
    exact = paging.Page(items=[], page=1, per_page=50, total=50)
    assert (exact.pages, exact.first, exact.last, exact.has_next) == (1, 1, 50, False)


def test_paginate_counts_pages_and_clamps_past_the_end(app_ctx, create_agency):
    for n in range(1, 8):
        create_agency(name=f"Agency {n}", code=f"P{n:02d}")
    stmt = sa.select(Agency).order_by(Agency.code)
    first = paging.paginate(stmt, 1, 3)
    assert [a.code for a in first.items] == ["P01", "P02", "P03"] and (first.total, first.pages) == (7, 3)
    assert [a.code for a in paging.paginate(stmt, 3, 3)] == ["P07"]
    clamped = paging.paginate(stmt, 99, 3)
    assert clamped.page == 3 and [a.code for a in clamped.items] == ["P07"]
    rows = paging.paginate(sa.select(Agency.code, Agency.name).order_by(Agency.code), 2, 3, scalars=False)
    assert [tuple(r) for r in rows.items] == [("P04", "Agency 4"), ("P05", "Agency 5"), ("P06", "Agency 6")]
    nothing = paging.paginate(stmt.where(Agency.code == "none"), 5, 3)
    assert (nothing.page, nothing.total, nothing.items) == (1, 0, [])


def test_contains_takes_wildcards_literally(app_ctx, create_agency):
    for name in ("100% Recovery", "1000 Oaks", "Under_score", "Underscore", "Back\\slash"):
        create_agency(name=name)

    def names(text):
        stmt = sa.select(Agency.name).where(paging.contains(Agency.name, text)).order_by(Agency.name)
        return db.session.execute(stmt).scalars().all()

    assert names("100%") == ["100% Recovery"]
    assert names("r_s") == ["Under_score"]
    assert names("UNDER") == ["Under_score", "Underscore"]
    assert names("k\\s") == ["Back\\slash"]


def _events(n: int) -> None:
    """n audit events, one a minute from 2026-01-01 00:00 UTC, the later ones by Bea."""
    db.session.add_all(AuditEvent(at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i), actor="bea@x.org" if i >= 100 else
                                  "al@x.org", action="update", entity="clinic", entity_id=str(i), changes={})
                       for i in range(n))
    db.session.commit()


def test_audit_trail_pages_through_the_shared_pager(client, create_user, login):
    login(create_user(Role.DIRECTOR))  # the sign-in itself writes no audit event
    _events(130)
    total = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar()
    assert total >= 130
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"Rows 1–100 of {total}" in page
    assert 'href="/admin/audit?page=2"' in page and f'href="/admin/audit?page={-(-total // 100)}"' in page
    filtered = client.get("/admin/audit?actor=al%40x&entity=clinic").get_data(as_text=True)
    assert "Rows 1–100 of 100" in filtered and "rel=\"next\"" not in filtered  # al's 100 events: one page
    bea = client.get("/admin/audit?actor=bea&from=2026-01-01&to=2026-01-01&page=2").get_data(as_text=True)
    assert "Rows 1–30 of 30" in bea  # page 2 of a one-page list shows the last page
    assert len(re.findall(r"<td>update</td>", bea)) == 30
    # the export link and the pager keep the filters; the page number stays out of the export
    assert 'href="/admin/audit.csv?actor=bea&amp;from=2026-01-01&amp;to=2026-01-01"' in bea
    assert client.get("/admin/audit?page=2&actor=al").get_data(as_text=True).count("Rows 1–100 of 100") == 1


def test_audit_trail_refuses_bad_filters_naming_them(client, create_user, login):
    login(create_user(Role.ADMIN))
    for query, name, urls in (("page=abc", "page", ("/admin/audit",)), ("page=0", "page", ("/admin/audit",)),
                              ("action=erase", "action", ("/admin/audit", "/admin/audit.csv")),
                              ("from=yesterday", "from", ("/admin/audit", "/admin/audit.csv")),
                              ("from=2026-02-01&to=2026-01-01", "to", ("/admin/audit", "/admin/audit.csv"))):
        for url in (f"{path}?{query}" for path in urls):  # the export holds every page: it reads no page number
            response = client.get(url)
            assert response.status_code == 400, url
            assert f"The “{name}” filter" in response.get_data(as_text=True), url


def test_organisation_filters_offer_and_accept_only_what_the_user_may_see(app_ctx, create_agency, create_clinic,
                                                                           create_user):
    a, b = create_agency(code="AAA"), create_agency(code="BBB")
    a1, a2, b1 = create_clinic(a, code="AAA-1"), create_clinic(a, code="AAA-2"), create_clinic(b, code="BBB-1")
    director, staff = create_user(Role.DIRECTOR), create_user(Role.TRIAL_STAFF, agency=a)
    everything = paging.organisation({}, user=director)
    assert (everything.agency, everything.clinic) == (None, None)
    assert everything.agencies == [a, b] and everything.clinics == [a1, a2, b1]
    chosen = paging.organisation({"agency": "BBB", "clinic": "AAA-2"}, user=director)
    assert (chosen.agency, chosen.clinic) == (b, a2) and chosen.clinics == [a2, b1]  # B's, and the chosen one
    assert chosen.shown == {"agency": "BBB", "clinic": "AAA-2"}
    own = paging.organisation({"clinic": "AAA-1"}, user=staff)
    assert own.clinic == a1 and own.agencies == [] and own.clinics == [a1, a2]  # no agency choice for staff
    assert _refused(lambda: paging.organisation({"clinic": "BBB-1"}, user=staff)) == \
        _refused(lambda: paging.organisation({"clinic": "ZZZ-1"}, user=staff)).replace("ZZZ-1", "BBB-1")
    assert _refused(lambda: paging.organisation({"agency": "BBB"}, user=staff)) == \
        "The “agency” filter: “BBB” is not a known agency code."


def test_paginate_list_pages_a_built_list_with_the_same_clamping():
    letters = list("abcdefg")
    first = paging.paginate_list(letters, 1, 3)
    assert (first.items, first.page, first.pages, first.total, first.first, first.last) == (["a", "b", "c"], 1, 3, 7, 1, 3)
    assert paging.paginate_list(letters, 3, 3).items == ["g"]
    clamped = paging.paginate_list(letters, 99, 3)
    assert (clamped.page, clamped.items, clamped.first, clamped.last) == (3, ["g"], 7, 7)
    assert paging.paginate_list(letters, 0, 3).page == 1
    nothing = paging.paginate_list([], 5, 3)
    assert (nothing.page, nothing.pages, nothing.total, nothing.items, nothing.first) == (1, 1, 0, [], 0)
    exact = paging.paginate_list(letters[:6], 2, 3)
    assert (exact.items, exact.has_next, exact.has_prev) == (["d", "e", "f"], False, True)
