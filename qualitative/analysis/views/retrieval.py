"""Coded segments with context, code x document / code x clinic counts and co-occurrence, with CSV/Excel."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from app import paging
from app.exports import csv_response, xlsx_response
from app.security import roles_required
from qualitative.access import QUAL_ROLES, project_for
from qualitative.analysis.services import retrieval as service
from qualitative.analysis.services.common import (
    AnalysisInputError,
    code_tree,
    coders,
    participant_roles,
    project_clinics,
)
from qualitative.analysis.services.refi_export import safe_filename
from qualitative.analysis.views.blueprint import bp
from qualitative.models import Document, Privilege

PAGE_SIZE = 100
FORMATS = ("csv", "xlsx")
MATRICES = {
    "code-document": ("Code x document", service.code_by_document, service.matrix_table),
    "code-clinic": ("Code x clinic", service.code_by_clinic, service.matrix_table),
    "cooccurrence": ("Co-occurrence", service.cooccurrence, service.cooccurrence_table),
}


def _filter() -> service.SegmentFilter:
    try:
        return service.SegmentFilter.from_args(request.args)
    except AnalysisInputError as exc:
        abort(400, description=str(exc))


def _choices(project) -> dict:
    tree = code_tree(project.id)
    return {"codes": tree.ordered(), "paths": tree.paths, "clinics": project_clinics(project.id),
            "roles": participant_roles(project.id), "kinds": Document.KINDS, "coders": coders(project.id)}


def _download(name: str, fmt: str, sheet: str, headers, rows):
    filename = safe_filename(name, fmt)
    if fmt == "csv":
        return csv_response(filename, headers, rows)
    return xlsx_response(filename, {sheet: (headers, rows)})


@bp.route("/projects/<int:qual_project_id>/segments")
@roles_required(*QUAL_ROLES)
def segments(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    flt = _filter()
    try:
        items = service.segments(project, current_user, flt)
    except AnalysisInputError as exc:
        abort(400, description=str(exc))
    shown = paging.paginate_list(items, paging.page_number(request.args), PAGE_SIZE)
    return render_template("analysis/segments.html", project=project, flt=flt, items=shown, **_choices(project))


@bp.route("/projects/<int:qual_project_id>/segments.<string:fmt>")
@roles_required(*QUAL_ROLES)
def segments_download(qual_project_id: int, fmt: str):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    if fmt not in FORMATS:
        abort(404)
    try:
        headers, rows = service.segment_table(service.segments(project, current_user, _filter()))
    except AnalysisInputError as exc:
        abort(400, description=str(exc))
    return _download(f"{project.name}-segments", fmt, "Coded segments", headers, rows)


@bp.route("/projects/<int:qual_project_id>/matrices")
@roles_required(*QUAL_ROLES)
def matrices(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    flt = _filter()
    try:
        results = {key: compute(project, current_user, flt) for key, (_t, compute, _x) in MATRICES.items()}
    except AnalysisInputError as exc:
        abort(400, description=str(exc))
    return render_template("analysis/matrices.html", project=project, flt=flt, results=results, **_choices(project))


@bp.route("/projects/<int:qual_project_id>/matrices/<string:matrix>.<string:fmt>")
@roles_required(*QUAL_ROLES)
def matrix_download(qual_project_id: int, matrix: str, fmt: str):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    if matrix not in MATRICES or fmt not in FORMATS:
        abort(404)
    title, compute, table = MATRICES[matrix]
    try:
        headers, rows = table(compute(project, current_user, _filter()))
    except AnalysisInputError as exc:
        abort(400, description=str(exc))
    return _download(f"{project.name}-{matrix}", fmt, title, headers, rows)
