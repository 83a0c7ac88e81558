"""CSV and Excel downloads of every table on the clinic pages (``app.exports``); the rows are the ``Table``
objects the pages render, so a download holds exactly what the page shows (a paged list: every row its filters
select, across all pages)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, request
from flask_login import current_user, login_required

from app.exports import csv_response, xlsx_response
from app.models import Role
from app.security import roles_required
from implementation_outcomes.delivery import tables
from implementation_outcomes.delivery.services import feasibility, screening, sessions
from implementation_outcomes.delivery.services.common import clinic_or_404, counselors
from implementation_outcomes.delivery.services.fidelity import fidelity_overview
from implementation_outcomes.delivery.services.fidelity_figures import clinic_fidelity
from implementation_outcomes.delivery.views.common import FIDELITY_ROLES, LOG_ROLES, TRAINING_ROLES, bp
from implementation_outcomes.delivery.views.sessions import session_filters


def _training(clinic_id: int) -> list[tables.Table]:
    clinic = clinic_or_404(clinic_id)
    return [tables.training_sessions_table(sessions.training_sessions(clinic)),
            tables.calls_table(sessions.consultation_calls(clinic))]


def _sessions(clinic_id: int) -> list[tables.Table]:
    """Every session the list's filters (in the download's query string) select, not only the page shown."""
    clinic = clinic_or_404(clinic_id)
    criteria, _shown = session_filters(request.args, screening.mio_mothers(clinic), counselors(clinic))
    return [tables.mio_sessions_table(sessions.mio_sessions(clinic, **criteria))]


#: page -> (roles allowed, builder of the page's tables)
PAGES: dict[str, tuple[tuple[str, ...], Callable[[int], list[tables.Table]]]] = {
    "reach": (LOG_ROLES, lambda cid: tables.reach_tables(screening.clinic_reach(cid))),
    "screening-log": (LOG_ROLES, lambda cid: [tables.screening_log_table(screening.participants(clinic_or_404(cid)))]),
    "sessions": (LOG_ROLES, _sessions),
    "feasibility": (LOG_ROLES, lambda cid: tables.feasibility_tables(feasibility.clinic_feasibility(cid))),
    "training": (TRAINING_ROLES, _training),
    "fidelity": (FIDELITY_ROLES, lambda cid: tables.fidelity_tables(clinic_fidelity(cid))),
}


def _page_tables(clinic_id: int, page: str) -> list[tables.Table]:
    clinic_or_404(clinic_id)  # scope first: another agency's clinic is a 404 whatever the page
    if page not in PAGES:
        abort(404)
    roles, build = PAGES[page]
    if current_user.role != Role.ADMIN and current_user.role not in roles:
        abort(403)
    return build(clinic_id)


@bp.route("/clinics/<int:clinic_id>/tables/<page>/<name>.<fmt>")
@login_required
def table_export(clinic_id: int, page: str, name: str, fmt: str):
    table = next((t for t in _page_tables(clinic_id, page) if t.name == name), None)
    if table is None or fmt not in ("csv", "xlsx"):
        abort(404)
    code = clinic_or_404(clinic_id).code
    filename = f"{code}-{table.name}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, table.export_headers(), table.export_rows())
    return xlsx_response(filename, {table.name: (table.export_headers(), table.export_rows())})


@bp.route("/clinics/<int:clinic_id>/tables/<page>.xlsx")
@login_required
def page_export(clinic_id: int, page: str):
    """Every table of a page as one workbook, a sheet per table."""
    page_tables = _page_tables(clinic_id, page)
    code = clinic_or_404(clinic_id).code
    return xlsx_response(f"{code}-{page}.xlsx", {t.name: (t.export_headers(), t.export_rows()) for t in page_tables})


@bp.route("/fidelity/tables/<name>.<fmt>")
@roles_required(*FIDELITY_ROLES)
def fidelity_overview_export(name: str, fmt: str):
    """The tables of the director's fidelity overview (all clinics)."""
    table = next((t for t in tables.fidelity_overview_tables(fidelity_overview()) if t.name == name), None)
    if table is None or fmt not in ("csv", "xlsx"):
        abort(404)
    filename = f"all-clinics-{table.name}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, table.export_headers(), table.export_rows())
    return xlsx_response(filename, {table.name: (table.export_headers(), table.export_rows())})
