"""Who may do what in a qualitative project.

Rule: project members act with their privilege (read < code < manage); administrators manage every project;
implementation directors who are not members may read. Agency staff, trial staff and fidelity coders never see
transcripts (403). Anyone else (an analyst who is not a member) gets 404, as if the project did not exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.db import db
from app.models import Role
from qualitative.models import Privilege, ProjectMember, QualProject

#: roles that never reach qualitative data, whatever their membership
EXCLUDED_ROLES = frozenset({Role.AGENCY_STAFF, Role.TRIAL_STAFF, Role.FIDELITY_CODER})
#: roles that may open the qualitative analysis pages at all
ANALYSIS_ROLES = (Role.ANALYST, Role.DIRECTOR)


def privilege_of(user, project: QualProject) -> str | None:
    """The user's effective privilege in ``project``: manage/code/read, or None for no access."""
    if user is None or not user.is_authenticated or user.role in EXCLUDED_ROLES:
        return None
    if user.role == Role.ADMIN:
        return Privilege.MANAGE
    member = db.session.execute(
        sa.select(ProjectMember.privilege).where(ProjectMember.project_id == project.id,
                                                 ProjectMember.user_id == user.id)
    ).scalar_one_or_none()
    if member is not None:
        return member
    if user.role == Role.DIRECTOR:
        return Privilege.READ
    return None


def allows(privilege: str | None, need: str) -> bool:
    return privilege is not None and Privilege.ORDER[privilege] >= Privilege.ORDER[need]


def project_for(user, project_id: int, need: str = Privilege.READ) -> QualProject:
    """The project ``project_id`` if ``user`` holds at least ``need`` in it; else abort 403 or 404 (see module)."""
    if need not in Privilege.ORDER:
        raise ValueError(f"need must be one of {tuple(Privilege.ORDER)}, got {need!r}")
    if user is None or not user.is_authenticated:
        abort(401)
    if user.role in EXCLUDED_ROLES:
        abort(403)
    project = db.session.get(QualProject, project_id)
    if project is None:
        abort(404)
    privilege = privilege_of(user, project)
    if privilege is None:
        abort(404)
    if not allows(privilege, need):
        abort(403)
    return project


def accessible_projects(user) -> list[tuple[QualProject, str]]:
    """Projects the user may open, with the privilege they hold, by name (two queries, whatever the count)."""
    if user is None or not user.is_authenticated or user.role in EXCLUDED_ROLES:
        return []
    projects = db.session.execute(sa.select(QualProject).order_by(QualProject.name)).scalars().all()
    held = dict(db.session.execute(sa.select(ProjectMember.project_id, ProjectMember.privilege)
                                   .where(ProjectMember.user_id == user.id)).all())
    default = {Role.ADMIN: Privilege.MANAGE, Role.DIRECTOR: Privilege.READ}.get(user.role)
    out = []
    for project in projects:
        privilege = Privilege.MANAGE if user.role == Role.ADMIN else held.get(project.id, default)
        if privilege is not None:
            out.append((project, privilege))
    return out
