"""Queries across a project's transcripts: text search, Boolean and proximity code queries, same-turn co-occurrence
(matrix and network); results paged, downloadable (CSV/Excel, audited as every download), and citable as evidence
for the user's CFIR rating."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app import paging
from app.exports import csv_response, xlsx_response
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, project_for
from qualitative.analysis.forms import ActionForm
from qualitative.analysis.services import queries as service
from qualitative.analysis.services.common import (
    AnalysisInputError,
    code_tree,
    coders,
    participant_roles,
    project_clinics,
)
from qualitative.analysis.services.refi_export import safe_filename
from qualitative.analysis.views.blueprint import bp
from qualitative.code_queries import network_svg
from qualitative.models import Privilege

PAGE_SIZE = 50
FORMATS = ("csv", "xlsx")
MODES = ("text", "code", "cooccurrence")
NETWORK_CODES = 24  # the network draws the codes sharing turns with another, the most used first, up to this many


def _int(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit():
        paging.refuse(name, f"“{raw}” is not a number.")
    return int(raw)


def _query() -> dict:
    """The query in the query string: mode, text, operator, codes A and B, near; a bad value is a 400 naming it."""
    mode = paging.choice(request.args, "mode", {m: m for m in MODES}) or "text"
    op = paging.choice(request.args, "op", {o: o for o in service.OPERATORS}) or "AND"
    near = _int("near")
    return {"mode": mode, "q": (request.args.get("q") or "").strip(), "op": op, "code_a": _int("code_a"),
            "code_b": _int("code_b"), "near": 1 if near is None else near}


def _run(project, query: dict, flt: service.QueryFilter):
    """(rows, matrix): rows for text and code queries, the co-occurrence matrix for that mode; None when the form
    has not been filled in yet."""
    if query["mode"] == "cooccurrence":
        return None, service.cooccurrence_matrix(project, current_user, flt)
    if query["mode"] == "text":
        if not query["q"]:
            return None, None
        return service.run_text_search(project, current_user, flt, query["q"]), None
    if query["code_a"] is None and query["code_b"] is None:
        return None, None
    return service.run_code_query(project, current_user, flt, query["op"], query["code_a"], query["code_b"],
                                  query["near"]), None


def _args(query: dict, flt: service.QueryFilter) -> dict:
    out = {k: v for k, v in query.items() if v not in (None, "")}
    return {**out, **flt.as_args()}


@bp.route("/projects/<int:qual_project_id>/queries")
@roles_required(*QUAL_ROLES)
def queries(qual_project_id: int):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    query = _query()
    try:
        flt = service.QueryFilter.from_args(request.args)
        rows, matrix = _run(project, query, flt)
    except AnalysisInputError as exc:
        paging.refuse(exc.field or "query", str(exc))
    shown = paging.paginate_list(rows, paging.page_number(request.args), PAGE_SIZE) if rows is not None else None
    svg, drawn = None, []
    if matrix is not None and matrix["codes"]:
        counts = matrix["counts"]
        linked = [c for c in matrix["codes"] if any(counts.get((c.id, o.id)) for o in matrix["codes"] if o.id != c.id)]
        drawn = sorted(linked, key=lambda c: -counts.get((c.id, c.id), 0))[:NETWORK_CODES]
        keep = {c.id for c in drawn}
        drawn = [c for c in matrix["codes"] if c.id in keep]  # codebook order round the circle
        if drawn:
            svg = network_svg({c.id: c.display_key or c.key for c in drawn}, counts, size=760,
                              title=f"Code co-occurrence network: {len(drawn)} codes, n = {matrix['n']} turns")
    tree = code_tree(project.id)
    return render_template(
        "analysis/queries.html", project=project, query=query, flt=flt, rows=shown, matrix=matrix, svg=svg,
        codes=tree.ordered(), paths=tree.paths, clinics=project_clinics(project.id),
        roles=participant_roles(project.id), research_team=service.RESEARCH_TEAM,
        variables=service.variables(project.id), coders=coders(project.id), operators=service.OPERATORS,
        max_near=service.MAX_NEAR, args=_args(query, flt), action_form=ActionForm(), drawn=drawn,
        network_codes=NETWORK_CODES,
        can_cite=allows(project.my_privilege, Privilege.CODE))


@bp.route("/projects/<int:qual_project_id>/queries.<string:fmt>")
@roles_required(*QUAL_ROLES)
def queries_download(qual_project_id: int, fmt: str):
    project = project_for(current_user, qual_project_id, Privilege.READ)
    if fmt not in FORMATS:
        abort(404)
    query = _query()
    try:
        flt = service.QueryFilter.from_args(request.args)
        rows, matrix = _run(project, query, flt)
    except AnalysisInputError as exc:
        paging.refuse(exc.field or "query", str(exc))
    if matrix is not None:
        headers, table, sheet = *service.matrix_table(matrix), "Co-occurrence"
    elif rows is not None:
        headers, table, sheet = *service.row_table(rows), "Query results"
    else:
        paging.refuse("mode", "Fill in the query before downloading its results.")
    filename = safe_filename(f"{project.name}-query-{query['mode']}", fmt)
    if fmt == "csv":
        return csv_response(filename, headers, table)
    return xlsx_response(filename, {sheet: (headers, table)})


@bp.route("/projects/<int:qual_project_id>/queries/evidence", methods=["POST"])
@roles_required(*QUAL_ROLES)
def query_evidence(qual_project_id: int):
    """Cite a result row's coding as evidence for the user's own rating of that construct at that clinic."""
    project = project_for(current_user, qual_project_id, Privilege.CODE)
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = (request.form.get("coding_id") or "").strip()
    if not raw.isdigit():
        abort(400, description="coding_id: choose the coding to cite.")
    in_place = request.accept_mimetypes.best == "application/json"
    try:
        code, clinic = service.attach_evidence(project, current_user, int(raw))
    except AnalysisInputError as exc:
        if in_place:
            return jsonify(error=str(exc), field=exc.field), 409
        flash(str(exc), "error")
    else:
        message = f"Cited as evidence for your rating of {code.name} at {clinic.code}."
        if in_place:
            return jsonify(message=message, code_id=code.id, clinic_id=clinic.id)
        flash(message, "success")
    back = request.form.get("next") or ""
    if back.startswith(f"/qualitative/projects/{project.id}/queries") and "//" not in back:
        return redirect(back)
    return redirect(url_for("analysis.queries", qual_project_id=project.id))
