"""Projects and their members: list what a user may see, create a project (with the CFIR 2.0 codebook preloaded),
rename it, add and remove members. Writes commit once, at the end."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from app.models import Role, User
from qualitative.access import BARRED_ROLES, QUAL_ROLES
from qualitative.analysis.services.blind import visible_codings_clause
from qualitative.models import Code, Coding, Document, Privilege, ProjectMember, QualProject
from qualitative.workspace.services.codebook import load_cfir_into, publish_version


class ProjectError(ValueError):
    """A project change that cannot be made; the message says why."""


def project_counts(project_ids: list[int], viewer) -> dict[int, dict[str, int]]:
    """Documents, documents ready to code and codings per project (four grouped queries); codings a blind sample
    hides from ``viewer`` are not counted (``visible_codings_clause``)."""
    counts = {pid: {"documents": 0, "ready": 0, "codings": 0} for pid in project_ids}
    if not project_ids:
        return counts
    rows = db.session.execute(
        sa.select(Document.project_id, Document.deidentification, sa.func.count(Document.id))
        .where(Document.project_id.in_(project_ids))
        .group_by(Document.project_id, Document.deidentification)
    ).all()
    for pid, state, n in rows:
        counts[pid]["documents"] += n
        if state != "pending":
            counts[pid]["ready"] += n
    for pid, n in db.session.execute(
        sa.select(Document.project_id, sa.func.count(Coding.id))
        .join(Coding, Coding.document_id == Document.id)
        .where(Document.project_id.in_(project_ids), visible_codings_clause(viewer, None))
        .group_by(Document.project_id)
    ).all():
        counts[pid]["codings"] = n
    return counts


def name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(QualProject.id).where(sa.func.lower(QualProject.name) == name.strip().lower())
    if exclude_id:
        stmt = stmt.where(QualProject.id != exclude_id)
    return db.session.execute(stmt).first() is not None


def create_project(name: str, description: str | None, user: User, *, commit: bool = True) -> QualProject:
    """A new project managed by ``user``, with the CFIR 2.0 codebook loaded and published as version 1."""
    if name_taken(name):
        raise ProjectError(f"A project named “{name.strip()}” already exists.")
    project = QualProject(name=name.strip(), description=(description or "").strip() or None,
                          created_by_id=user.id, codebook_version=0)
    db.session.add(project)
    db.session.add(ProjectMember(project=project, user_id=user.id, privilege=Privilege.MANAGE))
    db.session.flush()
    load_cfir_into(project)
    publish_version(project, user, "CFIR 2.0 codebook for MIO, as preloaded when the project was created.")
    if commit:
        db.session.commit()
    return project


def update_project(project: QualProject, name: str, description: str | None) -> None:
    if name_taken(name, project.id):
        raise ProjectError(f"A project named “{name.strip()}” already exists.")
    project.name = name.strip()
    project.description = (description or "").strip() or None
    db.session.commit()


def members(project: QualProject) -> list[ProjectMember]:
    return list(
        db.session.execute(
            sa.select(ProjectMember)
            .where(ProjectMember.project_id == project.id)
            .options(sa.orm.joinedload(ProjectMember.user))
            .join(ProjectMember.user)
            .order_by(User.name)
        ).scalars()
    )


def candidate_users(project: QualProject) -> list[User]:
    """Active users who could join: analysts, directors and admins not yet members."""
    existing = sa.select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
    return list(
        db.session.execute(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_((*QUAL_ROLES, Role.ADMIN)), User.id.not_in(existing))
            .order_by(User.name)
        ).scalars()
    )


def add_member(project: QualProject, user_id: int, privilege: str, *, commit: bool = True) -> ProjectMember:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise ProjectError("Choose an active user account.")
    if user.role in BARRED_ROLES:
        raise ProjectError(f"{Role.LABELS[user.role]} accounts never see transcripts and cannot join a project.")
    if privilege not in Privilege.ORDER:
        raise ProjectError(f"Unknown privilege {privilege!r}.")
    exists = db.session.execute(
        sa.select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)
    ).scalar_one_or_none()
    if exists is not None:
        raise ProjectError(f"{user.name} is already a member.")
    member = ProjectMember(project_id=project.id, user_id=user_id, privilege=privilege)
    db.session.add(member)
    if commit:
        db.session.commit()
    return member


def _managers_left(project: QualProject, without: ProjectMember) -> int:
    return db.session.execute(
        sa.select(sa.func.count(ProjectMember.id)).where(
            ProjectMember.project_id == project.id,
            ProjectMember.privilege == Privilege.MANAGE,
            ProjectMember.id != without.id,
        )
    ).scalar_one()


def change_privilege(project: QualProject, member: ProjectMember, privilege: str) -> None:
    if privilege not in Privilege.ORDER:
        raise ProjectError(f"Unknown privilege {privilege!r}.")
    if member.privilege == Privilege.MANAGE and privilege != Privilege.MANAGE and not _managers_left(project, member):
        raise ProjectError("A project needs at least one manager; make someone else a manager first.")
    member.privilege = privilege
    db.session.commit()


def remove_member(project: QualProject, member: ProjectMember) -> None:
    """Remove a member; their codings stay (they remain the coder of record)."""
    if member.privilege == Privilege.MANAGE and not _managers_left(project, member):
        raise ProjectError("A project needs at least one manager; make someone else a manager first.")
    db.session.delete(member)
    db.session.commit()


def member_in(project: QualProject, project_member_id: int) -> ProjectMember | None:
    member = db.session.get(ProjectMember, project_member_id)
    return member if member is not None and member.project_id == project.id else None


def code_count(project: QualProject) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Code.id)).where(Code.project_id == project.id, Code.active.is_(True))
    ).scalar_one()
