"""CFIR construct ratings per clinic: the matrix, one cell's ratings and evidence, consensus, agreement, grouping."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.exports import csv_response, xlsx_response
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, project_for
from qualitative.analysis.forms import ActionForm, RatingForm
from qualitative.analysis.services import ratings as service
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.analysis.services.refi_export import safe_filename
from qualitative.analysis.views.blueprint import bp
from qualitative.models import Privilege


@bp.route("/projects/<int:qual_project_id>/ratings")
@roles_required(*QUAL_ROLES)
def ratings(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    data = service.grid(project, current_user)
    distinctions = service.distinguishing(project)
    return render_template("analysis/ratings.html", project=project, data=data, distinctions=distinctions,
                           can_manage=allows(project.my_privilege, Privilege.MANAGE),
                           action_form=ActionForm())


@bp.route("/projects/<int:qual_project_id>/ratings.<string:fmt>")
@roles_required(*QUAL_ROLES)
def ratings_download(qual_project_id: int, fmt: str):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    data = service.grid(project, current_user)
    headers, rows = service.matrix_table(data)
    name = safe_filename(f"{project.name}-cfir-ratings", fmt)
    if fmt == "csv":
        return csv_response(name, headers, rows)
    return xlsx_response(name, {"Consensus matrix": (headers, rows), "Rater ratings": service.rater_table(data)})


@bp.route("/projects/<int:qual_project_id>/ratings/groups", methods=["POST"])
@roles_required(*QUAL_ROLES)
def ratings_groups(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    if not ActionForm().validate_on_submit():
        abort(400)
    mapping: dict[int, str | None] = {}
    for key, value in request.form.items():
        if key.startswith("group-"):
            suffix = key.removeprefix("group-")
            if not suffix.isdigit():
                abort(400, description=f"{key}: not a clinic field")
            mapping[int(suffix)] = value or None
    try:
        service.set_groups(project, mapping)
    except AnalysisInputError as exc:
        flash(str(exc), "error")
    else:
        flash("Saved the high/low implementation grouping.", "success")
    return redirect(url_for("analysis.ratings", qual_project_id=project.id) + "#grouping")


def _form(prefix: str, candidates, row=None) -> RatingForm:
    """A rating form; on GET it shows ``row`` (the saved rating), on POST the submitted values."""
    if request.method == "POST" or row is None:
        form = RatingForm(prefix=prefix)
    else:
        form = RatingForm(prefix=prefix, data={"value": row.label.replace("+", ""), "rationale": row.rationale,
                                               "evidence": [e.coding_id for e in row.evidence]})
    form.evidence.choices = [(s.coding_id, s.quote) for s in candidates]
    return form


def _cell(qual_project_id: int, code_id: int, clinic_id: int, need: str):
    project = project_for(current_user, qual_project_id, need)
    code = service.get_construct(project, code_id)
    clinic = service.get_clinic(project, clinic_id)
    return project, code, clinic, service.evidence_candidates(project, code, clinic, current_user)


def _render_cell(project, code, clinic, candidates, form=None, consensus_form=None, status=200):
    privilege = project.my_privilege
    mine = service.my_rating(project, code, clinic, current_user.id)
    consensus = service.consensus_for(project, code, clinic)
    can_manage = allows(privilege, Privilege.MANAGE)
    others = [r for r in service.cell_ratings(project, code, clinic) if r.rater_id != current_user.id]
    return render_template(
        "analysis/rating_cell.html", project=project, code=code, clinic=clinic, candidates=candidates, mine=mine,
        form=form or _form("rating", candidates, mine), consensus=consensus,
        consensus_form=consensus_form or _form("consensus", candidates, consensus),
        hidden_evidence={"rating": len(service.hidden_evidence_ids(project.id, mine, current_user)),
                         "consensus": len(service.hidden_evidence_ids(project.id, consensus, current_user))},
        others=others if (can_manage or mine is not None) else [], others_count=len(others),
        others_evidence=service.visible_evidence_ids(project.id, [r.id for r in others], current_user),
        can_rate=allows(privilege, Privilege.CODE), can_manage=can_manage), status


def _save(form: RatingForm, save) -> str | None:
    """Run ``save`` for a valid form; return None on success, else leave messages on the form."""
    if not form.validate_on_submit():
        return "invalid"
    try:
        save(form.value.data, form.rationale.data, form.evidence.data or [])
    except AnalysisInputError as exc:
        getattr(form, exc.field if exc.field in ("value", "rationale", "evidence") else "value").errors.append(
            str(exc))
        return "invalid"
    return None


@bp.route("/projects/<int:qual_project_id>/ratings/<int:code_id>/<int:clinic_id>", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def rating_cell(qual_project_id: int, code_id: int, clinic_id: int):
    need = Privilege.CODE if request.method == "POST" else Privilege.READ
    project, code, clinic, candidates = _cell(qual_project_id, code_id, clinic_id, need)
    if request.method == "GET":
        return _render_cell(project, code, clinic, candidates)
    form = _form("rating", candidates)
    if _save(form, lambda value, rationale, evidence: service.save_rating(
            project, code, clinic, current_user, value, rationale, evidence)) is None:
        flash(f"Saved your rating of {code.name} at {clinic.code}.", "success")
        return redirect(url_for("analysis.rating_cell", qual_project_id=project.id, code_id=code.id,
                                clinic_id=clinic.id))
    return _render_cell(project, code, clinic, candidates, form=form, status=400)


@bp.route("/projects/<int:qual_project_id>/ratings/<int:code_id>/<int:clinic_id>/consensus", methods=["POST"])
@roles_required(*QUAL_ROLES)
def rating_consensus(qual_project_id: int, code_id: int, clinic_id: int):
    project, code, clinic, candidates = _cell(qual_project_id, code_id, clinic_id, Privilege.MANAGE)
    form = _form("consensus", candidates)
    if _save(form, lambda value, rationale, evidence: service.save_consensus(
            project, code, clinic, current_user, value, rationale, evidence)) is None:
        flash(f"Saved the consensus rating of {code.name} at {clinic.code}.", "success")
        return redirect(url_for("analysis.rating_cell", qual_project_id=project.id, code_id=code.id,
                                clinic_id=clinic.id) + "#consensus")
    return _render_cell(project, code, clinic, candidates, consensus_form=form, status=400)


@bp.route("/projects/<int:qual_project_id>/ratings/agreement")
@roles_required(*QUAL_ROLES)
def ratings_agreement(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    try:
        chosen = [int(v) for v in request.args.getlist("rater_id")] or None
    except ValueError:
        abort(400, description="rater_id must be numbers")
    return render_template("analysis/rating_agreement.html", project=project,
                           result=service.rating_agreement(project, chosen))
