"""The one access rule of the qualitative pages (``qualitative.access``): who may open which project, with which
privilege, and which projects a user is shown."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import Forbidden, NotFound, Unauthorized

from app.db import db
from qualitative.access import (
    code_for,
    coding_for,
    document_for,
    memo_for,
    participant_for,
    project_for,
    visible_projects,
)
from qualitative.models import Memo, Privilege


@pytest.mark.parametrize("who,need,outcome", [
    ("manager", Privilege.MANAGE, "ok"), ("ana", Privilege.CODE, "ok"), ("ana", Privilege.MANAGE, 403),
    ("rita", Privilege.READ, "ok"), ("rita", Privilege.CODE, 403), ("admin", Privilege.MANAGE, "ok"),
    ("director", Privilege.READ, "ok"), ("director", Privilege.CODE, 403), ("outsider", Privilege.READ, 404),
    ("staff", Privilege.READ, 403), ("trial", Privilege.READ, 403), ("coder", Privilege.READ, 403),
])
def test_project_for_rules(world, who, need, outcome):
    user = world.users[who]
    if outcome == "ok":
        assert project_for(user, world.project.id, need) is world.project
    else:
        with pytest.raises(Forbidden if outcome == 403 else NotFound):
            project_for(user, world.project.id, need)


def test_unknown_project_is_404_and_bad_need_is_an_error(world):
    with pytest.raises(NotFound):
        project_for(world.users["admin"], 999_999, Privilege.READ)
    with pytest.raises(ValueError, match="need"):
        project_for(world.users["admin"], world.project.id, "own")


def test_fidelity_coder_member_is_still_refused(world):
    world.member(world.users["coder"], Privilege.MANAGE)
    with pytest.raises(Forbidden):
        project_for(world.users["coder"], world.project.id, Privilege.READ)


def test_project_for_leaves_the_effective_privilege_on_the_project(world):
    assert project_for(world.users["ana"], world.project.id, Privilege.READ).my_privilege == Privilege.CODE
    assert project_for(world.users["director"], world.project.id).my_privilege == Privilege.READ
    assert project_for(world.users["admin"], world.project.id).my_privilege == Privilege.MANAGE


def test_anonymous_user_is_401(world):
    with pytest.raises(Unauthorized):
        project_for(AnonymousUserMixin(), world.project.id)


def test_document_for_follows_the_project_rule(world):
    doc = world.document("Talk", world.clinics["SPR-1"], [("A", "hello")])
    assert document_for(world.users["rita"], doc.id).project.my_privilege == Privilege.READ
    with pytest.raises(Forbidden):
        document_for(world.users["rita"], doc.id, Privilege.CODE)
    with pytest.raises(NotFound):
        document_for(world.users["outsider"], doc.id)


@pytest.mark.parametrize("who,expected", [
    ("manager", Privilege.MANAGE), ("ana", Privilege.CODE), ("rita", Privilege.READ), ("admin", Privilege.MANAGE),
    ("director", Privilege.READ), ("outsider", None), ("staff", None), ("coder", None),
])
def test_visible_projects_lists_what_project_for_opens(world, who, expected):
    listed = dict((p.id, privilege) for p, privilege in visible_projects(world.users[who]))
    assert listed.get(world.project.id) == expected


@pytest.fixture
def rows(world):
    """One row of each kind the ``*_for`` helpers fetch, by helper."""
    doc = world.document("Talk", world.clinics["SPR-1"], [("A", "hello")])
    coding = world.code_turn(doc, 0, world.codes["III.D"], world.users["ana"])
    participant = world.participant("P1", world.clinics["SPR-1"], None)
    memo = Memo(project_id=world.project.id, target_type="document", target_id=doc.id,
                author_id=world.users["ana"].id, text="note")
    db.session.add(memo)
    db.session.commit()
    return {document_for: doc.id, participant_for: participant.id, code_for: world.codes["III.D"].id,
            coding_for: coding.id, memo_for: memo.id}


def test_every_row_helper_follows_the_project_rule(world, rows):
    for helper, row_id in rows.items():
        assert helper(world.users["rita"], row_id).id == row_id
        assert helper(world.users["ana"], row_id, Privilege.CODE).id == row_id
        for user, need, error in ((world.users["rita"], Privilege.CODE, Forbidden),
                                  (world.users["outsider"], Privilege.READ, NotFound),
                                  (world.users["staff"], Privilege.READ, Forbidden),
                                  (world.users["admin"], "own", ValueError),
                                  (AnonymousUserMixin(), Privilege.READ, Unauthorized)):
            with pytest.raises(error):
                helper(user, row_id, need)
        with pytest.raises(NotFound):
            helper(world.users["admin"], 999_999)


def test_row_helpers_hold_the_checked_project(world, rows):
    assert code_for(world.users["ana"], rows[code_for]).project.my_privilege == Privilege.CODE
    assert coding_for(world.users["director"], rows[coding_for]).document.project.my_privilege == Privilege.READ
