"""The one access rule of the qualitative pages (``qualitative.access``): who may open which project, with which
privilege, and which projects a user is shown."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import Forbidden, NotFound, Unauthorized

from qualitative.access import document_for, project_for, visible_projects
from qualitative.models import Privilege


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
    from flask_login import AnonymousUserMixin

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
