"""The director's outcomes overview pages: all clinics, one clinic, one counselor; CSV/Excel of every table.

Thin handlers: parse the filters, call ``services``, build ``tables`` and charts from the returned figures."""

from __future__ import annotations

import os

from flask import Blueprint, abort, render_template, request, url_for

from app.charts import bar_chart_svg
from app.exports import csv_response, xlsx_response
from app.formatting import pct
from app.forms import edit_page
from app.models import Role
from app.security import roles_required
from implementation_outcomes.delivery.charts import run_chart_svg
from implementation_outcomes.delivery.services.common import TARGETS, save_targets, settings, targets
from implementation_outcomes.delivery.services.fidelity_figures import adequacy_lines
from implementation_outcomes.implementation.blueprint import svg
from implementation_outcomes.implementation.charts import funnels_svg
from implementation_outcomes.implementation.services.adoption import STEP_LABELS
from implementation_outcomes.overview import services, tables
from implementation_outcomes.overview.forms import TargetsForm

bp = Blueprint("overview", __name__, url_prefix="/outcomes/overview",
               template_folder=os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates"))

#: clinic-level figures: the director, and trial staff for their own agency's clinics (without the fidelity
#: figures: ``services.hidden_fields``)
VIEW_ROLES = (Role.DIRECTOR, Role.TRIAL_STAFF)
#: one counselor's fidelity ratings and steps: the director only (as the fidelity pages)
COUNSELOR_ROLES = (Role.DIRECTOR,)
#: who sets the targets the overview colours its cells against
TARGET_ROLES = (Role.DIRECTOR,)


def _filters() -> services.Filters:
    try:
        return services.Filters.parse(request.args)
    except services.FilterError as exc:
        abort(400, description=str(exc))


def _rows(filters: services.Filters) -> list[dict]:
    try:
        return services.overview_rows(filters)
    except services.FilterError as exc:
        abort(400, description=str(exc))


def _download(filename: str, table: tables.Table, fmt: str):
    if fmt == "csv":
        return csv_response(f"{filename}.csv", table.export_headers(), table.export_rows())
    if fmt == "xlsx":
        return xlsx_response(f"{filename}.xlsx", {table.name: (table.export_headers(), table.export_rows())})
    abort(404)


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    filters = _filters()
    rows, hidden = _rows(filters), services.hidden_fields()
    goals = targets()
    charts = [(name, bar_chart_svg(
        f"chart-{name}", title, [(r["clinic"], r[key]) for r in rows], axis_title=f"{title.split(' (')[0]} (%)",
        reference=(goals[key], f"target {pct(goals[key])}") if key in goals else None),
        tables.chart_table(rows, name)) for name, key, title in tables.charted(hidden)]
    outcomes_table = tables.overview_table(rows, hidden)
    return render_template("overview/index.html", rows=rows, outcomes_table=outcomes_table,
                           groups=tables.column_groups(outcomes_table), targets=goals, target_labels=TARGETS,
                           stage_short=services.stage_short_labels(), charts=charts, hidden=hidden, filters=filters,
                           agencies=services.visible_agencies(), args=filters.query_args())


@bp.route("/targets", methods=["GET", "POST"])
@roles_required(*TARGET_ROLES)
def targets_page():
    """The director's targets: the overview colours reach, adoption, completion and adequate fidelity against them."""
    row = settings()
    form = TargetsForm.build({column: getattr(row, column) for column, _k, _l in TARGETS},
                             formdata=request.form if request.method == "POST" else None)

    def save():
        save_targets(form.shares())
        return "Saved the targets.", url_for("overview.index")

    return edit_page(form, save, "overview/targets.html")


@bp.route("/tables/<name>.<fmt>")
@roles_required(*VIEW_ROLES)
def table_export(name: str, fmt: str):
    table = next((t for t in tables.overview_tables(_rows(_filters()), services.hidden_fields()) if t.name == name),
                 None)
    if table is None:
        abort(404)
    return _download(f"outcomes-{name}", table, fmt)


@bp.route("/outcomes.xlsx")
@roles_required(*VIEW_ROLES)
def workbook():
    """Every overview table as one workbook, a sheet per table."""
    all_tables = tables.overview_tables(_rows(_filters()), services.hidden_fields())
    return xlsx_response("outcomes-overview.xlsx", {t.name: (t.export_headers(), t.export_rows()) for t in all_tables})


def _clinic(clinic_id: int) -> dict:
    return services.clinic_overview(clinic_id, _filters())


@bp.route("/clinics/<int:clinic_id>")
@roles_required(*VIEW_ROLES)
def clinic(clinic_id: int):
    c = _clinic(clinic_id)
    code = c["clinic"]["code"]
    funnel = svg(funnels_svg("funnel", [(code, c["funnel"])], STEP_LABELS, f"Adoption funnel, {code}"))
    return render_template("overview/clinic.html", c=c, tables=tables.clinic_tables(c, STEP_LABELS), funnel=funnel,
                           args=c["filters"].query_args())


@bp.route("/clinics/<int:clinic_id>/tables/<name>.<fmt>")
@roles_required(*VIEW_ROLES)
def clinic_export(clinic_id: int, name: str, fmt: str):
    c = _clinic(clinic_id)
    table = next((t for t in tables.clinic_tables(c, STEP_LABELS) if t.name == name), None)
    if table is None:
        abort(404)
    return _download(f"{c['clinic']['code']}-{name}", table, fmt)


def _counselor(person_id: int) -> dict:
    return services.counselor_overview(person_id, _filters())


@bp.route("/counselors/<int:person_id>")
@roles_required(*COUNSELOR_ROLES)
def counselor(person_id: int):
    c = _counselor(person_id)
    chart = None
    if c["run_chart"]:
        chart = run_chart_svg(c["run_chart"]["chart"], f"Adherence score run chart, {c['person']['name']}",
                              (c["scheme"]["rating_range"]["min"], c["scheme"]["rating_range"]["max"]), "run-chart",
                              [p["label"] for p in c["run_chart"]["points"]], references=adequacy_lines(c["scheme"]))
    return render_template("overview/counselor.html", c=c, tables=tables.counselor_tables(c), chart=chart,
                           args=c["filters"].query_args())


@bp.route("/counselors/<int:person_id>/tables/<name>.<fmt>")
@roles_required(*COUNSELOR_ROLES)
def counselor_export(person_id: int, name: str, fmt: str):
    c = _counselor(person_id)
    table = next((t for t in tables.counselor_tables(c) if t.name == name), None)
    if table is None:
        abort(404)
    return _download(f"counselor-{person_id}-{name}", table, fmt)


def export_links(endpoint: str, table: tables.Table, args: dict, **ids) -> dict[str, str]:
    return {fmt: url_for(endpoint, name=table.name, fmt=fmt, **ids, **args) for fmt in ("csv", "xlsx")}


@bp.app_template_global("overview_export_links")
def _export_links(endpoint: str, table, args: dict, **ids) -> dict[str, str]:
    return export_links(endpoint, table, args, **ids)
