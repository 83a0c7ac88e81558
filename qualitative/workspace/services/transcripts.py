"""Transcript import and document attributes.

Each file is read by ``qualitative.parsers.parse_transcript`` (normalised text, speaker turns, code-point offsets)
and written as one ``Document`` with its ``DocumentTurn`` rows inside a savepoint: a file is imported whole or not
at all, and one bad file in a batch does not stop the others. The outcome of every file is reported (name,
turns, format, warnings, or the error naming the file). Speakers whose label equals an existing participant's
pseudonym are linked to that participant at once.
"""

from __future__ import annotations

import errno
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.db import db
from app.jobs import Job, JobContext, job
from app.models import Clinic
from app.storage import StoredFileNotFound, storage
from qualitative.deidentify.detectors import redacted_name
from qualitative.models import Document, DocumentTurn, Participant, QualProject
from qualitative.parsers import DEFAULT_MAX_BYTES, TranscriptFormatError, TranscriptLimits, parse_transcript
from qualitative.workspace.services import naming

IMPORT_JOB = "qualitative.import_transcripts"
NAME_LIMIT = 255


@dataclass
class FileOutcome:
    filename: str
    ok: bool
    document_id: int | None = None
    name: str | None = None
    turns: int = 0
    format: str | None = None
    speakers: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ImportSettings:
    """What every file of a batch shares."""

    project_id: int
    clinic_id: int
    kind: str
    interview_date: date | None = None
    interviewer: str | None = None
    user_id: int | None = None
    job_id: str | None = None
    #: a name holding identifiers is redacted (the upload job: its names were shown to the uploader) instead of
    #: refused (the command line: the operator renames the file or passes --name)
    redact_names: bool = False


def base_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def document_name(filename: str) -> str:
    """The document's name: the file name without folder and extension."""
    stem = os.path.splitext(base_name(filename))[0].strip() or base_name(filename)
    return stem[:NAME_LIMIT]


def max_bytes() -> int:
    return int(current_app.config.get("QUAL_MAX_TRANSCRIPT_BYTES", DEFAULT_MAX_BYTES))


def limits() -> TranscriptLimits:
    """The configured bounds of one transcript (``QUAL_MAX_TRANSCRIPT_TURNS``, ``_SPEAKERS``, ``_CHARS``)."""
    default, config = TranscriptLimits(), current_app.config
    return TranscriptLimits(turns=int(config.get("QUAL_MAX_TRANSCRIPT_TURNS", default.turns)),
                            speakers=int(config.get("QUAL_MAX_TRANSCRIPT_SPEAKERS", default.speakers)),
                            chars=int(config.get("QUAL_MAX_TRANSCRIPT_CHARS", default.chars)))


def _already_imported(settings: ImportSettings, filename: str) -> Document | None:
    if not settings.job_id:
        return None
    return db.session.execute(
        sa.select(Document).where(
            Document.project_id == settings.project_id,
            Document.import_job_id == settings.job_id,
            Document.source_filename == base_name(filename)[:NAME_LIMIT],
        )
    ).scalar_one_or_none()


def safe_file_label(filename: str, clinic_id: int | None = None) -> str:
    """The file name as it may be stored or shown in a report: with any identifier in its stem redacted."""
    shown = base_name(filename)
    stem = document_name(shown)
    found = naming.findings(stem, clinic_id)
    return redacted_name(stem, found) + os.path.splitext(shown)[1] if found else shown


def import_one(settings: ImportSettings, filename: str, data: bytes, name: str | None = None) -> FileOutcome:
    """Parse one file and write it (document + turns) in a savepoint; never raises for bad input.

    The document is named ``name`` (chosen by a person) or after the file. A name holding identifiers (the
    clinic's staff, the transcript's speakers, ``naming.findings``) is refused, or with ``settings.redact_names``
    redacted with a warning; a file name holding them is stored as the document's name plus its extension."""
    shown = base_name(filename)
    try:
        parsed = parse_transcript(shown, data, max_bytes=max_bytes(), limits=limits())
    except TranscriptFormatError as exc:
        return FileOutcome(safe_file_label(shown, settings.clinic_id), False, error=str(exc))
    speakers = [t.speaker for t in parsed.turns]
    stem_found = naming.findings(document_name(shown), settings.clinic_id, speakers)
    chosen = (name or "").strip()[:NAME_LIMIT] or document_name(shown)
    found = naming.findings(chosen, settings.clinic_id, speakers, confirmed=bool(name)) if name else stem_found
    warnings = list(parsed.warnings)
    if found and settings.redact_names:
        chosen = redacted_name(chosen, found)[:NAME_LIMIT]
        warnings.insert(0, f"The name held {len(found)} identifier(s) ({', '.join(sorted({f.kind for f in found}))}"
                           f"); the document is named “{chosen}”. Rename it if needed.")
    elif found:
        label = "The name you gave" if name else f"The file name “{shown}”"
        proposal = redacted_name(chosen, found)
        return FileOutcome(redacted_name(document_name(shown), stem_found) + os.path.splitext(shown)[1]
                           if stem_found else shown, False,
                           error=f"{label} holds {naming.describe(found)}; nothing imported. Rename the file or "
                                 f"give the document a name (e.g. --name “{proposal}”)")
    if stem_found:
        shown = (chosen + os.path.splitext(shown)[1])[:NAME_LIMIT]
    name = chosen
    clash = db.session.execute(
        sa.select(Document.id).where(Document.project_id == settings.project_id, Document.name == name)
    ).first()
    if clash:
        return FileOutcome(shown, False, error=(
            f"{shown}: the project already has a document named “{name}”; rename the file or delete that document"))
    pseudonyms = dict(db.session.execute(
        sa.select(Participant.pseudonym, Participant.id).where(Participant.project_id == settings.project_id)
    ).all())
    try:
        with db.session.begin_nested():
            document = Document(
                project_id=settings.project_id, clinic_id=settings.clinic_id, name=name, kind=settings.kind,
                interview_date=settings.interview_date, interviewer=settings.interviewer or None,
                source_filename=shown[:NAME_LIMIT], source_format=parsed.format, encoding=parsed.encoding,
                text=parsed.text, deidentification="pending", created_by_id=settings.user_id,
                import_job_id=settings.job_id,
            )
            db.session.add(document)
            db.session.flush()
            db.session.execute(sa.insert(DocumentTurn), [
                {"document_id": document.id, "index": i, "speaker": (t.speaker or None) and t.speaker[:120],
                 "participant_id": pseudonyms.get(t.speaker), "start": t.start, "end": t.end,
                 "timestamp_ms": t.timestamp_ms, "end_ms": t.end_ms}
                for i, t in enumerate(parsed.turns)
            ])
    except SQLAlchemyError as exc:
        return FileOutcome(shown, False, error=f"{shown}: could not be saved ({type(exc).__name__}); nothing was kept")
    return FileOutcome(shown, True, document.id, name, len(parsed.turns), parsed.format, len(parsed.speakers),
                       warnings)


def import_files(settings: ImportSettings, files: Iterable[tuple[str, Callable[[], bytes]]], total: int,
                 progress: Callable[[int, int, str], None] | None = None) -> list[FileOutcome]:
    """Import a batch: ``files`` yields (filename, reader) or (filename, reader, name a person chose). Names
    repeated within the batch fail (the second one).
    The caller commits."""
    outcomes: list[FileOutcome] = []
    for number, (filename, read, *chosen) in enumerate(files, start=1):
        if progress:
            progress(number - 1, total, f"Reading file {number} of {total}")  # no name: it may hold one
        done = _already_imported(settings, filename)
        if done is not None:  # a re-run of the same job after a crash: this file is already in (and deleted)
            outcomes.append(FileOutcome(base_name(filename), True, done.id, done.name, len(done.turns),
                                        done.source_format))
            continue
        try:
            data = read()
        except OSError as exc:
            outcomes.append(FileOutcome(base_name(filename), False, error=f"{base_name(filename)}: cannot be read ({exc.strerror})"))
            continue
        outcomes.append(import_one(settings, filename, data, chosen[0] if chosen else None))
    if progress:
        progress(total, total, summary(outcomes))
    return outcomes


def summary(outcomes: list[FileOutcome]) -> str:
    ok = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    text = f"{len(ok)} of {len(outcomes)} file{'s' if len(outcomes) != 1 else ''} imported"
    if failed:
        text += f"; {len(failed)} failed: " + "; ".join(o.filename for o in failed)
    return text + "."


# --- background job for uploads -------------------------------------------------------------------------------
UPLOAD_PREFIX = "transcript-upload/"
#: a batch whose job never ran (its worker gave up) is purged after this; a job deletes its files when it ends
UPLOAD_KEEP = timedelta(days=7)


def save_uploads(files, names: list[str] | None = None) -> tuple[str, list[dict]]:
    """Put uploaded FileStorage objects into the shared storage (``app.storage``, so a worker on another machine
    reads them) under a fresh batch prefix; return (prefix, [{"filename", "key"}]). ``names``: the file names to
    store instead of the uploaded ones (with identifiers redacted). The caller commits (with the job that reads
    them)."""
    files_store = storage()
    files_store.purge_expired()
    batch = f"{UPLOAD_PREFIX}{uuid.uuid4().hex}/"
    saved = []
    for number, upload in enumerate(files):
        key = f"{batch}{number:04d}"
        name = names[number] if names else base_name(upload.filename or f"file {number + 1}")
        files_store.put(key, upload.stream, content_type=upload.mimetype or "application/octet-stream",
                        filename=name, expires_in=UPLOAD_KEEP)
        saved.append({"filename": name, "key": key})
    return batch, saved


PENDING_PREFIX = "transcript-pending/"


def name_problems(files, clinic_id: int) -> list[dict]:
    """Per uploaded file: ``{"number", "filename", "findings", "proposal"}`` (proposal: the document name with
    identifiers redacted), for the files whose name holds any (``naming.findings``)."""
    problems = []
    for number, upload in enumerate(files):
        stem = document_name(base_name(upload.filename or ""))
        found = naming.findings(stem, clinic_id)
        if found:
            problems.append({"number": number, "filename": base_name(upload.filename), "findings": found,
                             "proposal": redacted_name(stem, found)})
    return problems


def stage_for_naming(user_id: int, files, problems: list[dict], payload: dict) -> tuple[str, dict]:
    """Keep an upload whose file names hold identifiers until the uploader confirms a name for each: the files
    are stored under their proposed names, and the job's payload (without the original names) under a token
    only this user can use. Returns (token, pending payload). The caller commits."""
    proposals = {p["number"]: p["proposal"] for p in problems}
    names = [proposals[n] + os.path.splitext(base_name(f.filename))[1] if n in proposals else base_name(f.filename)
             for n, f in enumerate(files)]
    batch, saved = save_uploads(files, names)
    for number, item in enumerate(saved):
        item["proposal"] = proposals.get(number)
    pending = {**payload, "files": saved, "batch": batch}
    token = uuid.uuid4().hex
    storage().put(f"{PENDING_PREFIX}{user_id}-{token}", json.dumps(pending).encode(), content_type="application/json",
                  filename="pending.json", expires_in=UPLOAD_KEEP)
    return token, pending


def pending_upload(user_id: int, token: str) -> dict | None:
    """The staged payload of ``token`` (this user's only), or ``None``."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    try:
        return json.loads(storage().get(f"{PENDING_PREFIX}{user_id}-{token}"))
    except StoredFileNotFound:
        return None


def confirm_names(pending: dict, chosen: dict[int, str]) -> dict[int, str]:
    """Check the names the uploader typed for the flagged files (``{file number: name}``); returns problems by
    file number (empty name, too long, a name already in the project, or a certain identifier)."""
    errors: dict[int, str] = {}
    for number, item in enumerate(pending["files"]):
        if item.get("proposal") is None:
            continue
        name = " ".join((chosen.get(number) or "").split())
        if not name:
            errors[number] = "give the document a name"
        elif len(name) > NAME_LIMIT:
            errors[number] = f"at most {NAME_LIMIT} characters"
        elif found := naming.findings(name, pending["clinic_id"], confirmed=True):
            errors[number] = f"“{name}” holds {naming.describe(found)}"
        else:
            item["name"] = name
            item["filename"] = name + os.path.splitext(item["filename"])[1]
    return errors


def discard_pending(user_id: int, token: str) -> None:
    storage().delete(f"{PENDING_PREFIX}{user_id}-{token}")


@job(IMPORT_JOB)
def import_transcripts_job(ctx: JobContext, project_id: int, clinic_id: int, kind: str, files: list[dict],
                           batch: str, interview_date: str | None = None, interviewer: str | None = None,
                           user_id: int | None = None) -> dict:
    """Import uploaded transcripts; idempotent (a re-run skips the files this job already imported)."""
    settings = ImportSettings(project_id, clinic_id, kind, date.fromisoformat(interview_date) if interview_date else None,
                              interviewer, user_id, ctx.job_id, redact_names=True)

    def reader(key: str) -> Callable[[], bytes]:
        def read() -> bytes:
            try:
                return storage().get(key)
            except StoredFileNotFound as exc:
                raise OSError(errno.ENOENT, "the uploaded file is no longer stored") from exc
        return read

    try:
        if db.session.get(QualProject, project_id) is None or db.session.get(Clinic, clinic_id) is None:
            raise ValueError("The project or clinic was deleted before the import ran.")
        outcomes = import_files(settings, [(f["filename"], reader(f["key"]), f.get("name")) for f in files],
                                len(files), ctx.progress)
        renamed = [{**f, "filename": o.filename} for f, o in zip(files, outcomes, strict=True)]
        if renamed != files:  # a name redacted after parsing (a speaker's): the job's record keeps only the new one
            db.session.execute(sa.update(Job).where(Job.id == ctx.job_id).values(payload={**ctx.payload,
                                                                                         "files": renamed}))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        # The raw files hold identifiers: keep them no longer than needed. A job that raised is marked failed and
        # never re-run, so its files go too; only a worker killed mid-way leaves them for the re-run.
        storage().delete_prefix(batch)
        db.session.commit()
    return {
        "project_id": project_id,
        "summary": summary(outcomes),
        "imported": [o.as_dict() for o in outcomes if o.ok],
        "failed": [o.as_dict() for o in outcomes if not o.ok],
    }


def import_jobs(project: QualProject, limit: int = 20) -> list[Job]:
    """The project's recent import jobs, newest first."""
    recent = db.session.execute(
        sa.select(Job).where(Job.kind == IMPORT_JOB).order_by(Job.created_at.desc()).limit(500)
    ).scalars()
    return [j for j in recent if (j.payload or {}).get("project_id") == project.id][:limit]


# --- documents ------------------------------------------------------------------------------------------------
def documents(project: QualProject) -> list[Document]:
    from qualitative.access import scope

    stmt = (sa.select(Document).where(Document.project_id == project.id)
            .options(sa.orm.joinedload(Document.clinic)).order_by(Document.name))
    return list(db.session.execute(scope(stmt, Document)).scalars())


def turn_counts(document_ids: list[int]) -> dict[int, int]:
    if not document_ids:
        return {}
    return dict(db.session.execute(
        sa.select(DocumentTurn.document_id, sa.func.count(DocumentTurn.id))
        .where(DocumentTurn.document_id.in_(document_ids)).group_by(DocumentTurn.document_id)
    ).all())


def update_attributes(document: Document, data: dict) -> None:
    """Name, kind, clinic, date and interviewer; the name stays unique within the project. A new name holding an
    identifier (``naming.findings`` with the document's speakers; only the certain ones when ``data["confirmed"]``,
    the user having seen the proposal) raises ``naming.IdentifyingName`` and nothing is saved."""
    name = data["name"].strip()
    if name != document.name:
        naming.check(f"“{name}”", name, clinic_id=data["clinic_id"], confirmed=bool(data.get("confirmed")),
                     speakers=[t.speaker for t in document.turns])
    clash = db.session.execute(sa.select(Document.id).where(
        Document.project_id == document.project_id, Document.name == name, Document.id != document.id)).first()
    if clash:
        raise ValueError(f"The project already has a document named “{name}”.")
    document.name = name
    document.kind = data["kind"]
    document.clinic_id = data["clinic_id"]
    document.interview_date = data.get("interview_date")
    document.interviewer = (data.get("interviewer") or "").strip() or None
    db.session.commit()


def delete_document(document: Document) -> None:
    """Delete a transcript with its turns, redaction proposals, codings and the memos on it and its codings.
    Codings are deleted one by one so the audit trail records each."""
    from qualitative.models import Coding, Memo

    codings = list(db.session.execute(sa.select(Coding).where(Coding.document_id == document.id)).scalars())
    memos = db.session.execute(sa.select(Memo).where(
        Memo.project_id == document.project_id,
        sa.or_(sa.and_(Memo.target_type == "document", Memo.target_id == document.id),
               sa.and_(Memo.target_type == "coding", Memo.target_id.in_([c.id for c in codings] or [-1]))),
    )).scalars()
    for row in [*memos, *codings]:
        db.session.delete(row)
    db.session.flush()
    db.session.delete(document)
    db.session.commit()
