"""Background jobs of the analysis side. Both are idempotent: run again, they replace what an earlier attempt wrote.

- ``qual.autocode``: auto-code a whole project (pending suggestions of the rule version replaced, never duplicated).
- ``qual.export_qdpx``: write a project's .qdpx into the instance folder (same bytes each time); the job page
  links to its download.
"""

from __future__ import annotations

import os
import time

from flask import current_app

from app.db import db
from app.jobs import job
from qualitative.analysis.services import refi_export, suggestions
from qualitative.models import QualProject

EXPORT_FOLDER = "qdpx-exports"
KEEP_SECONDS = 7 * 24 * 3600


def purge_older_than(folder: str, seconds: float) -> int:
    """Delete files in ``folder`` not modified for ``seconds`` (downloads and staged uploads are temporary)."""
    if not os.path.isdir(folder):
        return 0
    cutoff, removed = time.time() - seconds, 0
    for entry in os.scandir(folder):
        if entry.is_file() and entry.stat().st_mtime < cutoff:
            os.remove(entry.path)
            removed += 1
    return removed


def export_path(job_id: str) -> str:
    """Where the export job ``job_id`` writes its file (the id is a UUID, so no path tricks)."""
    folder = os.path.join(current_app.instance_path, EXPORT_FOLDER)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"{job_id}.qdpx")


@job("qual.autocode")
def autocode_job(ctx, qual_project_id: int, user_id: int | None = None) -> dict:
    totals = suggestions.autocode_project(qual_project_id, user_id,
                                          progress=lambda done, total, message: ctx.progress(done, total, message))
    return totals


@job("qual.export_qdpx")
def export_qdpx_job(ctx, qual_project_id: int, crlf: bool = False, positions: str = "codepoints",
                    include_unreviewed: bool = False) -> dict:
    project = db.session.get(QualProject, qual_project_id)
    if project is None:
        raise ValueError(f"project {qual_project_id} no longer exists")
    data = refi_export.qdpx_bytes(project, crlf=crlf, positions=positions, include_unreviewed=include_unreviewed,
                                  progress=lambda done, total, message: ctx.progress(done, total, message))
    path = export_path(ctx.job_id)
    purge_older_than(os.path.dirname(path), KEEP_SECONDS)
    partial = path + ".part"
    with open(partial, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)  # a download never sees half a file
    return {"filename": refi_export.safe_filename(project.name, "qdpx"), "bytes": len(data),
            "project_id": project.id}
