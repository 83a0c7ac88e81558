"""Background jobs of the analysis side. Both are idempotent: run again, they replace what an earlier attempt wrote.

- ``qual.autocode``: auto-code a whole project (pending suggestions of the rule version replaced, never duplicated).
- ``qual.export_qdpx``: put a project's .qdpx into the shared storage (``app.storage``; same bytes each time, so
  the web server that serves the download need not be the machine that ran the job); the job page links to it.
"""

from __future__ import annotations

from datetime import timedelta

from app.db import db
from app.jobs import job
from app.storage import storage
from qualitative.analysis.services import refi_export, suggestions
from qualitative.models import QualProject

QDPX_MIME = "application/zip"
KEEP = timedelta(days=7)


def export_key(job_id: str) -> str:
    """Where the export job ``job_id`` stores its file."""
    return f"qdpx-export/{job_id}"


@job("qual.autocode")
def autocode_job(ctx, qual_project_id: int, user_id: int | None = None) -> dict:
    totals = suggestions.autocode_project(qual_project_id, user_id,
                                          progress=lambda done, total, message: ctx.progress(done, total, message))
    return totals


@job("qual.export_qdpx")
def export_qdpx_job(ctx, qual_project_id: int, crlf: bool = False, positions: str = "codepoints",
                    include_unreviewed: bool = False, only_coder_id: int | None = None) -> dict:
    project = db.session.get(QualProject, qual_project_id)
    if project is None:
        raise ValueError(f"project {qual_project_id} no longer exists")
    data = refi_export.qdpx_bytes(project, crlf=crlf, positions=positions, include_unreviewed=include_unreviewed,
                                  only_coder_id=only_coder_id, progress=lambda done, total, message: ctx.progress(done, total, message))
    filename = refi_export.safe_filename(project.name, "qdpx")
    storage().purge_expired()
    # committed with the job's result, so a download never sees half a file
    storage().put(export_key(ctx.job_id), data, content_type=QDPX_MIME, filename=filename, expires_in=KEEP)
    return {"filename": filename, "bytes": len(data), "project_id": project.id}
