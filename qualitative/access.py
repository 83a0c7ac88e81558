"""Who may see and change a qualitative project: the one place every view asks (workspace and analysis alike).

Rule: a project is visible to its members (privilege read < code < manage) and to admins (all privileges);
directors may read every project. Agency staff, trial staff and fidelity coders never see transcripts (403),
whatever their membership. A user who is neither member nor director gets 404 (the project's existence is not
revealed); a member or director lacking the needed privilege gets 403. While a user codes a document blind (a blind
double-coding sample), other coders' codings on it and other authors' memos there are absent for that user (404).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, has_request_context
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from app.db import db
from app.models import AgencyScoped, Role
from app.security import get_scoped_or_404, scoped
from qualitative.analysis.services.blind import codes_blind, visible_memos_clause
from qualitative.models import (
    Code,
    Coding,
    Document,
    Memo,
    Participant,
    Privilege,
    ProjectMember,
    QualProject,
)

#: roles that may use the qualitative pages at all (admins pass every gate)
QUAL_ROLES = (Role.ANALYST, Role.DIRECTOR)
#: roles that never see transcripts, even when someone added them to a project
BARRED_ROLES = frozenset({Role.AGENCY_STAFF, Role.TRIAL_STAFF, Role.FIDELITY_CODER})


class _SystemActor:
    """The actor of command-line imports, background jobs and the demo seeder: no agency restriction."""

    is_authenticated = True
    role = Role.ADMIN
    agency_id = None


SYSTEM = _SystemActor()


def scope(stmt: sa.Select, model) -> sa.Select:
    """``app.security.scoped`` for the signed-in user in a request, or for the system actor outside one."""
    user = current_user if has_request_context() and current_user.is_authenticated else SYSTEM
    return scoped(stmt, model, user)


def privilege_of(user, project: QualProject) -> str | None:
    """The user's effective privilege on ``project``: manage for admins, the membership's, read for directors."""
    if user is None or not user.is_authenticated or user.role in BARRED_ROLES:
        return None
    if user.role == Role.ADMIN:
        return Privilege.MANAGE
    member = db.session.execute(
        sa.select(ProjectMember.privilege).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    ).scalar_one_or_none()
    if member is not None:
        return member
    if user.role == Role.DIRECTOR:
        return Privilege.READ
    return None


def allows(privilege: str | None, need: str) -> bool:
    return privilege is not None and Privilege.ORDER[privilege] >= Privilege.ORDER[need]


def project_for(user, project_id: int, need: str = Privilege.READ) -> QualProject:
    """The project ``project_id`` if ``user`` holds at least ``need`` on it; else 403 (barred role or too little
    privilege) or 404 (missing, or not a member); 401 when nobody is signed in. The effective privilege is left on
    ``project.my_privilege``."""
    if need not in Privilege.ORDER:
        raise ValueError(f"need must be one of {tuple(Privilege.ORDER)}, got {need!r}")
    if user is None or not user.is_authenticated:
        abort(401)
    if user.role in BARRED_ROLES:
        abort(403)
    project = db.session.get(QualProject, project_id)
    if project is None:
        abort(404)
    privilege = privilege_of(user, project)
    if privilege is None:
        abort(404)
    if not allows(privilege, need):
        abort(403)
    project.my_privilege = privilege
    return project


def visible_projects(user) -> list[tuple[QualProject, str]]:
    """(project, the user's privilege) for every project the user may open, by name (two queries)."""
    if user is None or not user.is_authenticated or user.role in BARRED_ROLES:
        return []
    memberships = dict(
        db.session.execute(
            sa.select(ProjectMember.project_id, ProjectMember.privilege).where(ProjectMember.user_id == user.id)
        ).all()
    )
    stmt = sa.select(QualProject).order_by(QualProject.name)
    if user.role not in (Role.ADMIN, Role.DIRECTOR):
        stmt = stmt.where(QualProject.id.in_(list(memberships) or [-1]))
    out = []
    for project in db.session.execute(stmt).scalars():
        privilege = Privilege.MANAGE if user.role == Role.ADMIN else memberships.get(project.id, Privilege.READ)
        out.append((project, privilege))
    return out


def _row_for(user, model, row_id: int, need: str, via: str | None = None):
    """Row ``row_id`` of ``model`` if ``user`` holds at least ``need`` on its project: fetched within the user's
    agency scope when an agency owns the model, 404 when missing; then ``project_for``. ``via`` names the
    relationship to the row that carries ``project_id`` (a coding's document). The checked project (with
    ``my_privilege``) is held on that row when it has a ``project`` relationship (the identity map keeps only weak
    references, so a later ``row.project`` would load a fresh copy without it)."""
    if user is None or not user.is_authenticated:
        abort(401)
    if user.role in BARRED_ROLES:
        abort(403)
    if issubclass(model, AgencyScoped):
        row = get_scoped_or_404(model, row_id, user)
    elif (row := db.session.get(model, row_id)) is None:
        abort(404)
    holder = getattr(row, via) if via else row
    project = project_for(user, holder.project_id, need)
    if "project" in sa.inspect(type(holder)).relationships:
        set_committed_value(holder, "project", project)
    return row


def document_for(user, document_id: int, need: str = Privilege.READ) -> Document:
    """A document (within the user's agency scope) of a project the user may ``need``."""
    return _row_for(user, Document, document_id, need)


def participant_for(user, participant_id: int, need: str = Privilege.READ) -> Participant:
    return _row_for(user, Participant, participant_id, need)


def code_for(user, code_id: int, need: str = Privilege.READ) -> Code:
    return _row_for(user, Code, code_id, need)


def may_see_coding(user, coding: Coding) -> bool:
    """False for another coder's coding on a document ``user`` codes blind (an active blind double-coding sample of
    which the user is a coder: ``qualitative.analysis.services.blind``)."""
    return coding.coder_id == user.id or not codes_blind(user, coding.document)


def coding_for(user, coding_id: int, need: str = Privilege.READ) -> Coding:
    """A coding of a project the user may ``need``; 404 also while it is hidden by a blind sample
    (``may_see_coding``), as if it did not exist."""
    coding = _row_for(user, Coding, coding_id, need, via="document")
    if not may_see_coding(user, coding):
        abort(404)
    return coding


def memo_for(user, memo_id: int, need: str = Privilege.READ) -> Memo:
    """A memo of a project the user may ``need``; 404 also while a blind sample hides it (another author's memo
    on a document the user codes blind, or any memo on a coding hidden from the user: ``visible_memos_clause``)."""
    memo = _row_for(user, Memo, memo_id, need)
    visible = db.session.execute(
        sa.select(Memo.id).where(Memo.id == memo.id, visible_memos_clause(user, memo.project_id))).first()
    if visible is None:
        abort(404)
    return memo
