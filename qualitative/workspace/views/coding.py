"""The coding workspace page, its JSON endpoints (read, create, update, delete codings) and the no-JavaScript
forms that do the same.

The JSON answers of a change carry only what changed (the created codings, the changed coding, the removed id), so
their size and cost do not grow with the document's codings; ``codings.json`` carries an ETag and answers 304 to a
poll whose If-None-Match still matches."""

from __future__ import annotations

import contextlib
from collections import Counter

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app.audit import acting_as
from app.db import db
from app.media import accept_attribute
from app.paging import page_number, text_arg
from app.security import roles_required
from qualitative.access import QUAL_ROLES, allows, coding_for, document_for
from qualitative.models import Privilege
from qualitative.workspace.blueprint import bp
from qualitative.workspace.forms import CodingEditForm, CodingForm, MemoForm, VersionForm
from qualitative.workspace.services import attributes, reading, windows
from qualitative.workspace.services import codebook as codebook_service
from qualitative.workspace.services import coding as service
from qualitative.workspace.services import memos as memo_service
from qualitative.workspace.services import shortcuts as shortcut_service
from qualitative.workspace.services.codebook import cfir_role_label, tree
from qualitative.workspace.services.deidentify import PENDING, STATE_LABELS


def _json_error(message: str, status: int):
    return jsonify(error=message, status=status), status


def _timestamp(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@bp.route("/documents/<int:document_id>")
@roles_required(*QUAL_ROLES)
def workspace(document_id: int):
    document = document_for(current_user, document_id)
    project = document.project
    can_code = allows(project.my_privilege, Privilege.CODE)
    blocked = document.deidentification == PENDING
    if blocked and not can_code:
        return render_template("qualitative/blocked.html", document=document, project=project), 200
    query = text_arg(request.args, "q", 200)
    code_filter = request.args.get("code", type=int)
    focus = windows.focus(document, current_user, request.args)
    page = windows.turn_page(document, current_user, page_number(request.args) if request.args.get("page") else 0,
                             query=query, code_id=code_filter, at=focus)
    ws = reading.workspace(document, current_user, page.items)
    filtered = bool(query or code_filter)
    total_turns = windows.turn_count(document) if filtered else page.total
    code_labels = {c.id: (f"{c.display_key} {c.name}", c.colour or "#999999") for c in ws.codes}
    args = {key: value for key, value in (("q", query), ("code", code_filter)) if value}
    window = (page.items[0].index, page.items[-1].index) if page.items else (0, -1)
    return render_template(
        "qualitative/workspace.html", document=document, project=project, ws=ws, turns=ws.turns, page=page,
        page_args=args, total_turns=total_turns, focus_missing=focus.missing,
        # the picker counts what the page holds (its script recounts as codings change); the filter, the document
        page_counts=Counter(c["code_id"] for c in ws.codings),
        codings_url=url_for("qualitative.codings_json", document_id=document.id, first=window[0], last=window[1]),
        page_url=url_for("qualitative.workspace", document_id=document.id, page=page.page, **args),
        filtered=filtered, query=query, focus_turn_id=focus.turn_id, code_filter=code_filter,
        code_labels=code_labels,
        edit_prefix=url_for("qualitative.coding_edit", coding_id=0).removesuffix("0/edit"),
        code_tree=tree([c for c in ws.codes if c.active]), can_code=can_code and not blocked, blocked=blocked,
        can_manage=allows(project.my_privilege, Privilege.MANAGE), role_label=cfir_role_label,
        timestamp=_timestamp, state_labels=STATE_LABELS, memo_form=MemoForm(formdata=None),
        # no extra query: the page's turns tell whether the transcript carries times (a .vtt/.srt import)
        timed=any(t.timestamp_ms is not None for t in page.items),
        recording_accept=accept_attribute(),
        document_memos=memo_service.memos(project, "document", document.id, viewer=current_user),
        attributes=attributes.document_attributes(document),
        shortcuts={code_id: digit for digit, code_id in shortcut_service.shortcuts(project.id, current_user.id).items()},
    )


def _window(args) -> tuple[int, int] | None:
    """``first`` and ``last`` turn indexes (inclusive) of the page asking (both or neither): its codings only."""
    raw = {name: (args.get(name) or "").strip() for name in ("first", "last")}
    if not any(raw.values()):
        return None
    for name, value in raw.items():
        if not (value.isascii() and value.lstrip("-").isdigit() and len(value) < 10):
            abort(400, description=f"The “{name}” parameter: “{value[:20]}” is not a turn index (0, 1, 2, …).")
    return int(raw["first"]), int(raw["last"])


@bp.route("/documents/<int:document_id>/codings.json")
@roles_required(*QUAL_ROLES)
def codings_json(document_id: int):
    document = document_for(current_user, document_id)
    if document.deidentification == PENDING and not allows(document.project.my_privilege, Privilege.CODE):
        abort(403)
    window = _window(request.args)
    etag = reading.codings_etag(document, current_user, window)
    if request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        response = jsonify(reading.codings_payload(document, current_user, window))
    response.set_etag(etag, weak=True)  # weak: the gzip and identity encodings share it
    # participant data: no browser or proxy cache keeps it (``no-store``, ASVS 8.2.1, as on every response); the
    # page's script keeps the codings it loaded and sends If-None-Match itself, so the 304 saves the body all the same
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object.")
    return body


UNDO_HEADER = "X-Coding-Undo"


def _undo_context():
    """A change the workspace sends to undo or redo an earlier one carries ``X-Coding-Undo: undo|redo``: its audit
    event names it (``analyst@… (undo)``), so the trail tells an undo from a fresh change."""
    kind = (request.headers.get(UNDO_HEADER) or "").strip().lower()
    if kind in ("undo", "redo"):
        return acting_as(f"{current_user.email} ({kind})", current_user.id)
    return contextlib.nullcontext()


def _span(document, body: dict) -> tuple[int, int]:
    return service.span_from_turns(document, body.get("turn_id"), body.get("start"), body.get("end_turn_id"),
                                   body.get("end"))


@bp.route("/documents/<int:document_id>/codings", methods=["POST"])
@roles_required(*QUAL_ROLES)
def coding_create(document_id: int):
    """JSON ``{turn_id, start, end, code_ids}`` with start/end in UTF-16 units of the turn's utterance; with
    ``end_turn_id`` the span runs from ``start`` in ``turn_id`` to ``end`` in ``end_turn_id`` (several turns)."""
    document = document_for(current_user, document_id, Privilege.CODE)
    body = _body()
    try:
        service.check_codable(document)
        start, end = _span(document, body)
        with _undo_context():
            created, skipped = service.create_codings(document, current_user, start, end, body.get("code_ids") or [])
    except service.CodingBlocked as exc:
        return _json_error(str(exc), 409)
    except service.CodingError as exc:
        return _json_error(str(exc), 400)
    if not created:
        return _json_error(" ".join(skipped), 409)
    # only what changed: the new codings (the workspace adds them to what it holds; its poll brings others' work)
    return jsonify(created=reading.coding_dicts(document, current_user, [c.id for c in created]),
                   skipped=skipped), 201


@bp.route("/documents/<int:document_id>/codings/in-vivo", methods=["POST"])
@roles_required(*QUAL_ROLES)
def coding_in_vivo(document_id: int):
    """In-vivo coding: JSON ``{turn_id, start, end, end_turn_id?, parent_id}``; a code named from the selected
    words is added under ``parent_id`` (0 or absent: the top level), or the one of that name there reused, and the
    selection is coded with it. Answers the code and the new coding."""
    document = document_for(current_user, document_id, Privilege.CODE)
    body = _body()
    try:
        service.check_codable(document)
        start, end = _span(document, body)
        code, new = codebook_service.in_vivo_code(document.project, document.text[start:end], body.get("parent_id"),
                                                  document.name)
        created, skipped = service.create_codings(document, current_user, start, end, [code.id], commit=False)
        if not created:
            raise service.CodingError(" ".join(skipped))
        db.session.commit()
    except service.CodingBlocked as exc:
        db.session.rollback()
        return _json_error(str(exc), 409)
    except (service.CodingError, codebook_service.CodebookChangeError) as exc:
        db.session.rollback()
        return _json_error(str(exc), 400)
    parent = db.session.get(type(code), code.parent_id) if code.parent_id else None
    return jsonify(code={"id": code.id, "key": code.key, "label": f"{code.display_key} {code.name}",
                         "name": code.name, "color": code.colour or "#999999", "parent_id": code.parent_id,
                         "parent_label": str(parent) if parent else None, "new": new,
                         "definition": code.definition},
                   created=reading.coding_dicts(document, current_user, [c.id for c in created]), skipped=[]), 201


@bp.route("/projects/<int:qual_project_id>/shortcuts", methods=["POST"])
@roles_required(*QUAL_ROLES)
def coding_shortcut(qual_project_id: int):
    """JSON ``{digit: 1-9, code_id}`` gives the digit to the code for the signed-in coder in this project
    (``code_id`` null frees the digit); answers all their shortcuts as ``{"1": code_id, ...}``."""
    from qualitative.access import project_for

    project = project_for(current_user, qual_project_id, Privilege.CODE)
    body = _body()
    try:
        mine = shortcut_service.set_shortcut(project, current_user, body.get("digit"), body.get("code_id"))
    except shortcut_service.ShortcutError as exc:
        db.session.rollback()
        return _json_error(f"{exc.field}: {exc}", 400)
    return jsonify(shortcuts={str(digit): code_id for digit, code_id in sorted(mine.items())})


@bp.route("/codings/<int:coding_id>", methods=["PATCH", "POST"])
@roles_required(*QUAL_ROLES)
def coding_update(coding_id: int):
    """JSON ``{version, code_id?, turn_id?, start?, end?, end_turn_id?}`` (UTF-16 offsets within the turns)."""
    coding = coding_for(current_user, coding_id, Privilege.CODE)
    document = coding.document
    body = _body()
    try:
        span = None
        if body.get("turn_id") is not None:
            span = _span(document, body)
        code_id = body.get("code_id")
        if code_id is not None and not str(code_id).isdigit():
            raise service.CodingError("code_id must be a whole number.")
        with _undo_context():
            service.update_coding(document, coding, current_user, body.get("version"), code_id=code_id, span=span)
    except service.NotYourCoding as exc:
        return _json_error(str(exc), 403)
    except (service.StaleCoding, service.CodingBlocked) as exc:
        return _json_error(str(exc), 409)
    except service.CodingError as exc:
        return _json_error(str(exc), 400)
    return jsonify(coding=reading.coding_dicts(document, current_user, [coding_id])[0])


@bp.route("/codings/<int:coding_id>/delete", methods=["POST"])
@roles_required(*QUAL_ROLES)
def coding_delete(coding_id: int):
    """JSON ``{version}``, or the no-JavaScript form with a hidden version."""
    coding = coding_for(current_user, coding_id, Privilege.CODE)
    document = coding.document
    if request.is_json:
        version = _body().get("version")
    else:
        form = VersionForm()
        if not form.validate_on_submit():
            abort(400)
        version = form.version.data
    try:
        with _undo_context():
            service.delete_coding(document, coding, current_user, version)
    except service.NotYourCoding as exc:
        if request.is_json:
            return _json_error(str(exc), 403)
        abort(403, str(exc))
    except (service.StaleCoding, service.CodingError) as exc:
        if request.is_json:
            return _json_error(str(exc), 409 if isinstance(exc, service.StaleCoding) else 400)
        flash(str(exc), "error")
        return redirect(url_for("qualitative.workspace", document_id=document.id))
    if request.is_json:
        return jsonify(deleted=coding_id)
    flash("Removed the coding.", "success")
    return redirect(url_for("qualitative.workspace", document_id=document.id))


def _code_choices(document) -> list[tuple[int, str]]:
    codes = reading.project_codes(document.project_id)
    return [(c.id, ("— " * depth) + str(c)) for c, depth in tree([c for c in codes if c.active]) if c.codable]


@bp.route("/documents/<int:document_id>/codings/new", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def coding_new(document_id: int):
    """Code text without JavaScript: choose codes and give the exact words (or code-point offsets)."""
    document = document_for(current_user, document_id, Privilege.CODE)
    form = CodingForm()
    form.code_ids.choices = _code_choices(document)
    # the turns of one workspace page (the one holding the turn asked for or posted), not all 20,000 of a long one
    turns = windows.page_around(document, request.form.get("turn_id", type=int) if request.method == "POST"
                                else request.args.get("turn", type=int) or request.args.get("near", type=int))
    form.turn_id.choices = [(0, "— any turn —")] + [
        (t.id, f"{t.index + 1}. {t.speaker or 'no speaker'}: {document.text[t.start:t.end][:60]}") for t in turns]
    if request.method == "GET":
        form.turn_id.data = request.args.get("turn", 0, type=int)
    errors = []
    if form.validate_on_submit():
        try:
            if form.mode.data == "quote":
                start, end = service.span_from_quote(document, form.quote.data, form.occurrence.data or 1,
                                                     form.turn_id.data or None)
            else:
                start, end = service.span_from_codepoints(document, form.start.data, form.end.data)
            created, skipped = service.create_codings(document, current_user, start, end, form.code_ids.data)
        except service.CodingError as exc:
            errors.append(str(exc))
        else:
            for message in skipped:
                flash(message, "warning")
            if created:
                flash(f"Coded “{document.text[start:end][:80]}” with {len(created)} code"
                      f"{'s' if len(created) != 1 else ''}.", "success")
            return redirect(url_for("qualitative.workspace", document_id=document.id, coding=created[0].id) + f"#coding-{created[0].id}"
                            if created else url_for("qualitative.workspace", document_id=document.id))
    status = 400 if request.method == "POST" else 200
    return render_template("qualitative/coding_form.html", document=document, project=document.project, form=form,
                           errors=errors, coding=None), status


@bp.route("/codings/<int:coding_id>/edit", methods=["GET", "POST"])
@roles_required(*QUAL_ROLES)
def coding_edit(coding_id: int):
    """Change the code or the span (code points) of one's own coding, without JavaScript."""
    coding = coding_for(current_user, coding_id, Privilege.CODE)
    document = coding.document
    if coding.coder_id != current_user.id:
        abort(403, "Only the coder can change a coding; other coders' codings are read-only.")
    form = CodingEditForm(obj=coding)
    form.code_id.choices = _code_choices(document)
    errors = []
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            span = service.span_from_codepoints(document, form.start.data, form.end.data)
            service.update_coding(document, coding, current_user, form.version.data, code_id=form.code_id.data,
                                  span=span)
        except service.StaleCoding as exc:
            db.session.rollback()
            errors.append(str(exc))
            status = 409
        except service.CodingError as exc:
            db.session.rollback()
            errors.append(str(exc))
        else:
            flash("Saved the coding.", "success")
            return redirect(url_for("qualitative.workspace", document_id=document.id, coding=coding.id) + f"#coding-{coding.id}")
    return render_template("qualitative/coding_form.html", document=document, project=document.project, form=form,
                           errors=errors, coding=coding, quote=document.text[coding.start:coding.end],
                           delete_form=VersionForm(formdata=None, version=coding.version)), status
