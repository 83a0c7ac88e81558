"""Public survey pages at ``/s/<token>``: no account, made for phones, drafts saved page by page, one submit.

Unknown token: 404; wave closed early or past its closing date: 410; not open yet: 403; an already submitted link
always shows the thank-you page (200), also when the same submit arrives twice.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, redirect, render_template, request, url_for

from readiness.surveys import respond
from readiness.surveys.forms import ConfirmForm, RoleForm
from readiness.surveys.layout import answer_summary, form_blocks, respondent_items
from readiness.surveys.models import RESPONDENT_ROLES

bp = Blueprint("survey_respond", __name__, url_prefix="/s")
QUESTIONS_PER_MINUTE = 5  # a rough reading-and-answering pace for the time estimate on the welcome page

STATE_PAGES = {
    "closed": (410, "This survey is closed", "The clinic's survey round has been closed, so this link no longer "
                                             "accepts answers. Thank you for your interest."),
    "expired": (410, "This survey has ended", "The closing date of this survey round has passed, so this link no "
                                              "longer accepts answers. Thank you for your interest."),
    "scheduled": (403, "This survey is not open yet", None),
}


@bp.after_request
def private_page(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def link_token():
    """The token of the link being answered, for the pages' own URLs: it is in the address the respondent opened,
    and nowhere else (only its hash is stored)."""
    return {"token": (request.view_args or {}).get("token")}


def _link_or_page(token: str):
    """``(link, None)`` when the link may be answered, else ``(link|None, response to return)``."""
    link = respond.link_for_token(token)
    if link is None:
        return None, (render_template("readiness/surveys/public/message.html", title="Survey link not found",
                                      message="This link is not valid. Please check that you copied the whole "
                                              "link, or ask the person who sent it for a new one."), 404)
    state = respond.link_state(link)
    if state == "submitted":
        return link, render_template("readiness/surveys/public/thanks.html", link=link)
    if state != "open":
        code, title, message = STATE_PAGES[state]
        if state == "scheduled":
            opens = link.wave.opens_on
            message = f"This survey opens on {opens:%B} {opens.day}, {opens.year}. Please come back then."
        return link, (render_template("readiness/surveys/public/message.html", title=title, message=message), code)
    return link, None


def _page_status(link, with_answers: bool = False) -> list[dict]:
    """Per part: its number, instrument, whether a draft is saved, what still stops submission, and (for the
    review page) the questions asked with the answers as the respondent reads them (``layout.answer_summary``)."""
    problems = respond.problems(link)
    pages = [{"number": n, "instrument": inst, "saved": respond.response_for(link, inst) is not None,
              "problems": problems.get(inst.id, {})} for n, inst in enumerate(link.wave.instruments, start=1)]
    if with_answers:
        for p in pages:
            p["answers"] = answer_summary(p["instrument"].definition, respond.saved_answers(link, p["instrument"]))
    return pages


@bp.route("/<token>", methods=["GET", "POST"])
def welcome(token: str):
    link, page = _link_or_page(token)
    if page is not None:
        return page
    form = RoleForm(role=link.respondent_role) if request.method == "GET" else RoleForm()
    if form.validate_on_submit():
        respond.set_role(link, form.role.data)
        return redirect(url_for(".page", token=token, number=1))
    status = 400 if request.method == "POST" else 200
    n_questions = sum(len(respondent_items(i.definition)) for i in link.wave.instruments)
    return render_template("readiness/surveys/public/welcome.html", link=link, wave=link.wave, form=form,
                           pages=_page_status(link), minutes=max(2, math.ceil(n_questions / QUESTIONS_PER_MINUTE))
                           ), status


@bp.route("/<token>/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int):
    link, state_page = _link_or_page(token)
    if state_page is not None:
        return state_page
    instruments = link.wave.instruments
    if not 1 <= number <= len(instruments):
        abort(404)
    if link.respondent_role is None:
        return redirect(url_for(".welcome", token=token))
    instrument = instruments[number - 1]
    errors: dict[str, str] = {}
    answers = respond.saved_answers(link, instrument)
    saved = False
    if request.method == "POST":
        action = request.form.get("action", "next")
        errors = respond.save_page(link, instrument, request.form, complete=action == "next")
        if not errors:
            if action == "next":
                target = url_for(".page", token=token, number=number + 1) if number < len(instruments) \
                    else url_for(".review", token=token)
                return redirect(target)
            if action == "back" and number > 1:
                return redirect(url_for(".page", token=token, number=number - 1))
            saved = True
            answers = respond.saved_answers(link, instrument)
        else:
            answers, _ = respond.check_page(instrument.definition, request.form)
            answers = {**answers, **_raw_invalid(instrument.definition, request.form, errors)}
    blocks = form_blocks(instrument.definition, answers, errors)
    return render_template("readiness/surveys/public/page.html", link=link, wave=link.wave, instrument=instrument,
                           definition=instrument.definition, blocks=blocks, errors=errors, number=number,
                           total=len(instruments), saved=saved, form=ConfirmForm(), pages=_page_status(link)
                           ), (400 if errors else 200)


def _raw_invalid(definition: dict, form, errors: dict) -> dict:
    """Keep what the respondent typed in fields with errors, so they can correct it."""
    return {key: form.get(key) for key in errors if key in form}


@bp.route("/<token>/review")
def review(token: str):
    link, state_page = _link_or_page(token)
    if state_page is not None:
        return state_page
    if link.respondent_role is None:
        return redirect(url_for(".welcome", token=token))
    return render_template("readiness/surveys/public/review.html", link=link, wave=link.wave,
                           pages=_page_status(link, with_answers=True), roles=RESPONDENT_ROLES, form=ConfirmForm())


@bp.route("/<token>/submit", methods=["POST"])
def submit(token: str):
    link, state_page = _link_or_page(token)
    if state_page is not None:
        return state_page
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        respond.submit(link)
    except respond.IncompleteSubmission:
        return render_template("readiness/surveys/public/review.html", link=link, wave=link.wave,
                               pages=_page_status(link, with_answers=True), roles=RESPONDENT_ROLES, form=form,
                               incomplete=True), 400
    return redirect(url_for(".welcome", token=token))
