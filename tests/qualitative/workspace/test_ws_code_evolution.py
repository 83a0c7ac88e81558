"""Codebook evolution (issue 17.3): merge, split and move codes with their codings, each a new codebook version; a
code's history shows what was merged into it; agreement and ratings keep working after a merge."""

from __future__ import annotations

from html import escape

import sqlalchemy as sa

from app.db import db
from qualitative.analysis.models import ConstructRating, ConstructRatingEvidence
from qualitative.analysis.services.agreement import agreement_report
from qualitative.analysis.services.ratings import rating_agreement
from qualitative.models import Code, CodebookVersion, CodeChange, Coding, Memo
from tests.qualitative.workspace.conftest import EMOJI_TRANSCRIPT


def _code(document, user, code_id: int, text: str) -> Coding:
    start = document.text.index(text)
    coding = Coding(document_id=document.id, code_id=code_id, coder_id=user.id, start=start, end=start + len(text))
    db.session.add(coding)
    db.session.commit()
    return coding


def test_merge_moves_codings_and_keeps_agreement_and_ratings_working(client, login, people, project, org,
                                                                     import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    coder, manager = people["coder"], people["manager"]
    source, target = code_id("III.K"), code_id("III.B")
    # the two coders read the supervision turn with different codes; the coder also has both codes on one span
    _code(document, coder, source, "The supervisor")
    _code(document, manager, target, "The supervisor")
    dup_source = _code(document, coder, source, "café talk")
    dup_target = _code(document, coder, target, "café talk")
    db.session.add(Memo(project_id=project.id, target_type="coding", target_id=dup_source.id,
                        author_id=coder.id, text="kept after the merge"))
    # ratings: the coder rated the source at the clinic, the manager the target
    ratings = [ConstructRating(project_id=project.id, code_id=source, clinic_id=org["clinic"].id, rater_id=coder.id,
                               rating=1),
               ConstructRating(project_id=project.id, code_id=target, clinic_id=org["clinic"].id,
                               rater_id=manager.id, rating=2)]
    db.session.add_all(ratings)
    db.session.flush()
    db.session.add(ConstructRatingEvidence(rating_id=ratings[0].id, coding_id=dup_source.id))
    db.session.commit()
    before = agreement_report(project, [coder.id, manager.id], code_ids=[target])
    # target only: presence per turn (4 turns) coder = [no, no, no, yes], manager = [no, no, no, yes] on the
    # target already (café talk is in the last turn with the supervisor); before the merge the supervisor turn
    # holds the source for the coder: both codes are in that same turn, so the target's table is already equal
    assert rating_agreement(project)["pairs"][0]["n"] == 0  # no cell both rated

    login(coder)
    url = f"/qualitative/codes/{source}/merge"
    assert client.post(url, data={"target_id": target}).status_code == 403  # a coder cannot merge
    client.post("/auth/logout")
    login(manager)
    for bad, message in (({"target_id": source}, b"cannot be merged into itself"),
                         ({"target_id": code_id("III")}, b"heading"),
                         ({"target_id": "x"}, b"not in this project"),
                         ({}, b"not in this project")):
        refused = client.post(url, data=bad)
        assert refused.status_code == 400 and message in refused.data, bad
    assert db.session.execute(sa.select(sa.func.count(CodeChange.id))).scalar_one() == 0
    version_before = project.codebook_version
    response = client.post(url, data={"target_id": target})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/codes/{target}/changes")
    db.session.expire_all()

    # every coding of the source now has the target; the coder's duplicate was dropped, its memo and evidence kept
    assert db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.code_id == source)).scalar_one() == 0
    assert db.session.get(Coding, dup_source.id) is None
    assert db.session.execute(sa.select(Memo.target_id).where(Memo.text == "kept after the merge")).scalar_one() \
        == dup_target.id
    assert db.session.execute(sa.select(ConstructRatingEvidence.coding_id)).scalar_one() == dup_target.id
    assert db.session.execute(sa.select(sa.func.count(Coding.id)).where(Coding.code_id == target)).scalar_one() == 3
    merged = db.session.get(Code, source)
    assert merged.active is False
    # a new codebook version records it, and the target's history names what was merged into it
    change = db.session.execute(sa.select(CodeChange)).scalar_one()
    assert (change.kind, change.code_id, change.other_code_id, change.codings) == ("merge", target, source, 2)
    assert change.version == version_before + 1
    version = db.session.execute(sa.select(CodebookVersion).where(CodebookVersion.version == change.version)
                                 ).scalar_one()
    assert "Merged" in version.note and str(merged) in version.note
    assert merged.key not in {row["key"] for row in version.snapshot}  # the inactive source left the codebook
    history = client.get(f"/qualitative/codes/{target}/changes").get_data(as_text=True)
    assert "merged into this code" in history and escape(str(merged)) in history
    assert "merged into" in client.get(f"/qualitative/codes/{source}/changes").get_data(as_text=True)

    # agreement after the merge: both coders have the target on the supervisor turn and on nothing else there.
    # Presence per turn (4 turns): coder = [no, no, no, yes], manager = [no, no, no, yes]: po = 1, kappa = 1
    # (both coders' codings lie in the last turn; by hand)
    after = agreement_report(project, [coder.id, manager.id])
    assert [c.id for c in after.codes] == [target]
    unit = after.pairs[0].per_code[0]["unit"]
    assert (unit["n"], unit["both"], unit["a_only"], unit["b_only"], unit["neither"]) == (4, 1, 0, 0, 3)
    assert unit["kappa"] == 1.0
    assert before.pairs[0].per_code[0]["unit"]["a_only"] + before.pairs[0].per_code[0]["unit"]["b_only"] == 0
    # ratings: the coder's rating moved to the target, so the cell is now rated by both (n = 1); the grid works
    assert db.session.execute(sa.select(ConstructRating.code_id).where(ConstructRating.rater_id == coder.id)
                              ).scalar_one() == target
    agreement = rating_agreement(project)
    assert agreement["pairs"][0]["n"] == 1 and agreement["cells"] == 1
    assert client.get(f"/qualitative/projects/{project.id}/ratings").status_code == 200
    assert client.get(f"/qualitative/projects/{project.id}/agreement").status_code == 200


def test_split_and_move_with_their_codings(client, login, people, project, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    coder, manager = people["coder"], people["manager"]
    code = code_id("III.K")
    keep = _code(document, coder, code, "The supervisor")
    move = _code(document, manager, code, "café talk")
    login(manager)
    page = client.get(f"/qualitative/codes/{code}/changes").get_data(as_text=True)
    assert "café talk" in page and "The supervisor" in page  # the codings to choose from, with their quotes
    url = f"/qualitative/codes/{code}/split"
    refused = client.post(url, data={"name": "", "coding_ids": [move.id]})
    assert refused.status_code == 400 and b"Name the new code" in refused.data
    refused = client.post(url, data={"name": "Peer talk", "coding_ids": [move.id, 10**9]})
    assert refused.status_code == 400 and b"not coded with" in refused.data
    assert client.post(url, data={"name": "Peer talk", "coding_ids": [move.id]}).status_code == 302
    db.session.expire_all()
    new = db.session.execute(sa.select(Code).where(Code.name == "Peer talk")).scalar_one()
    assert new.parent_id == db.session.get(Code, code).parent_id and new.codable
    assert db.session.get(Coding, move.id).code_id == new.id and db.session.get(Coding, keep.id).code_id == code
    split = db.session.execute(sa.select(CodeChange).where(CodeChange.kind == "split")).scalar_one()
    assert (split.code_id, split.other_code_id, split.codings) == (new.id, code, 1)
    assert "split from" in client.get(f"/qualitative/codes/{new.id}/changes").get_data(as_text=True)

    # move: the new code goes under III.K with its coding; placing III.K under its own sub-code is refused
    assert client.post(f"/qualitative/codes/{new.id}/move", data={"parent_id": code}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Code, new.id).parent_id == code and db.session.get(Coding, move.id).code_id == new.id
    cycle = client.post(f"/qualitative/codes/{code}/move", data={"parent_id": new.id})
    assert cycle.status_code == 400 and b"under itself" in cycle.data
    moved = db.session.execute(sa.select(CodeChange).where(CodeChange.kind == "move")).scalar_one()
    assert moved.version == split.version + 1 and moved.codings == 1
    assert project.codebook_version == moved.version
