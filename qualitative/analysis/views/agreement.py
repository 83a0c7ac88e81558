"""Inter-coder agreement (with CSV/Excel) and the blind double-coding samples it is usually run on."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.exports import csv_response, xlsx_response
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, project_for
from qualitative.analysis.forms import ActionForm, BlindSampleForm
from qualitative.analysis.services import agreement as service
from qualitative.analysis.services import blind
from qualitative.analysis.services.common import (
    AnalysisInputError,
    code_tree,
    coders,
    members,
    project_documents,
)
from qualitative.analysis.services.refi_export import safe_filename
from qualitative.analysis.views.blueprint import bp
from qualitative.models import Privilege


def _selection(project):
    """Coders, documents and code chosen in the query string (a sample fills coders and documents)."""
    try:
        coder_ids = [int(v) for v in request.args.getlist("coder_id")]
        sample_id = request.args.get("blind_sample_id", type=int)
        code_id = request.args.get("code_id", type=int)
    except ValueError:
        abort(400, description="coder_id must be numbers")
    document_ids = None
    if sample_id:
        sample = blind.get_sample(project, sample_id)
        document_ids = [d.document_id for d in sample.documents]
        coder_ids = coder_ids or [c.user_id for c in sample.coders]
    return coder_ids, document_ids, sample_id, code_id


@bp.route("/projects/<int:qual_project_id>/agreement")
@roles_required(*QUAL_ROLES)
def agreement(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    coder_ids, document_ids, sample_id, code_id = _selection(project)
    report, error = None, None
    if len(coder_ids) >= 2:
        try:
            report = service.agreement_report(project, coder_ids, document_ids, [code_id] if code_id else None,
                                              viewer=current_user)
        except AnalysisInputError as exc:
            error = str(exc)
    elif request.args.get("run"):
        error = "Choose two or more coders to compare."
    tree = code_tree(project.id)
    status = 400 if error else 200
    return render_template("analysis/agreement.html", project=project, report=report, error=error,
                           all_coders=coders(project.id), chosen=coder_ids, samples=blind.samples(project.id),
                           sample_id=sample_id, code_id=code_id, codes=[c for c in tree.ordered() if c.codable],
                           paths=tree.paths), status


@bp.route("/projects/<int:qual_project_id>/agreement.<string:fmt>")
@roles_required(*QUAL_ROLES)
def agreement_download(qual_project_id: int, fmt: str):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    coder_ids, document_ids, _sample, code_id = _selection(project)
    try:
        report = service.agreement_report(project, coder_ids, document_ids, [code_id] if code_id else None,
                                          viewer=current_user, with_disagreements=False)
    except AnalysisInputError as exc:
        abort(400, description=str(exc))
    headers, rows = service.report_rows(report)
    name = safe_filename(f"{project.name}-agreement", fmt)
    if fmt == "csv":
        return csv_response(name, headers, rows)
    return xlsx_response(name, {"Agreement": (headers, rows)})


# --- blind samples ---------------------------------------------------------------------------------------------


def _sample_form(project) -> BlindSampleForm:
    form = BlindSampleForm()
    form.document_ids.choices = [(d.id, f"{d.name} ({d.clinic.code})") for d in project_documents(project.id)]
    form.coder_ids.choices = [(u.id, f"{u.name} ({Privilege.LABELS[p]})")
                              for u, p in members(project.id, Privilege.CODE)]
    return form


@bp.route("/projects/<int:qual_project_id>/blind-samples", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def blind_samples(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    can_manage = allows(project.my_privilege, Privilege.MANAGE)
    form = _sample_form(project)
    status, error = 200, None
    if request.method == "POST":
        if not can_manage:
            abort(403)
        if form.validate_on_submit():
            try:
                sample = blind.create_sample(project, form.name.data, form.document_ids.data or [],
                                             form.coder_ids.data or [], form.note.data, current_user.id)
                flash(f"Created the blind sample “{sample.name}”; its coders now see only their own codings on "
                      f"its {len(sample.documents)} documents.", "success")
                return redirect(url_for("analysis.blind_samples", qual_project_id=project.id))
            except AnalysisInputError as exc:
                target = getattr(form, exc.field, None) if exc.field else None
                if target is not None:
                    target.errors = [*target.errors, str(exc)]
                else:
                    error = str(exc)
        status = 400
    return render_template("analysis/samples.html", project=project, samples=blind.samples(project.id),
                           form=form, can_manage=can_manage, action_form=ActionForm(), error=error), status


@bp.route("/projects/<int:qual_project_id>/blind-samples/<int:blind_sample_id>/<string:state>", methods=["POST"])
@roles_required(*QUAL_ROLES)
def blind_sample_state(qual_project_id: int, blind_sample_id: int, state: str):
    """``state`` is "reveal" (coders see each other's codings) or "blind"."""
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    if state not in ("reveal", "blind"):
        abort(404)
    blind_state = state == "blind"
    if not ActionForm().validate_on_submit():
        abort(400)
    sample = blind.get_sample(project, blind_sample_id)
    blind.set_blind(sample, blind_state)
    flash(f"“{sample.name}” is {'blind again' if blind_state else 'revealed: coders see each other’s codings'}.",
          "success")
    return redirect(url_for("analysis.blind_samples", qual_project_id=project.id))


@bp.route("/projects/<int:qual_project_id>/blind-samples/<int:blind_sample_id>/delete", methods=["POST"])
@roles_required(*QUAL_ROLES)
def blind_sample_delete(qual_project_id: int, blind_sample_id: int):
    project = project_for(current_user, qual_project_id, Privilege.MANAGE)
    if not ActionForm().validate_on_submit():
        abort(400)
    sample = blind.get_sample(project, blind_sample_id)
    name = sample.name
    blind.delete_sample(sample)
    flash(f"Deleted the sample “{name}” (its codings stay).", "success")
    return redirect(url_for("analysis.blind_samples", qual_project_id=project.id))
