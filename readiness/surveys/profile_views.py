"""Site readiness profiles: clinics compared per subscale (SVG chart with a table beside it), each clinic's and
agency's profile by R = MC^2 component with data quality, hard gates shown apart, and CSV/Excel downloads."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from app.exports import csv_response, xlsx_response
from app.models import Role
from app.security import roles_required
from readiness.aggregation import ICC1_GROUP_SIZES
from readiness.surveys import services
from readiness.surveys.charts import clinic_means_svg, clinic_profile_svg
from readiness.surveys.profile_service import (
    COMPONENT_LABELS,
    ICC_HEADERS,
    PROFILE_HEADERS,
    build_profiles,
    icc_rows,
    notes_rows,
    profile_rows,
)
from readiness.surveys.results import FLAG_LABELS

bp = Blueprint("readiness_profiles", __name__, url_prefix="/readiness/profiles")
DIRECTOR = (Role.DIRECTOR,)
#: the profiles are aggregated and suppressed (app.disclosure): the director sees every clinic, agency staff their
#: own agency's clinics (build_profiles reads through app.security.scoped; another agency's clinic code is a 404)
RESULT_ROLES = (Role.DIRECTOR, Role.AGENCY_STAFF)


def icc_group_size_arg(args) -> str:
    """The ``icc1`` query parameter: "k0" (default, adjusted group size) or "mean" (R ``multilevel::ICC1``);
    anything else is a 400 naming the parameter."""
    value = (args.get("icc1") or "k0").strip()
    if value not in ICC1_GROUP_SIZES:
        abort(400, description=f"icc1: {value!r} is not a group-size convention; use one of "
                               f"{', '.join(ICC1_GROUP_SIZES)}")
    return value


def _profiles():
    code = (request.args.get("clinic") or "").strip() or None
    group_size = icc_group_size_arg(request.args)
    try:
        return build_profiles(code, icc_group_size=group_size), code
    except LookupError:
        abort(404)


@bp.route("")
@roles_required(*RESULT_ROLES)
def index():
    profiles, code = _profiles()
    charts = {}
    for i, sub in enumerate(profiles["subscales"]):
        rows = [{"label": r["code"], "n": r["n"], "mean": r["mean"], "rwg_j": r["rwg_j"],
                 "low_agreement": r["low_agreement"], "suppression": r.get("suppression")} for r in sub["clinics"]]
        title = f"{sub['instrument_title']}: {sub['label']}, clinic means"
        charts[(sub["instrument"], sub["subscale"])] = Markup(  # noqa: S704 - markup built by charts.py, escaped
            clinic_means_svg(title, rows, sub["scale_min"], sub["scale_max"], chart_id=f"chart-{i}"))
    profile_chart = None
    if code:  # one clinic: ONE chart of its profile, a row per subscale (not a one-bar chart per subscale)
        rows = [{"label": f"{sub['instrument'].upper()} · {sub['label']}", "n": r["n"], "mean": r["mean"],
                 "rwg_j": r["rwg_j"], "low_agreement": r["low_agreement"], "suppression": r.get("suppression"),
                 "scale_min": sub["scale_min"], "scale_max": sub["scale_max"]}
                for sub in profiles["subscales"] for r in sub["clinics"] if r["code"] == code]
        profile_chart = Markup(  # noqa: S704 - markup built by charts.py, escaped
            clinic_profile_svg(f"Readiness profile of {code}: subscale means", rows, chart_id="profile"))
    return render_template("readiness/surveys/profiles.html", profiles=profiles, charts=charts, clinic_code=code,
                           profile_chart=profile_chart,
                           icc1=profiles["conventions"]["icc1_group_size"],
                           clinics=services.clinics(), component_labels=COMPONENT_LABELS, flag_labels=FLAG_LABELS)


@bp.route("/export.csv")
@roles_required(*RESULT_ROLES)
def export_csv():
    profiles, code = _profiles()
    return csv_response(f"readiness-profile{'-' + code if code else ''}.csv", PROFILE_HEADERS,
                        profile_rows(profiles))


@bp.route("/export.xlsx")
@roles_required(*RESULT_ROLES)
def export_xlsx():
    profiles, code = _profiles()
    return xlsx_response(f"readiness-profile{'-' + code if code else ''}.xlsx", {
        "Profile": (PROFILE_HEADERS, profile_rows(profiles)),
        "ICC across clinics": (ICC_HEADERS, icc_rows(profiles)),
        "Notes": (["Note"], notes_rows(profiles)),
    })


def api_readiness_profile():
    """``GET /api/v1/readiness-profile[?clinic=CODE][&icc1=k0|mean]``: the profile JSON that ``mio readiness-profile
    --format json`` prints (the same suppression and conventions), for the director and administrators."""
    from flask import jsonify
    from flask_login import current_user

    def refuse(status: int, error: str, detail: str, **extra):
        response = jsonify(error=error, detail=detail, status=status, **extra)
        response.status_code = status
        abort(response)

    if current_user.role not in (Role.DIRECTOR, Role.ADMIN):
        refuse(403, "Forbidden", f"the {current_user.role} role cannot read readiness profiles")
    value = (request.args.get("icc1") or "k0").strip()
    if value not in ICC1_GROUP_SIZES:
        refuse(400, "Bad request", f"{value!r} is not a group-size convention; use one of "
                                   f"{', '.join(ICC1_GROUP_SIZES)}", field="icc1")
    code = (request.args.get("clinic") or "").strip().upper() or None
    try:
        return jsonify(build_profiles(code, icc_group_size=value))
    except LookupError as exc:
        refuse(404, "Not found", str(exc), field="clinic")


def register_api(app) -> None:
    """On the platform API blueprint's prefix and endpoint namespace (see ``implementation_outcomes.overview.api``)."""
    from app.api import bp as api_bp

    app.add_url_rule(f"{api_bp.url_prefix}/readiness-profile", "api.readiness_profile", api_readiness_profile)
