"""Coding changes answer with what changed only; codings.json answers 304 to a poll whose ETag still matches; large
responses are gzip-compressed for clients that accept it.

Sizes and query counts are compared between a document with a handful of codings and the same document after 600
more: a change must cost the same bytes and the same queries in both (the old answers sent the whole list back)."""

from __future__ import annotations

import gzip

import sqlalchemy as sa

from app.db import db
from qualitative.models import Coding, Memo
from tests.qualitative.workspace.test_ws_queries import _code_everything, _transcript, count_queries


def _first_turn_span(document, turn_index: int, length: int) -> dict:
    turn = document.turns[turn_index]
    return {"turn_id": turn.id, "start": 0, "end": length}


def _create(client, document_id, body):
    db.session.expire_all()
    with count_queries() as queries:
        response = client.post(f"/qualitative/documents/{document_id}/codings", json=body)
    assert response.status_code == 201, response.get_json()
    return response, len(queries)


def test_change_answers_carry_only_what_changed_whatever_the_number_of_codings(
    client, login, people, import_text, code_id
):
    document = import_text("large.txt", _transcript(60))
    document_id = document.id
    codes = [code_id(k) for k in ("III.K", "III.A.3", "II.C", "IV.CHAR.C", "I.H")]
    login(people["coder"])
    few, few_queries = _create(
        client, document_id, {**_first_turn_span(document, 1, 9), "code_ids": [codes[0]]}
    )
    _code_everything(document, [people["manager"], people["coder"], people["reader"]], codes, per_turn=10)
    total = db.session.execute(
        sa.select(sa.func.count(Coding.id)).where(Coding.document_id == document_id)
    ).scalar()
    assert total == 601
    many, many_queries = _create(
        client, document_id, {**_first_turn_span(document, 3, 9), "code_ids": [codes[0]]}
    )

    assert set(few.get_json()) == set(many.get_json()) == {"created", "skipped"}
    assert len(few.get_json()["created"]) == len(many.get_json()["created"]) == 1
    # same fields; only the ids and turn ids (a few digits) differ
    assert abs(len(many.data) - len(few.data)) <= 8, (len(few.data), len(many.data))
    assert many_queries == few_queries, (few_queries, many_queries)
    created = many.get_json()["created"][0]
    turn = document.turns[3]
    assert created["pieces"] == [{"turn_id": turn.id, "start": 0, "end": 9}]
    assert created["start"] == turn.start and created["mine"] is True and created["memos"] == 0

    # an edit answers with the one coding, a removal with its id
    coding_id = created["id"]
    db.session.add(
        Memo(
            project_id=document.project_id,
            target_type="coding",
            target_id=coding_id,
            author_id=people["coder"].id,
            text="why",
        )
    )
    db.session.commit()
    edited = client.patch(f"/qualitative/codings/{coding_id}", json={"version": 1, "code_id": codes[1]})
    assert edited.status_code == 200
    assert set(edited.get_json()) == {"coding"}
    assert edited.get_json()["coding"]["code_id"] == codes[1] and edited.get_json()["coding"]["version"] == 2
    assert edited.get_json()["coding"]["memos"] == 1
    assert len(edited.data) < 400
    removed = client.post(f"/qualitative/codings/{coding_id}/delete", json={"version": 2})
    assert removed.status_code == 200 and removed.get_json() == {"deleted": coding_id}


def _poll(client, document_id, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/qualitative/documents/{document_id}/codings.json", headers=headers)


def test_poll_with_etag_answers_304_until_something_changes(
    app, factories, client, login, people, import_text, code_id
):
    document = import_text("doc.txt", _transcript(6))
    document_id, project_id = document.id, document.project_id
    login(people["coder"])
    first = _poll(client, document_id)
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    assert first.headers["Cache-Control"] == "no-store"  # the script holds the codings, not the browser's cache
    etag = first.headers["ETag"]

    same = _poll(client, document_id, etag)
    assert same.status_code == 304 and same.data == b"" and same.headers["ETag"] == etag

    def changed(previous: str) -> str:
        response = _poll(client, document_id, previous)
        assert response.status_code == 200, "a change must invalidate the ETag"
        assert response.headers["ETag"] != previous
        assert _poll(client, document_id, response.headers["ETag"]).status_code == 304
        return response.headers["ETag"]

    # another coder adds a coding (directly in the database: no request of this client involved)
    other = Coding(
        document_id=document_id,
        code_id=code_id("III.K"),
        coder_id=people["manager"].id,
        start=document.turns[1].start,
        end=document.turns[1].start + 4,
    )
    db.session.add(other)
    db.session.commit()
    etag = changed(etag)
    # they change it (the version rises) ...
    other.code_id = code_id("II.C")
    db.session.commit()
    etag = changed(etag)
    # ... a memo is written on it ...
    memo = Memo(
        project_id=project_id,
        target_type="coding",
        target_id=other.id,
        author_id=people["manager"].id,
        text="note",
    )
    db.session.add(memo)
    db.session.commit()
    etag = changed(etag)
    db.session.delete(memo)
    db.session.commit()
    etag = changed(etag)
    # ... and one coding is removed while another is added: the count is the same, the ETag is not
    replacement = Coding(
        document_id=document_id,
        code_id=code_id("III.K"),
        coder_id=people["manager"].id,
        start=other.start,
        end=other.end,
    )
    db.session.delete(other)
    db.session.flush()
    db.session.add(replacement)
    db.session.commit()
    etag = changed(etag)
    # this client's own change through the API invalidates it as well
    created = client.post(
        f"/qualitative/documents/{document_id}/codings",
        json={**_first_turn_span(document, 3, 5), "code_ids": [code_id("I.H")]},
    )
    assert created.status_code == 201
    etag = changed(etag)
    # the payload names each coding's coder: renaming a coder changes it
    manager = db.session.get(type(people["manager"]), people["manager"].id)
    manager.name = "Renamed Coder"
    db.session.commit()
    renamed = _poll(client, document_id, etag)
    assert renamed.status_code == 200 and "Renamed Coder" in renamed.get_data(as_text=True)
    etag = renamed.headers["ETag"]

    # the ETag is per reader: another user's poll with this one's ETag gets the full payload
    reader = app.test_client()
    assert (
        reader.post(
            "/auth/login", data={"email": people["reader"].email, "password": factories.password}
        ).status_code
        == 302
    )
    assert _poll(reader, document_id, etag).status_code == 200


def test_large_json_and_html_are_gzipped_when_accepted(client, login, people, import_text, code_id):
    document = import_text("large.txt", _transcript(30))
    _code_everything(
        document, [people["manager"], people["coder"]], [code_id("III.K"), code_id("II.C")], per_turn=4
    )
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/codings.json"
    plain = client.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 4, (len(packed.data), len(plain.data))
    assert packed.headers["ETag"] == plain.headers["ETag"]
    # the 304 path still works for a gzip client
    assert (
        client.get(
            url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
        ).status_code
        == 304
    )

    page = client.get(f"/qualitative/documents/{document.id}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(page.data)
    # small bodies and clients that refuse gzip get the identity encoding
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers and small.get_json()["status"] == "ok"
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
