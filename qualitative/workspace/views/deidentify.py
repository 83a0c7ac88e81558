"""De-identification review: propose, accept/reject each proposal (editing its replacement), add manual
redactions (a browser selection or an exact quote), apply, or (managers) skip."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.db import db
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, document_for
from qualitative.models import Privilege, RedactionProposal
from qualitative.workspace.blueprint import bp
from qualitative.workspace.forms import ConfirmForm, ManualRedactionForm, ProposeForm
from qualitative.workspace.services import deidentify as service


def _back(document):
    return redirect(url_for("qualitative.deidentify", document_id=document.id))


def _page(document, status: int = 200, propose_form=None, manual_form=None, errors=None):
    rows = service.proposals(document)
    return render_template(
        "qualitative/deidentify.html", document=document, project=document.project, proposals=rows,
        statuses=RedactionProposal.STATUSES, propose_form=propose_form or ProposeForm(),
        manual_form=manual_form or ManualRedactionForm(formdata=None), confirm=ConfirmForm(),
        undecided=sum(1 for p in rows if p.status == "proposed"), errors=errors or [],
        can_skip=allows(document.project.my_privilege, Privilege.MANAGE), state_labels=service.STATE_LABELS,
        name_after=service.name_after(document) if document.deidentification != service.APPLIED else document.name,
    ), status


@bp.route("/documents/<int:document_id>/deidentify")
@roles_required(*QUAL_ROLES)
def deidentify(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    return _page(document)


@bp.route("/documents/<int:document_id>/deidentify/propose", methods=["POST"])
@roles_required(*QUAL_ROLES)
def deidentify_propose(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    form = ProposeForm()
    if not form.validate_on_submit():
        return _page(document, 400, propose_form=form)
    try:
        count = service.propose(document, (form.extra_names.data or "").splitlines())
    except service.DeidentificationError as exc:
        db.session.rollback()
        return _page(document, 400, errors=[str(exc)])
    db.session.commit()
    flash(f"{count} proposed redaction{'s' if count != 1 else ''} to review.", "info")
    return _back(document)


@bp.route("/documents/<int:document_id>/deidentify/review", methods=["POST"])
@roles_required(*QUAL_ROLES)
def deidentify_review(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        decisions = {}
        for proposal in service.proposals(document):
            status = request.form.get(f"status-{proposal.id}")
            if status is None:
                continue
            decisions[proposal.id] = (status, request.form.get(f"replacement-{proposal.id}"))
        changed = service.decide(document, decisions)
        if request.form.get("action") == "accept-rest":
            changed += service.accept_undecided(document)
    except service.DeidentificationError as exc:
        db.session.rollback()
        return _page(document, 400, errors=[str(exc)])
    db.session.commit()
    flash(f"Saved your decisions ({changed} changed).", "success")
    return _back(document)


@bp.route("/documents/<int:document_id>/deidentify/manual", methods=["POST"])
@roles_required(*QUAL_ROLES)
def deidentify_manual(document_id: int):
    """A manual redaction: JSON ``{turn_id, start, end, replacement}`` (UTF-16 offsets within the turn, from a
    browser selection) or the form's exact quote."""
    document = document_for(current_user, document_id, Privilege.CODE)
    if request.is_json:
        body = request.get_json(silent=True) or {}
        try:
            proposal = service.add_manual_in_turn(document, int(body.get("turn_id")), int(body.get("start")),
                                                  int(body.get("end")), body.get("replacement"))
        except (TypeError, ValueError) as exc:  # DeidentificationError is a ValueError
            db.session.rollback()
            message = str(exc) if isinstance(exc, service.DeidentificationError) else "turn_id, start and end must be whole numbers."
            return jsonify(error=message), 400
        db.session.commit()
        return jsonify(id=proposal.id, start=proposal.start, end=proposal.end, replacement=proposal.suggestion), 201
    form = ManualRedactionForm()
    if not form.validate_on_submit():
        return _page(document, 400, manual_form=form)
    try:
        added = service.add_manual_quote(document, form.quote.data, form.replacement.data, form.every.data)
    except service.DeidentificationError as exc:
        db.session.rollback()
        form.quote.errors.append(str(exc))
        return _page(document, 400, manual_form=form)
    db.session.commit()
    flash(f"Added {len(added)} manual redaction{'s' if len(added) != 1 else ''}.", "success")
    return _back(document)


@bp.route("/documents/<int:document_id>/deidentify/apply", methods=["POST"])
@roles_required(*QUAL_ROLES)
def deidentify_apply(document_id: int):
    document = document_for(current_user, document_id, Privilege.CODE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        count = service.apply(document, request.form.get("name"))
    except service.DeidentificationError as exc:
        db.session.rollback()
        return _page(document, 400, errors=[str(exc)])
    db.session.commit()
    flash(f"Applied {count} redaction{'s' if count != 1 else ''}; the original text is no longer stored. "
          "Next: map the speakers to participants.", "success")
    return redirect(url_for("qualitative.speakers", document_id=document.id))


@bp.route("/documents/<int:document_id>/deidentify/skip", methods=["POST"])
@roles_required(*QUAL_ROLES)
def deidentify_skip(document_id: int):
    document = document_for(current_user, document_id, Privilege.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.skip(document)
    except service.DeidentificationError as exc:
        db.session.rollback()
        return _page(document, 400, errors=[str(exc)])
    db.session.commit()
    flash("De-identification skipped for this transcript (recorded in the audit trail). Coding is open.", "warning")
    return redirect(url_for("qualitative.workspace", document_id=document.id))
