"""Audited reads: every read of participant-level data, every download and every API read writes an audit row,
and every sign-in one with its user (issue 14, item 6; REDCap's promise that every access to data is logged).

One place decides, after the response is made (``after_request``), so no view can forget:
- **export**: any successful GET whose response is a download (``Content-Disposition: attachment``);
- **read**: any successful GET of the JSON API, and of a page listed in ``PARTICIPANT_READS`` (pages that show
  mothers' records, transcripts, coded segments, survey links or the audit trail itself);
- **sign_in**: Flask-Login's ``user_logged_in`` signal, with the user who signed in.

The row (``AuditEvent``): who (user id and e-mail, or the bearer token's owner), ``action`` read/export/sign_in,
``entity`` the endpoint (``delivery.screening_log``), ``entity_id`` the ids in the URL (``clinic_id=3``), and in
``changes`` (shaped like the trail's other rows, ``{field: {"old": None, "new": value}}``): what was read, the
path, the filters (query string), the row count and the format. Row count: the rows a CSV/Excel download wrote
(``note_rows``, called by ``app.exports``), the length of the JSON API's list, the rows of a paged list
(``app.paging``), else the rows of the page's tables (``<tr>`` in ``<tbody>``), else none.

A 304, a 4xx or a 5xx reveals no data and is not recorded. A recording is read in byte ranges: one listen (a
user's requests for one recording within ``COALESCE_MINUTES``) is one row, with the first request's range.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request

#: endpoint -> what the page shows (participant-level pages; downloads and the API are found by their responses)
PARTICIPANT_READS: dict[str, str] = {
    "delivery.screening_log": "screening log (mothers' study IDs, statuses, reasons)",
    "delivery.participant_edit": "a mother's screening-log entry",
    "delivery.screening_import_result": "the outcome of a screening-log import (study IDs in its problems)",
    "delivery.participant_randomize": "a mother's randomization",
    "delivery.participant_counselor": "a mother's counselor assignment",
    "delivery.sessions_page": "MIO sessions of a clinic's mothers",
    "delivery.session_edit": "a MIO session",
    "delivery.rate_mio": "a recorded MIO session for fidelity rating",
    "delivery.recording_mio": "the audio recording of a MIO session",
    "delivery.recording_training": "the audio recording of a training-case session",
    "qualitative.workspace": "a transcript",
    "qualitative.document_recording": "the recording of an interview",
    "qualitative.document_edit": "a transcript's details",
    "qualitative.speakers": "a transcript's speakers",
    "qualitative.deidentify": "a transcript's de-identification",
    "qualitative.participants": "interview participants",
    "qualitative.participant_edit": "an interview participant",
    "qualitative.coding_edit": "a coded segment",
    "qualitative.codings_json": "coded segments of a transcript",
    "analysis.document_text": "a transcript",
    "analysis.segments": "coded segments",
    "analysis.queries": "speaker turns found by a query",
    "readiness_surveys.wave": "survey links of a wave",
    "admin.audit": "the audit trail",
}
#: reads made of many requests: a player fetches a recording in byte ranges (every seek is a request). One listen is
#: one access: the first request of a user for the same recording is recorded, with its range, and the same user's
#: requests for it in the next ``COALESCE_MINUTES`` are covered by that row (a new listen later writes a new one).
COALESCED_READS = frozenset({"delivery.recording_mio", "delivery.recording_training", "qualitative.document_recording"})
COALESCE_MINUTES = 30
ACTIONS = ("read", "export", "sign_in")
_TABLE_ROW = re.compile(r"<tr[\s>]")
_TBODY = re.compile(r"<tbody[^>]*>(.*?)</tbody>", re.S)


def note_rows(n: int) -> None:
    """The data rows of the download this request answers with (the helper that builds the response calls it)."""
    if has_request_context():
        g.mio_audit_rows = n


def note_listed(shown: int, total: int) -> None:
    """A paged list: ``shown`` rows on this page of ``total``."""
    if has_request_context():
        g.mio_audit_listed = (shown, total)


def _is_download(response: Response) -> bool:
    return response.headers.get("Content-Disposition", "").startswith("attachment")


def _json_rows(response: Response) -> int | None:
    data = response.get_json(silent=True) if not response.is_streamed else None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            return len(lists[0])
    return None


def _html_rows(response: Response) -> int | None:
    if response.is_streamed or not response.mimetype.startswith("text/html"):
        return None
    bodies = _TBODY.findall(response.get_data(as_text=True))
    return sum(len(_TABLE_ROW.findall(body)) for body in bodies) if bodies else None


def _what(action: str, response: Response) -> str:
    if request.endpoint in PARTICIPANT_READS:
        return PARTICIPANT_READS[request.endpoint]
    if action == "export":
        name = response.headers.get("Content-Disposition", "").partition("filename=")[2].strip('"') or request.path
        return f"download {name}"
    return f"API {request.path}"


def _event(action: str, response: Response) -> dict:
    from app.audit import current_actor

    user_id, actor = current_actor()
    values = {"what": _what(action, response), "path": request.path, "format": response.mimetype,
              "filters": {k: v[0] if len(v) == 1 else v for k, v in request.args.lists()}}
    if action == "export":
        values["rows"] = g.get("mio_audit_rows")
    elif request.path.startswith("/api/"):
        values["rows"] = _json_rows(response)
    elif g.get("mio_audit_listed") is not None:
        values["rows"], values["of"] = g.mio_audit_listed
    else:
        values["rows"] = _html_rows(response)
    if request.headers.get("Range"):
        values["range"] = request.headers["Range"][:80]
    entity_id = ",".join(f"{k}={v}" for k, v in (request.view_args or {}).items())[:40] or "-"
    return {"at": dt.datetime.now(dt.UTC), "user_id": user_id, "actor": actor, "action": action,
            "entity": (request.endpoint or request.path)[:120], "entity_id": entity_id,
            "changes": {k: {"old": None, "new": v} for k, v in values.items()}}


def _write(row: dict, *, commit: bool) -> None:
    """Through the request's session (SQLite allows one writer at a time, so a second connection could wait on
    the request's own transaction); a GET has nothing else to commit."""
    from app.db import db
    from app.models import AuditEvent

    db.session.execute(sa.insert(AuditEvent), [row])
    if commit:
        db.session.commit()


def record_read(response: Response) -> Response:
    if request.method != "GET" or response.status_code not in (200, 206) or request.endpoint in (None, "static"):
        return response
    if _is_download(response):
        action = "export"
    elif request.path.startswith("/api/") or request.endpoint in PARTICIPANT_READS:
        action = "read"
    else:
        return response
    row = _event(action, response)
    if request.endpoint in COALESCED_READS and _recorded_recently(row):
        return response
    try:
        _write(row, commit=True)
    except sa.exc.OperationalError as error:
        return _unaudited(error)
    return response


def _unaudited(error: Exception) -> Response:
    """The audit row could not be written because SQLite's one writer is busy (a background import of a large
    file): the data are withheld, as every read is audited, with a 503 + Retry-After instead of the 500 an
    exception in an after-request hook would give. Any other database error is re-raised."""
    from flask import current_app

    from app.db import db
    from app.errors import BUSY_MESSAGE, RETRY_AFTER_SECONDS, database_busy, render_error

    if not database_busy(error):
        raise error
    db.session.rollback()
    current_app.logger.warning("Read of %s withheld: its audit row could not be written (database busy)",
                               request.path)
    response = current_app.make_response(render_error(503, BUSY_MESSAGE))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _recorded_recently(row: dict) -> bool:
    from app.db import db
    from app.models import AuditEvent

    since = row["at"] - dt.timedelta(minutes=COALESCE_MINUTES)
    who = AuditEvent.user_id == row["user_id"] if row["user_id"] is not None else AuditEvent.actor == row["actor"]
    return db.session.execute(
        sa.select(AuditEvent.id).where(AuditEvent.entity == row["entity"], AuditEvent.entity_id == row["entity_id"],
                                       AuditEvent.action == row["action"], who, AuditEvent.at >= since)
        .limit(1)).first() is not None


def _record_sign_in(app: Flask, user) -> None:
    """Part of the sign-in's own transaction (the sign-in view commits it)."""
    row = {"at": dt.datetime.now(dt.UTC), "user_id": user.id, "actor": user.email, "action": "sign_in",
           "entity": "user_account", "entity_id": str(user.id),
           "changes": {"address": {"old": None, "new": request.remote_addr if has_request_context() else None}}}
    _write(row, commit=False)


def _forget_counts() -> None:
    """Counts belong to one request (``g`` outlives a request when an app context was already pushed: tests)."""
    g.pop("mio_audit_rows", None)
    g.pop("mio_audit_listed", None)


def init_app(app: Flask) -> None:
    from flask_login import user_logged_in

    app.before_request(_forget_counts)
    app.after_request(record_read)
    user_logged_in.connect(_record_sign_in, app)
