"""Director pages for survey waves: list, open a wave, the wave page with copyable links (and CSV), clinic-level
results, close, re-score, and the REDCap records export."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import paging
from app.exports import csv_response, interchange_response
from app.models import Clinic, Role
from app.security import get_scoped_or_404, roles_required
from readiness.aggregation import MIN_N_FOR_MEAN, RWG_J_FORMULA
from readiness.surveys import services
from readiness.surveys.forms import ConfirmForm, ReissueForm, WaveForm
from readiness.surveys.library import InstrumentImportError, library
from readiness.surveys.models import RESPONDENT_ROLES, SurveyWave
from readiness.surveys.profile_service import wave_results
from readiness.surveys.results import FLAG_LABELS

bp = Blueprint("readiness_surveys", __name__, url_prefix="/readiness/surveys", template_folder="templates",
               static_folder="static", static_url_path="/static")
DIRECTOR = (Role.DIRECTOR,)
#: a wave's clinic-level results (aggregated, suppressed by app.disclosure): the director, and agency staff for
#: their own agency's clinics (get_scoped_or_404 refuses another agency's wave with a 404)
RESULT_ROLES = (Role.DIRECTOR, Role.AGENCY_STAFF)
WAVES_PER_PAGE = 50


def link_url(token: str) -> str:
    return url_for("survey_respond.welcome", token=token, _external=True)


@bp.route("")
@roles_required(*DIRECTOR)
def waves():
    """The waves, newest first, 50 a page, filtered by agency, clinic (codes) and status (``app.paging``)."""
    org = paging.organisation(request.args)
    status = paging.choice(request.args, "status", {key: key for key in services.WAVE_STATUSES})
    today = services.survey_today()
    page = paging.paginate(services.waves_query(agency=org.agency, clinic=org.clinic, status=status, today=today),
                           paging.page_number(request.args), WAVES_PER_PAGE)
    stats = services.wave_stats_by_id([wave.id for wave in page.items])
    rows = [(wave, stats[wave.id], services.wave_status(wave, today)) for wave in page.items]
    filters = {**org.shown, "status": status or ""}
    return render_template("readiness/surveys/waves.html", rows=rows, page=page, org=org, filters=filters,
                           args=paging.query_args(filters), statuses=services.WAVE_STATUSES)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*DIRECTOR)
def new_wave():
    form = WaveForm()
    form.clinic_id.choices = [(0, "— choose a clinic —")] + [(c.id, f"{c.code} — {c.name}")
                                                              for c in services.clinics()]
    entries = [e for e in library() if e.current]
    form.instruments.choices = [(e.ref, f"{e.title} (v{e.version}{', REDCap import' if e.source == 'redcap' else ''})")
                                for e in entries]
    if request.method == "GET":
        today = services.survey_today()
        form.instruments.data = [e.ref for e in entries if e.source == "shipped"]
        form.opens_on.data = form.opens_on.data or today
        form.closes_on.data = form.closes_on.data or today + timedelta(days=21)
    if form.validate_on_submit():
        clinic = get_scoped_or_404(Clinic, form.clinic_id.data)
        try:
            wave = services.create_wave(clinic=clinic, title=form.title.data, instrument_refs=form.instruments.data,
                                        opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                                        n_links=form.n_links.data, user=current_user)
        except (services.WaveInputError, InstrumentImportError) as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            return _issued_page(wave, wave.issued_tokens,
                                f"Opened “{wave.title}” for {clinic.code} with {len(wave.links)} respondent links.")
    status = 400 if request.method == "POST" else 200
    return render_template("readiness/surveys/wave_form.html", form=form, entries=entries), status


@bp.route("/<int:survey_wave_id>")
@roles_required(*DIRECTOR)
def wave(survey_wave_id: int):
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    return render_template("readiness/surveys/wave.html", wave=obj, stats=services.wave_stats(obj),
                           status=services.wave_status(obj), confirm=ConfirmForm(), reissue=ReissueForm(),
                           roles=services.role_counts(obj, MIN_N_FOR_MEAN), role_labels=RESPONDENT_ROLES)


def _issued_page(wave: SurveyWave, tokens: dict[int, str], message: str):
    """The links just issued, shown this once (only their hashes are stored): copy buttons and a CSV download that
    posts the tokens back from this page (``links_csv``). ``Cache-Control: no-store`` keeps the page out of the
    browser's cache (``app.security.set_security_headers``)."""
    urls = {number: link_url(token) for number, token in tokens.items()}
    links = [link for link in wave.links if link.number in urls]
    return render_template("readiness/surveys/issued.html", wave=wave, links=links, urls=urls, tokens=tokens,
                           message=message, form=ConfirmForm())


@bp.route("/<int:survey_wave_id>/reissue", methods=["POST"])
@roles_required(*DIRECTOR)
def reissue(survey_wave_id: int):
    """New tokens for chosen links (default: every link not yet submitted); the old links stop working."""
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        tokens = services.reissue_links(obj, services.parse_link_numbers(form.numbers.data or ""))
    except services.WaveInputError as exc:
        flash(f"Links not re-issued: {exc}", "error")
        return render_template("readiness/surveys/wave.html", wave=obj, stats=services.wave_stats(obj),
                               status=services.wave_status(obj), confirm=ConfirmForm(), reissue=form,
                               roles=services.role_counts(obj, MIN_N_FOR_MEAN), role_labels=RESPONDENT_ROLES), 400
    if not tokens:
        flash("Every link of this wave is submitted: there is nothing to re-issue.", "info")
        return redirect(url_for(".wave", survey_wave_id=obj.id))
    return _issued_page(obj, tokens, f"Re-issued {len(tokens)} link{'s' if len(tokens) != 1 else ''}: the old "
                                     "links with these numbers no longer work.")


@bp.route("/<int:survey_wave_id>/links.csv", methods=["GET", "POST"])
@roles_required(*DIRECTOR)
def links_csv(survey_wave_id: int):
    """GET: each link's number and status (the URLs are not stored). POST, from the page that has just issued
    links: the same with their URLs, for the tokens the page sends back (each checked against this wave)."""
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    urls = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        hashes = {link.token_hash: link.number for link in obj.links}
        posted = request.form.getlist("token")[: services.MAX_LINKS]
        urls = {hashes[h]: link_url(t) for t in posted if (h := services.token_hash(t)) in hashes}
        if not urls:
            abort(400, description="None of the tokens sent belongs to this wave; re-issue the links.")
    headers, rows = services.link_rows(obj, urls)
    return csv_response(f"survey-links-{obj.clinic.code}-wave{obj.id}.csv", headers, rows)


@bp.route("/<int:survey_wave_id>/results")
@roles_required(*RESULT_ROLES)
def results(survey_wave_id: int):
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    return render_template("readiness/surveys/results.html", wave=obj, stats=services.wave_stats(obj),
                           blocks=wave_results(obj), flag_labels=FLAG_LABELS, min_n=MIN_N_FOR_MEAN,
                           rwg_formula=RWG_J_FORMULA)


@bp.route("/<int:survey_wave_id>/close", methods=["POST"])
@roles_required(*DIRECTOR)
def close(survey_wave_id: int):
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.close_wave(obj)
    flash("The wave is closed: its links no longer accept answers.", "success")
    return redirect(url_for(".wave", survey_wave_id=obj.id))


@bp.route("/<int:survey_wave_id>/rescore", methods=["POST"])
@roles_required(*DIRECTOR)
def rescore(survey_wave_id: int):
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    counts = services.rescore_wave(obj)
    category = "success" if counts["changed"] == 0 else "warning"
    flash(f"Re-scored {counts['responses']} responses from their raw answers: {counts['identical']} of "
          f"{counts['scores']} scores identical, {counts['changed']} changed, {counts['new']} new.", category)
    return redirect(url_for(".results", survey_wave_id=obj.id))


@bp.route("/<int:survey_wave_id>/instruments/<int:instrument_id>/redcap-records.csv")
@roles_required(*DIRECTOR)
def redcap_records(survey_wave_id: int, instrument_id: int):
    obj = get_scoped_or_404(SurveyWave, survey_wave_id)
    instrument = next((i for i in obj.instruments if i.id == instrument_id), None)
    if instrument is None:
        abort(404)
    identifiers = request.args.get("identifiers") == "1"
    if identifiers and current_user.role != Role.ADMIN:
        abort(403)
    text = services.redcap_records(obj, instrument, include_identifiers=identifiers)
    return interchange_csv(f"redcap-records-{obj.clinic.code}-wave{obj.id}-{instrument.key}.csv", text)


#: the query argument of a link that asks for the REDCap import file itself (exact, not formula-guarded)
REDCAP_IMPORT_ARG = "redcap_import"


def interchange_csv(filename: str, text: str) -> Response:
    """A REDCap interchange file. Guarded against spreadsheet formulas like every download, unless the link asked
    for the REDCap import file (``?redcap_import=1``): then byte for byte as :mod:`readiness.redcap` wrote it,
    since REDCap would import an apostrophe the guard adds to answers or choice lists starting with "-" or "="
    (e.g. ``-1, Refused``). The pages say so next to those links."""
    exact = request.args.get(REDCAP_IMPORT_ARG) == "1"
    if exact:
        filename = filename.removesuffix(".csv") + "-redcap-import.csv"
    return interchange_response(filename, text, exact=exact)
