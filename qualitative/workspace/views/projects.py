"""Projects: list, create, overview, settings and members."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.models import Role
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, project_for, visible_projects
from qualitative.models import Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.forms import ConfirmForm, MemberAddForm, MemberPrivilegeForm, ProjectForm
from qualitative.workspace.services import attributes, transcripts
from qualitative.workspace.services import projects as service
from qualitative.workspace.services.deidentify import STATE_LABELS

#: who may create projects (and becomes their first manager)
CREATORS = (Role.ANALYST, Role.DIRECTOR)


def project_links(project) -> list[tuple[str, str]]:
    """Links other parts of the platform add to the project page (``add_project_link``), for the user's privilege."""
    out = []
    for label, endpoint, need in current_app.extensions.get("qualitative.project_links", []):
        if allows(project.my_privilege, need):
            out.append((label, url_for(endpoint, qual_project_id=project.id)))
    return out


@bp.app_template_global()
def project_tabs(project) -> list[tuple[str, str, bool]]:
    """The project's tab bar for the user's privilege: (label, href, current) in order (``add_project_tab``)."""
    endpoint = request.endpoint or ""
    out = []
    for _order, label, target, need, current in sorted(current_app.extensions.get("qualitative.project_tabs", []),
                                                        key=lambda t: t[0]):
        if not allows(project.my_privilege, need):
            continue
        here = endpoint == target or any(endpoint == c or (endpoint.startswith(c) and c.endswith((".", "_")))
                                         for c in current)
        out.append((label, url_for(target, qual_project_id=project.id), here))
    return out


@bp.route("/")
@roles_required(*QUAL_ROLES)
def projects():
    rows = visible_projects(current_user)
    counts = service.project_counts([p.id for p, _ in rows], current_user)
    return render_template("qualitative/projects.html", rows=rows, counts=counts,
                           can_create=current_user.role in (*CREATORS, Role.ADMIN), labels=Privilege.LABELS)


@bp.route("/projects/new", methods=["GET", "POST"])
@roles_required(*CREATORS)
def project_new():
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            project = service.create_project(form.name.data, form.description.data, current_user)
        except service.ProjectError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Created {project.name} with the CFIR 2.0 codebook (version 1).", "success")
            return redirect(url_for("qualitative.project", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/project_form.html", form=form, project=None), status


@bp.route("/projects/<int:qual_project_id>")
@roles_required(*QUAL_ROLES)
def project(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    documents = transcripts.documents(project)
    counts = transcripts.turn_counts([d.id for d in documents])
    coding_counts = service.project_counts([project.id], current_user)[project.id]
    return render_template(
        "qualitative/project.html", project=project, documents=documents, turn_counts=counts,
        totals=coding_counts, members=service.members(project), code_count=service.code_count(project),
        state_labels=STATE_LABELS, links=project_links(project), confirm=ConfirmForm(),
        imports=transcripts.import_jobs(project, limit=5), labels=Privilege.LABELS,
        attributes=attributes.project_attributes(project),
    )


@bp.route("/projects/<int:qual_project_id>/edit", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def project_edit(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    form = ProjectForm(obj=project)
    if form.validate_on_submit():
        try:
            service.update_project(project, form.name.data, form.description.data)
        except service.ProjectError as exc:
            form.name.errors.append(str(exc))
        else:
            flash("Saved the project.", "success")
            return redirect(url_for("qualitative.project", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/project_form.html", form=form, project=project), status


@bp.route("/projects/<int:qual_project_id>/members", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def members(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    form = MemberAddForm()
    form.user_id.choices = [(0, "— choose —")] + [
        (u.id, f"{u.name} ({u.role_label}, {u.email})") for u in service.candidate_users(project)]
    if form.validate_on_submit():
        try:
            member = service.add_member(project, form.user_id.data, form.privilege.data)
        except service.ProjectError as exc:
            form.user_id.errors.append(str(exc))
        else:
            flash(f"Added {member.user.name} ({Privilege.LABELS[member.privilege]}).", "success")
            return redirect(url_for("qualitative.members", qual_project_id=project.id))
    status = 400 if request.method == "POST" else 200
    rows = [(m, MemberPrivilegeForm(prefix=f"m{m.id}", privilege=m.privilege)) for m in service.members(project)]
    return render_template("qualitative/members.html", project=project, form=form, rows=rows,
                           confirm=ConfirmForm(), labels=Privilege.LABELS), status


@bp.route("/projects/<int:qual_project_id>/members/<int:project_member_id>", methods=["POST"])
@roles_required(*QUAL_ROLES)
def member_update(qual_project_id: int, project_member_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    member = service.member_in(project, project_member_id) or abort(404)
    form = MemberPrivilegeForm(prefix=f"m{member.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        service.change_privilege(project, member, form.privilege.data)
        flash(f"{member.user.name} now has {Privilege.LABELS[member.privilege]} privilege.", "success")
    except service.ProjectError as exc:
        flash(str(exc), "error")
    return redirect(url_for("qualitative.members", qual_project_id=project.id))


@bp.route("/projects/<int:qual_project_id>/members/<int:project_member_id>/remove", methods=["POST"])
@roles_required(*QUAL_ROLES)
def member_remove(qual_project_id: int, project_member_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    member = service.member_in(project, project_member_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = member.user.name
    try:
        service.remove_member(project, member)
        flash(f"Removed {name}; their codings stay in the project.", "success")
    except service.ProjectError as exc:
        flash(str(exc), "error")
    return redirect(url_for("qualitative.members", qual_project_id=project.id))
