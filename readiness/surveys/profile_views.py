"""Site readiness profiles: clinics compared per subscale (SVG chart with a table beside it), each clinic's and
agency's profile by R = MC^2 component with data quality, hard gates shown apart, and CSV/Excel downloads."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from app.exports import csv_response, xlsx_response
from app.models import Role
from app.security import roles_required
from readiness.surveys import services
from readiness.surveys.charts import clinic_means_svg
from readiness.surveys.profile_service import (
    COMPONENT_LABELS,
    ICC_HEADERS,
    PROFILE_HEADERS,
    build_profiles,
    icc_rows,
    profile_rows,
)
from readiness.surveys.results import FLAG_LABELS

bp = Blueprint("readiness_profiles", __name__, url_prefix="/readiness/profiles")
DIRECTOR = (Role.DIRECTOR,)


def _profiles():
    code = (request.args.get("clinic") or "").strip() or None
    try:
        return build_profiles(code), code
    except LookupError:
        abort(404)


@bp.route("")
@roles_required(*DIRECTOR)
def index():
    profiles, code = _profiles()
    charts = {}
    for i, sub in enumerate(profiles["subscales"]):
        rows = [{"label": r["code"], "n": r["n"], "mean": r["mean"], "rwg_j": r["rwg_j"],
                 "low_agreement": r["low_agreement"], "suppression": r.get("suppression")} for r in sub["clinics"]]
        title = f"{sub['instrument_title']}: {sub['label']}, clinic means"
        charts[(sub["instrument"], sub["subscale"])] = Markup(  # noqa: S704 - markup built by charts.py, escaped
            clinic_means_svg(title, rows, sub["scale_min"], sub["scale_max"], chart_id=f"chart-{i}"))
    return render_template("readiness/surveys/profiles.html", profiles=profiles, charts=charts, clinic_code=code,
                           clinics=services.clinics(), component_labels=COMPONENT_LABELS, flag_labels=FLAG_LABELS)


@bp.route("/export.csv")
@roles_required(*DIRECTOR)
def export_csv():
    profiles, code = _profiles()
    return csv_response(f"readiness-profile{'-' + code if code else ''}.csv", PROFILE_HEADERS,
                        profile_rows(profiles))


@bp.route("/export.xlsx")
@roles_required(*DIRECTOR)
def export_xlsx():
    profiles, code = _profiles()
    return xlsx_response(f"readiness-profile{'-' + code if code else ''}.xlsx", {
        "Profile": (PROFILE_HEADERS, profile_rows(profiles)),
        "ICC across clinics": (ICC_HEADERS, icc_rows(profiles)),
        "Notes": (["note"], [[profiles["band_rule"]],
                             [profiles["suppression_rule"]],
                             [f"Low agreement: rwg(j) < {profiles['rwg_bar']:.2f}"],
                             [f"Generated {profiles['generated_at']}"]]),
    })
