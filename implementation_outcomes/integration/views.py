"""Joint displays and determinants pages (thin: parse, authorize through the qualitative project's access rule,
call a service, render). Directors and analysts with read access to the project; agency staff never (the pages
quote transcripts)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from app.exports import csv_response, xlsx_response
from app.models import Role
from app.security import roles_required
from implementation_outcomes.integration.charts import scatter_svg
from implementation_outcomes.integration.services import determinants as det
from implementation_outcomes.integration.services import joint, workbook
from qualitative.access import project_for, visible_projects

bp = Blueprint("integration", __name__, url_prefix="/integration", template_folder="templates",
               static_folder="static", static_url_path="/static")
ROLES = (Role.DIRECTOR, Role.ANALYST)
NOTES = ["Joint displays after Fetters, Curry & Creswell (2013) and Guetterman, Fetters & Creswell (2015).",
         "Ratings are consensus CFIR ratings (+2..-2, X mixed; not rated = not discussed).",
         "Readiness: clinic means with n and rwg(j) by R = MC^2 component (an organising heuristic).",
         "Descriptive: 4 clinics; no p-values."]


def quote_link(exemplar: dict, external: bool = False) -> str:
    return url_for("qualitative.workspace", document_id=exemplar["document_id"], coding=exemplar["coding_id"],
                   _external=external) \
        + f"#coding-{exemplar['coding_id']}"


def _selected() -> list[int] | None:
    ids = [int(v) for v in request.args.getlist("construct") if v.isdigit()]
    return ids or None


@bp.route("/")
@roles_required(*ROLES)
def index():
    return render_template("integration/index.html", projects=visible_projects(current_user))


@bp.route("/projects/<int:qual_project_id>/joint")
@roles_required(*ROLES)
def joint_display(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    display = joint.joint_display(project, _selected(), current_user)
    stats = {c.id: joint.key_statistics(display["quantitative"][c.id]["outcomes"]) for c in display["clinics"]}
    return render_template("integration/joint.html", project=project, d=display, stats=stats,
                           quote_link=quote_link, selected_ids={c["id"] for c in display["constructs"]})


@bp.route("/projects/<int:qual_project_id>/joint.xlsx")
@roles_required(*ROLES)
def joint_xlsx(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    display = joint.joint_display(project, _selected(), current_user)
    return xlsx_response(f"joint-displays-{project.id}.xlsx",
                         workbook.sheets(display, lambda ex: quote_link(ex, external=True), NOTES))


def _analysis(project):
    """``(result, error, form)``: the analysis, or the input error and what the form needs to show it again (the
    conditions and the user's thresholds; None when the level or outcome itself is wrong)."""
    try:
        choice = det.parse_choice(request.args)
    except det.DeterminantsInputError as exc:
        return None, exc, None
    try:
        result = det.analyse(project, choice, current_user)
    except det.DeterminantsInputError as exc:
        return None, exc, det.analyse(project, replace(choice, thresholds={}), current_user)
    return result, None, result


def _refused(project, error, form):
    return render_template("integration/determinants.html", project=project, r=None, form=form, error=error,
                           levels=det.LEVELS, all_outcomes=det.OUTCOMES, charts={}), 400


@bp.route("/projects/<int:qual_project_id>/determinants")
@roles_required(*ROLES)
def determinants(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    result, error, form = _analysis(project)
    if error is not None:
        return _refused(project, error, form)
    charts = {}
    for key, label in (("adequate_share", "Share of sessions with adequate fidelity"),
                       ("mean_dose", "Mean dose of the counselor's mothers")):
        points = [{"x": c["crfs_mean"], "y": c["outcomes"][key], "label": name, "group": c["clinic"]}
                  for name, c in result["counselors"].items()]
        charts[key] = Markup(scatter_svg(f"CRFS mean against {label.lower()}, one point per counselor", points,  # noqa: S704 - escaped in charts.py
                                         "CRFS mean (-1 to 9)", label, f"scatter-{key}",
                                         y_range=(0, 1) if key == "adequate_share" else (0, 12)))
    return render_template("integration/determinants.html", project=project, r=result, form=form, error=None,
                           levels=det.LEVELS, all_outcomes=det.OUTCOMES, charts=charts)


@bp.route("/projects/<int:qual_project_id>/determinants/cases.csv")
@roles_required(*ROLES)
def cases_csv(qual_project_id: int):
    project = project_for(current_user, qual_project_id)
    result, error, form = _analysis(project)
    if error is not None:
        return _refused(project, error, form)
    try:
        headers, rows, comments = det.cases_csv(result)
    except det.DeterminantsInputError as exc:
        return _refused(project, exc, result)
    return csv_response(f"cases-{result['choice'].level}-{result['choice'].outcome}.csv", headers, rows, comments)
