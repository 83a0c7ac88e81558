"""The trial's results: the director's effectiveness page (trajectories, forest plot, mediation, CONSORT follow-up,
tables beside every chart), its CSV and Excel, ``/api/v1/effectiveness`` and the background job that runs the
analyses when the data are too many for one request.

Who: the director (every agency) and trial staff (their agency's mothers); a blinded outcome assessor gets 403
everywhere here (estimates compare arms) and the long data without the arm column.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.api import bp as api_bp
from app.db import db
from app.exports import csv_response, xlsx_response
from app.jobs import Job, JobStatus, enqueue, job
from app.models import Role, User
from app.security import roles_required
from implementation_outcomes.effectiveness import analysis_services, charts, measures, services
from implementation_outcomes.effectiveness.views import bp

RESULTS_ROLES = (Role.DIRECTOR, Role.TRIAL_STAFF)
#: up to this many analysed values the page computes at once (the demo: ~4,000); beyond, a background job
INLINE_LIMIT = 20_000
JOB_KIND = "effectiveness.analyse"


def clean(obj: Any) -> Any:
    """JSON-safe copy: non-finite floats become None (PostgreSQL's JSON has no NaN), numpy scalars plain."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _forbid_blinded():
    if services.is_blinded():
        abort(403, "Outcome assessors are blinded to allocation: arm comparisons are not shown to them.")


def _value_count(user=None) -> int:
    return len(analysis_services.long_rows(user))


def _latest_job(user) -> Job | None:
    return db.session.execute(sa.select(Job).where(Job.kind == JOB_KIND, Job.created_by_id == user.id)
                              .order_by(Job.created_at.desc())).scalars().first()


_CACHE: dict[tuple, dict[str, Any]] = {}
_CACHE_SIZE = 16


def _fingerprint(user) -> tuple:
    """What the estimates depend on: the user's scope and, per table read, its row count and latest change. Any
    write changes it, so a cached result is never stale; reading it costs one small query per table."""
    from app.security import visible_agency_ids
    from implementation_outcomes.delivery.models import FidelityRating, MioSession, TrialParticipant
    from implementation_outcomes.effectiveness.models import (
        AssessmentVisit,
        OutcomeScore,
        ScheduleSettings,
        Withdrawal,
    )

    parts: list[Any] = [tuple(visible_agency_ids(user) or ()) if visible_agency_ids(user) is not None else "all"]
    for model in (OutcomeScore, AssessmentVisit, Withdrawal, TrialParticipant, MioSession, FidelityRating,
                  ScheduleSettings):
        parts.append(tuple(db.session.execute(sa.select(sa.func.count(), sa.func.max(model.updated_at))).one()))
    parts += [measures.load_definitions()["version"], date.today().isoformat()]  # open windows depend on the day
    return tuple(parts)


def current_results(user=None) -> tuple[dict[str, Any] | None, Job | None]:
    """(results, job): computed now when the data are few (and kept until the data change); otherwise the latest
    finished job's results."""
    user = current_user if user is None else user
    if _value_count(user) <= INLINE_LIMIT:
        key = _fingerprint(user)
        if key not in _CACHE:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = clean(analysis_services.estimates(user))
        return _CACHE[key], None
    latest = _latest_job(user)
    if latest is not None and latest.status == JobStatus.DONE:
        return latest.result, latest
    return None, latest


@job(JOB_KIND)
def run_analyses(ctx, user_id: int) -> dict[str, Any]:
    """The background job: the same computations as ``analysis_services.estimates``, for the requesting user's scope,
    reporting progress per measure (one step per Aim 1 model set, one for Aim 3b, one for the CONSORT boxes)."""
    user = db.session.get(User, user_id)
    if user is None or services.is_blinded(user):
        raise analysis_services.BlindedError("only an unblinded account may run the analyses")
    defs = measures.measures()
    total = len(defs) + 3

    def progress(done: int, message: str) -> None:
        db.session.commit()  # end this job's read transaction: SQLite lets the progress write through only then
        ctx.progress(done, total, message)

    progress(0, "reading the outcome data")
    rows = analysis_services.long_rows(user)
    aim1 = []
    for i, m in enumerate(defs, start=1):
        progress(i, f"Aim 1: {m['label']} ({len(rows)} values in all)")
        aim1 += analysis_services.aim1_estimates([r for r in rows if r["measure"] == m["key"]], only=[m["key"]])
    progress(len(defs) + 1, "Aim 3b mediation (cluster bootstrap over counselors)")
    mediation = analysis_services.mediation_estimates(rows)
    progress(len(defs) + 2, "CONSORT follow-up")
    result = {"definitions_version": measures.load_definitions()["version"],
              "time_points": [{"key": t["key"], "label": t["label"]} for t in measures.time_points()],
              "aim1": aim1, "mediation": mediation, "followup": analysis_services.followup(rows, user),
              "n_values": len(rows), "missing_data": analysis_services.MISSING_DATA}
    progress(total, "done")
    return clean(result)


def forest_rows(results: dict[str, Any], time_point: str) -> list[dict[str, Any]]:
    """Standardized arm effects (contrast / pooled baseline SD) of the continuous outcomes at ``time_point``."""
    out = []
    for r in results["aim1"]:
        if r["analysis"] != "continuous":
            continue
        e = next((e for e in r.get("effects", []) if e["time_point"] == time_point), None)
        sd = r.get("baseline_sd")
        if e is None or not sd:
            out.append({"label": r["label"], "estimate": None})
            continue
        out.append({"label": r["label"], "estimate": e["standardized"], "ci_low": e["ci_low"] / sd,
                    "ci_high": e["ci_high"] / sd})
    return out


@bp.route("/results")
@roles_required(*RESULTS_ROLES)
def results_page():
    _forbid_blinded()
    results, latest = current_results()
    if results is None:
        return render_template("effectiveness/results_pending.html", job=latest), 200
    tps = results["time_points"]
    arm_labels = results["followup"]["arm_labels"]
    trajectories = {r["measure"]: charts.trajectories_svg(r["describe"], tps, arm_labels,
                                                          f"{r['label']}: mean per arm and time point",
                                                          f"traj-{r['measure']}") for r in results["aim1"]}
    forests = {t["key"]: charts.forest_svg(forest_rows(results, t["key"]),
                                           f"Arm effects at {t['label']} (standardized)", f"forest-{t['key']}",
                                           "MIO + TAU minus TAU, in baseline SDs (Cohen's d)") for t in tps[1:]}
    featured = next((m for m in results["mediation"] if m.get("error") is None), None)
    diagram = charts.mediation_svg(featured, "Aim 3b mediation", "mediation") if featured else None
    consort = charts.followup_svg(results["followup"], tps[1:], "CONSORT follow-up and analysis", "consort-fu")
    return render_template("effectiveness/results.html", results=results, trajectories=trajectories,
                           forests=forests, forest_rows=forest_rows, diagram=diagram, featured=featured,
                           consort=consort, tps=tps, arm_labels=arm_labels, job=latest)


@bp.route("/results/run", methods=["POST"])
@roles_required(*RESULTS_ROLES)
def results_run():
    _forbid_blinded()
    record = enqueue(JOB_KIND, {"user_id": current_user.id}, "Effectiveness analyses", user_id=current_user.id,
                     result_url=url_for("effectiveness.results_page"))
    return redirect(url_for("jobs.show", job_id=record.id))


def estimate_table(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per measure and time point after baseline: the ITT estimate and the complete-case one."""
    headers = ["measure", "outcome", "time_point", "model", "n_mothers", "n_obs", "estimate", "se", "ci_low",
               "ci_high", "p", "standardized_d", "odds_ratio", "or_ci_low", "or_ci_high", "cc_n_mothers",
               "cc_estimate", "cc_ci_low", "cc_ci_high", "n_mio_tau", "n_tau"]
    rows = []
    for r in results["aim1"]:
        cc = {e["time_point"]: e for e in (r.get("complete_case") or {}).get("effects", [])}
        for e in r.get("effects", []):
            c = cc.get(e["time_point"], {})
            rows.append([r["measure"], r["outcome"], e["time_point"], r["model"], r.get("n_mothers"), r.get("n_obs"),
                         e["estimate"], e["se"], e["ci_low"], e["ci_high"], e["p"], e.get("standardized"),
                         e.get("odds_ratio"), e.get("or_ci_low"), e.get("or_ci_high"),
                         (r.get("complete_case") or {}).get("n_mothers"), c.get("estimate"), c.get("ci_low"),
                         c.get("ci_high"), r["describe"]["mio_tau"][e["time_point"]]["n"],
                         r["describe"]["tau"][e["time_point"]]["n"]])
    return headers, rows


def mediation_table(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["exposure", "mediator", "outcome", "n_mothers", "n_counselors", "a", "b", "direct", "direct_ci_low",
               "direct_ci_high", "indirect", "indirect_ci_low", "indirect_ci_high", "total", "share_mediated",
               "n_boot", "seed", "note"]
    rows = [[m["exposure"], m["mediator"], m["outcome"], m["n"], m["clusters"], m.get("a"), m.get("b"),
             m.get("direct"), m.get("direct_ci_low"), m.get("direct_ci_high"), m.get("indirect"),
             m.get("indirect_ci_low"), m.get("indirect_ci_high"), m.get("total"), m.get("share_mediated"),
             m["n_boot"], m["seed"], m.get("error") or ""] for m in results["mediation"]]
    return headers, rows


COMMENTS = ["Aim 1: linear mixed model value ~ arm * time point + clinic + (1 | mother), REML (statsmodels MixedLM); "
            "estimate = MIO + TAU minus TAU at the time point, 95% CI = estimate +/- 1.96 SE, Wald z p; "
            "standardized_d = estimate / pooled within-arm baseline SD. Toxicology: GEE logit, exchangeable, "
            "robust SE; odds ratios. cc_* = complete-case refit. Missing at random assumed.",
            "Aim 3b: product of coefficients a x b within MIO + TAU, percentile cluster bootstrap over counselors."]


@bp.route("/results.csv")
@roles_required(*RESULTS_ROLES)
def results_csv():
    _forbid_blinded()
    results, _job = current_results()
    if results is None:
        abort(409, "The analyses have not been run yet: run them from the results page.")
    headers, rows = estimate_table(results)
    return csv_response("effectiveness-estimates.csv", headers, rows, COMMENTS)


@bp.route("/results.xlsx")
@roles_required(*RESULTS_ROLES)
def results_xlsx():
    _forbid_blinded()
    results, _job = current_results()
    if results is None:
        abort(409, "The analyses have not been run yet: run them from the results page.")
    long_headers, long_rows = analysis_services.long_table()
    return xlsx_response("effectiveness.xlsx", {"Aim 1 estimates": estimate_table(results),
                                                "Aim 3b mediation": mediation_table(results),
                                                "Long data": (long_headers, long_rows)})


@bp.route("/data.csv")
@roles_required(*RESULTS_ROLES, Role.OUTCOME_ASSESSOR)
def long_csv():
    """The long data (study ID, clinic, arm, time point, measure, value); no arm column for a blinded user."""
    headers, rows = analysis_services.long_table()
    return csv_response("effectiveness-long.csv", headers, rows,
                        ["One row per analysed value (the primary entry; toxicology: 1 = any counted substance "
                         "positive). Mothers whose withdrawal forbids data use are left out."])


def register_api(app: Flask) -> None:
    """Endpoints join the API blueprint's prefix and ``api.`` namespace after it was registered (so its bearer-token
    hook runs for them), as ``overview.api`` does."""
    app.add_url_rule(f"{api_bp.url_prefix}/effectiveness", "api.effectiveness", api_effectiveness)


def api_effectiveness():
    """Estimates (``?format=long`` for the long data). Blinded users get the long data without the arm, and 403
    for estimates; agency scope as on the pages."""
    role = current_user.role
    if role not in (*RESULTS_ROLES, Role.OUTCOME_ASSESSOR, Role.ADMIN):
        abort(403)
    if request.args.get("format") == "long":
        headers, rows = analysis_services.long_table()
        return jsonify(columns=headers, rows=[dict(zip(headers, r, strict=True)) for r in rows])
    if services.is_blinded():
        return jsonify(error="Forbidden", detail="Outcome assessors are blinded to allocation.", status=403), 403
    results, latest = current_results()
    if results is None:
        return jsonify(error="Not ready", detail="Run the analyses from the results page first.",
                       job=latest.as_dict() if latest else None, status=409), 409
    return jsonify(results)
