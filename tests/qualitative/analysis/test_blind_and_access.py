"""Analysis pages under the access rule, blind double-coding samples and the workspace filter they expose."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.db import db
from qualitative.analysis.models import BlindSample
from qualitative.analysis.services import blind
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.models import Coding


def test_pages_follow_the_access_rules(world, client, login):
    pid = world.project.id
    pages = [f"/qualitative/projects/{pid}/analysis", f"/qualitative/projects/{pid}/ratings",
             f"/qualitative/projects/{pid}/segments", f"/qualitative/projects/{pid}/exchange"]
    for who, expected in (("outsider", 404), ("staff", 403), ("director", 200), ("rita", 200)):
        client.post("/auth/logout")
        login(world.users[who])
        for url in pages:
            assert client.get(url).status_code == expected, (who, url)
    index = client.get("/qualitative/analysis")
    assert index.status_code == 200 and world.project.name in index.get_data(as_text=True)


@pytest.fixture
def sampled(world):
    doc = world.document("Blind 1", world.clinics["SPR-1"], [("A", "first turn"), ("B", "second turn")])
    open_doc = world.document("Open 1", world.clinics["SPR-2"], [("A", "another turn")])
    ana, ben = world.users["ana"], world.users["ben"]
    for coder in (ana, ben):
        world.code_turn(doc, 0, world.codes["III.D"], coder)
        world.code_turn(open_doc, 0, world.codes["III.D"], coder)
    sample = blind.create_sample(world.project, "Round 1", [doc.id], [ana.id, ben.id], "first round",
                                 world.users["manager"].id)
    return doc, open_doc, sample


def _visible(user, doc):
    return db.session.execute(sa.select(Coding.coder_id).where(
        Coding.document_id == doc.id, blind.visible_codings_filter(user, doc))).scalars().all()


def test_visible_codings_filter_hides_other_coders_while_blind(world, sampled):
    doc, open_doc, sample = sampled
    ana, ben, manager = world.users["ana"], world.users["ben"], world.users["manager"]
    assert _visible(ana, doc) == [ana.id]
    assert sorted(_visible(ana, open_doc)) == sorted([ana.id, ben.id])
    assert sorted(_visible(manager, doc)) == sorted([ana.id, ben.id])  # not a coder of the sample
    assert blind.blinded_document_ids(ana, world.project.id) == {doc.id}
    blind.set_blind(sample, False)
    assert sorted(_visible(ana, doc)) == sorted([ana.id, ben.id])


def test_document_page_applies_the_blind_filter(world, sampled, client, login):
    doc, _open, _sample = sampled
    login(world.users["ana"])
    page = client.get(f"/qualitative/analysis/documents/{doc.id}?at={doc.turns[1].start}", follow_redirects=True)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "only your own codings" in body
    assert "Ben" not in body and "Ana" in body and 'aria-current="location"' in body


@pytest.mark.parametrize("kwargs,field,message", [
    ({"name": ""}, "name", "name"),
    ({"name": "Round 1"}, "name", "already exists"),
    ({"document_ids": []}, "document_ids", "at least one document"),
    ({"document_ids": [987654]}, "document_ids", "not in this project"),
    ({"coder_ids": "one"}, "coder_ids", "two or more"),
    ({"coder_ids": "outsider"}, "coder_ids", "not coders"),
])
def test_sample_validation(world, sampled, kwargs, field, message):
    doc, _open, _sample = sampled
    args = {"name": "Round 2", "document_ids": [doc.id],
            "coder_ids": [world.users["ana"].id, world.users["ben"].id]}
    args.update(kwargs)
    if args["coder_ids"] == "one":
        args["coder_ids"] = [world.users["ana"].id]
    elif args["coder_ids"] == "outsider":
        args["coder_ids"] = [world.users["ana"].id, world.users["outsider"].id]
    with pytest.raises(AnalysisInputError, match=message) as info:
        blind.create_sample(world.project, args["name"], args["document_ids"], args["coder_ids"], None, 1)
    assert info.value.field == field
    assert db.session.execute(sa.select(sa.func.count(BlindSample.id))).scalar() == 1  # nothing half-saved


def test_sample_pages(world, sampled, client, login):
    doc, _open, sample = sampled
    pid = world.project.id
    login(world.users["ana"])
    assert client.post(f"/qualitative/projects/{pid}/blind-samples", data={"name": "X"}).status_code == 403
    client.post("/auth/logout")
    login(world.users["manager"])
    listing = client.get(f"/qualitative/projects/{pid}/blind-samples")
    assert listing.status_code == 200 and "Round 1" in listing.get_data(as_text=True)
    bad = client.post(f"/qualitative/projects/{pid}/blind-samples",
                      data={"name": "Round 2", "document_ids": [str(doc.id)], "coder_ids": [str(world.users["ana"].id)]})
    assert bad.status_code == 400 and "two or more" in bad.get_data(as_text=True)
    good = client.post(f"/qualitative/projects/{pid}/blind-samples",
                       data={"name": "Round 2", "document_ids": [str(doc.id)],
                             "coder_ids": [str(world.users["ana"].id), str(world.users["cleo"].id)]})
    assert good.status_code == 302
    revealed = client.post(f"/qualitative/projects/{pid}/blind-samples/{sample.id}/reveal")
    assert revealed.status_code == 302
    db.session.refresh(sample)
    assert sample.blind is False
    client.post(f"/qualitative/projects/{pid}/blind-samples/{sample.id}/blind")
    db.session.refresh(sample)
    assert sample.blind is True
    assert client.post(f"/qualitative/projects/{pid}/blind-samples/{sample.id}/delete").status_code == 302
    assert db.session.get(BlindSample, sample.id) is None
    assert client.post(f"/qualitative/projects/{pid}/blind-samples/424242/delete").status_code == 404
