"""The workspace under a blind double-coding sample: a coder of the sample sees only their own codings on its
documents (page, JSON, memos, single codings), others and revealed samples see everything."""

from __future__ import annotations

import pytest

from app.db import db
from qualitative.analysis.services import blind
from qualitative.models import Memo


@pytest.fixture
def sampled(world):
    doc = world.document("Blind 1", world.clinics["SPR-1"], [("A", "first turn"), ("B", "second turn")])
    open_doc = world.document("Open 1", world.clinics["SPR-2"], [("A", "another turn")])
    ana, ben = world.users["ana"], world.users["ben"]
    mine = world.code_turn(doc, 0, world.codes["III.D"], ana)
    theirs = world.code_turn(doc, 1, world.codes["III.J"], ben)
    open_theirs = world.code_turn(open_doc, 0, world.codes["III.D"], ben)
    db.session.add(Memo(project_id=world.project.id, target_type="coding", target_id=theirs.id, author_id=ben.id,
                        title="Ben's hunch", text="Resources come up again"))
    db.session.commit()
    sample = blind.create_sample(world.project, "Round 1", [doc.id], [ana.id, ben.id], None,
                                 world.users["manager"].id)
    return {"doc": doc.id, "open": open_doc.id, "mine": mine.id, "theirs": theirs.id, "open_theirs": open_theirs.id,
            "sample": sample}


def _coders(client, document_id):
    response = client.get(f"/qualitative/documents/{document_id}/codings.json")
    assert response.status_code == 200
    return response.get_json()


def test_sample_coder_sees_only_own_codings_while_blind(world, sampled, client, login):
    login(world.users["ana"])
    page = client.get(f"/qualitative/documents/{sampled['doc']}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="coding-{sampled["mine"]}"' in body and f'id="coding-{sampled["theirs"]}"' not in body
    assert "Ben" not in body and "only your own codings" in body
    data = _coders(client, sampled["doc"])
    assert data["blind"] is True and [c["id"] for c in data["codings"]] == [sampled["mine"]]
    # a document outside the sample shows everyone's codings
    assert sampled["open_theirs"] in [c["id"] for c in _coders(client, sampled["open"])["codings"]]


def test_hidden_codings_are_absent_from_coding_endpoints_and_memos(world, sampled, client, login):
    login(world.users["ana"])
    theirs = sampled["theirs"]
    assert client.get(f"/qualitative/codings/{theirs}/edit").status_code == 404
    assert client.post(f"/qualitative/codings/{theirs}", json={"version": 1, "code_id": 1}).status_code == 404
    assert client.post(f"/qualitative/codings/{theirs}/delete", json={"version": 1}).status_code == 404
    memos = client.get(f"/qualitative/projects/{world.project.id}/memos").get_data(as_text=True)
    assert "Ben's hunch" not in memos and "Ben&#39;s hunch" not in memos


def test_managers_and_revealed_samples_show_every_coding(world, sampled, client, login):
    login(world.users["manager"])  # not a coder of the sample
    data = _coders(client, sampled["doc"])
    assert data["blind"] is False and {c["id"] for c in data["codings"]} == {sampled["mine"], sampled["theirs"]}
    memos = client.get(f"/qualitative/projects/{world.project.id}/memos").get_data(as_text=True)
    assert "hunch" in memos
    client.post("/auth/logout")
    blind.set_blind(sampled["sample"], False)
    login(world.users["ana"])
    assert {c["id"] for c in _coders(client, sampled["doc"])["codings"]} == {sampled["mine"], sampled["theirs"]}
    assert "only your own codings" not in client.get(f"/qualitative/documents/{sampled['doc']}").get_data(as_text=True)
