"""Issue 16 item 5: analysis pages name a code the way a reader knows it, CFIR display key + name ("IV.A High-level
Leaders", ``str(Code)``), never the internal key ("IV.ROLE.A"), and the same way on every page."""

from __future__ import annotations

import re

from app.db import db


def _role_codes(w):
    domain = w.code("IV", "Individuals", kind="domain", codable=False)
    roles = w.code("IV.ROLE", "Roles", parent=domain, kind="subdomain", codable=False)
    leaders = w.code("IV.ROLE.A", "High-level Leaders", parent=roles)
    need = w.code("IV.CHAR.A", "Need", parent=domain)
    roles.label, leaders.label, need.label = "IV (Roles)", "IV.A", "IV.A"
    db.session.commit()
    doc = w.document("Interview 1", w.clinics["SPR-1"], [("Counselor", "The director backs us; we need time.")])
    w.code_turn(doc, 0, leaders, w.users["ana"])
    w.code_turn(doc, 0, need, w.users["ana"])
    return leaders, need


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_matrices_and_queries_name_codes_by_display_key_and_name(world, client, login):
    leaders, need = _role_codes(world)
    login(world.users["manager"])
    base = f"/qualitative/projects/{world.project.id}"
    for url in (f"{base}/matrices", f"{base}/queries?mode=cooccurrence"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "IV.ROLE." not in html and "IV.CHAR." not in html, url
        text = _text(html)
        # the two constructs that share the display key "IV.A" stay distinguishable by name
        assert "IV.A High-level Leaders" in text, url
        assert "IV.A Need" in text, url
    assert str(leaders) == "IV.A High-level Leaders"
