"""Transcript import through the upload page (a background job, several files at once) and the CLI: every format,
each file all-or-nothing, failures named per file, and a re-run of the same job adds nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job, run_job
from qualitative.models import Document, DocumentTurn, Participant

FORMATS = [
    ("focus_group_plain.txt", "plain_txt"),
    ("focus_group_otter.txt", "otter_txt"),
    ("focus_group_zoom.vtt", "zoom_vtt"),
    ("focus_group_teams.vtt", "teams_vtt"),
    ("focus_group.srt", "srt"),
    ("focus_group.docx", "docx"),
]


def _upload(client, project, org, files, **extra):
    data = {"files": [(io.BytesIO(content), name) for name, content in files], "clinic_id": str(org["clinic"].id),
            "kind": "focus-group", "interview_date": "2026-05-04", "interviewer": "QA", **extra}
    return client.post(f"/qualitative/projects/{project.id}/upload", data=data, content_type="multipart/form-data")


def _documents(project) -> dict[str, Document]:
    rows = db.session.execute(sa.select(Document).where(Document.project_id == project.id)).scalars()
    return {d.source_filename: d for d in rows}


def test_upload_page_imports_every_format_in_one_batch(client, login, people, project, org, sample_bytes):
    login(people["coder"])
    files = [(f"{fmt}.{name.rsplit('.', 1)[1]}", sample_bytes(name)) for name, fmt in FORMATS]
    response = _upload(client, project, org, files)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert job.status == "done", job.error
    assert job.result["failed"] == []
    assert job.result["summary"] == "6 of 6 files imported."
    documents = _documents(project)
    for name, fmt in FORMATS:
        document = documents[f"{fmt}.{name.rsplit('.', 1)[1]}"]
        assert document.source_format == fmt
        assert document.kind == "focus-group" and document.clinic_id == org["clinic"].id
        assert str(document.interview_date) == "2026-05-04" and document.interviewer == "QA"
        assert document.deidentification == "pending"
        turns = document.turns
        assert turns, name
        for turn in turns:  # the stored offsets are the parser's: utterance text, not the label
            assert document.text[turn.start:turn.end].strip() == document.text[turn.start:turn.end]
    zoom = documents["zoom_vtt.vtt"]
    assert zoom.turns[1].speaker == "Renée Alvarez" and zoom.turns[1].timestamp_ms == 6100
    report = client.get(f"/qualitative/projects/{project.id}/imports")
    assert b"teams_vtt.vtt" in report.data and b"imported" in report.data
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and b"See the result" in page.data


def test_batch_with_bad_files_imports_the_good_ones_and_names_the_bad(client, login, people, project, org,
                                                                      sample_bytes):
    login(people["coder"])
    files = [
        ("good.vtt", sample_bytes("focus_group_zoom.vtt")),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 40),
        ("binary.docx", b"this is text, not a zip"),
        ("empty.txt", b""),
        ("latin.txt", b"Ana: ok\n\x00\x01\x02\x03binary"),
        ("good2.txt", sample_bytes("focus_group_plain.txt")),
    ]
    _upload(client, project, org, files)
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert job.status == "done"
    failed = {f["filename"]: f["error"] for f in job.result["failed"]}
    assert set(failed) == {"broken.docx", "binary.docx", "empty.txt", "latin.txt"}
    assert failed["broken.docx"].startswith("broken.docx:") and "corrupt zip" in failed["broken.docx"]
    assert "not a zip archive" in failed["binary.docx"]
    assert "empty" in failed["empty.txt"]
    assert "binary" in failed["latin.txt"]
    assert set(_documents(project)) == {"good.vtt", "good2.txt"}  # nothing of the bad files was kept
    assert "2 of 6 files imported; 4 failed" in job.result["summary"]
    report = client.get(f"/qualitative/projects/{project.id}/imports").data.decode()
    assert "corrupt zip" in report and "failed" in report


def test_oversized_file_is_refused(app, client, login, people, project, org, sample_bytes):
    login(people["coder"])
    app.config["QUAL_MAX_TRANSCRIPT_BYTES"] = 100
    try:
        _upload(client, project, org, [("long.txt", sample_bytes("focus_group_plain.txt"))])
    finally:
        del app.config["QUAL_MAX_TRANSCRIPT_BYTES"]
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert "over the 100-byte limit" in job.result["failed"][0]["error"]
    assert not _documents(project)


def test_duplicate_names_fail_per_file(client, login, people, project, org, sample_bytes):
    login(people["coder"])
    data = sample_bytes("focus_group_plain.txt")
    _upload(client, project, org, [("same.txt", data), ("sub/same.vtt", sample_bytes("focus_group_zoom.vtt"))])
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert len(job.result["imported"]) == 1
    assert "already has a document named “same”" in job.result["failed"][0]["error"]


def test_upload_form_errors_rerender_with_400(client, login, people, project, org):
    login(people["coder"])
    response = client.post(f"/qualitative/projects/{project.id}/upload", data={"kind": "interview", "clinic_id": "0"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert b"Choose one or more files." in response.data and b"Choose the clinic." in response.data
    assert not db.session.execute(sa.select(Job)).first()


def test_job_rerun_is_idempotent(client, login, people, project, org, sample_bytes):
    """A job run again (worker died after committing) reports the same files and adds no documents."""
    login(people["coder"])
    _upload(client, project, org, [("a.vtt", sample_bytes("focus_group_zoom.vtt"))])
    job = db.session.execute(sa.select(Job)).scalar_one()
    first = dict(job.result)
    job.status = "running"
    db.session.commit()
    # the upload folder is gone after success, so a re-run must recognise its own document rather than re-read
    run_job(job.id)
    db.session.refresh(job)
    assert job.status == "done"
    assert [f["filename"] for f in job.result["imported"]] == [f["filename"] for f in first["imported"]]
    assert len(_documents(project)) == 1


def test_speakers_matching_a_pseudonym_are_linked_on_import(project, org, import_text):
    participant = Participant(project_id=project.id, clinic_id=org["clinic"].id, pseudonym="Counselor A")
    db.session.add(participant)
    db.session.commit()
    document = import_text("fg.txt", b"Facilitator: Hello.\n\nCounselor A: Hi there.\n", deidentified=False)
    linked = {t.speaker: t.participant_id for t in document.turns}
    assert linked == {"Facilitator": None, "Counselor A": participant.id}


@pytest.mark.parametrize("name,fmt", FORMATS)
def test_cli_imports_each_format(runner, app_ctx, project, org, sample_bytes, tmp_path, name, fmt):
    path = tmp_path / name
    path.write_bytes(sample_bytes(name))
    result = runner.invoke(args=["import-transcript", str(path), "--project", project.name, "--clinic", "spr-1",
                                 "--kind", "interview", "--date", "2026-05-04", "--interviewer", "QA"])
    assert result.exit_code == 0, result.output
    assert f"[1/1] {name}: imported as" in result.output and fmt in result.output
    document = _documents(project)[name]
    assert document.source_format == fmt and str(document.interview_date) == "2026-05-04"
    assert db.session.execute(sa.select(sa.func.count(DocumentTurn.id))).scalar() == len(document.turns) > 0


def test_cli_reports_progress_per_file_and_fails_on_bad_files(runner, app_ctx, project, org, sample_bytes, tmp_path):
    good = tmp_path / "good.vtt"
    good.write_bytes(sample_bytes("focus_group_zoom.vtt"))
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    result = runner.invoke(args=["import-transcript", str(good), str(bad), "--project", project.name,
                                 "--clinic", "SPR-1", "--kind", "focus-group"])
    assert result.exit_code == 1
    assert "[1/2] good.vtt: imported as “good”" in result.output
    assert "[2/2] bad.docx: FAILED: bad.docx: is not a Word .docx file (not a zip archive)" in result.output
    assert "1 of 2 files imported; 1 failed: bad.docx." in result.output
    assert set(_documents(project)) == {"good.vtt"}


def test_cli_usage_errors(runner, app_ctx, project, org, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"A: hi")
    base = ["import-transcript", str(path), "--kind", "interview"]
    assert "no qualitative project" in runner.invoke(args=[*base, "--project", "Nope", "--clinic", "SPR-1"]).output
    assert "no clinic" in runner.invoke(args=[*base, "--project", project.name, "--clinic", "ZZZ"]).output
    out = runner.invoke(args=[*base, "--project", project.name, "--clinic", "SPR-1", "--date", "5/4/26"]).output
    assert "--date" in out


def test_uploaded_files_are_deleted_after_the_job(app, client, login, people, project, org, sample_bytes):
    """Uploads wait in the shared storage (not the web server's disk, so a worker elsewhere reads them) and are
    deleted when the job ends, whether each file imported or failed."""
    from app.storage import StoredFile, storage

    login(people["coder"])
    _upload(client, project, org, [("a.vtt", sample_bytes("focus_group_zoom.vtt")), ("b.docx", b"not a zip")])
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert job.payload["batch"].startswith("transcript-upload/") and len(job.payload["files"]) == 2
    assert all(f["key"].startswith(job.payload["batch"]) for f in job.payload["files"])
    assert not any(storage().exists(f["key"]) for f in job.payload["files"])
    assert db.session.execute(sa.select(sa.func.count(StoredFile.id))).scalar() == 0


def test_a_failing_import_job_deletes_its_uploads_too(app_ctx, org):
    from app.jobs import enqueue
    from app.storage import storage
    from qualitative.workspace.services.transcripts import IMPORT_JOB

    storage().put("transcript-upload/gone/0000", b"A: hi", filename="x.txt")
    db.session.commit()
    failed = enqueue(IMPORT_JOB, {"project_id": 10**9, "clinic_id": org["clinic"].id, "kind": "interview",
                                  "files": [{"filename": "x.txt", "key": "transcript-upload/gone/0000"}],
                                  "batch": "transcript-upload/gone/"}, title="t")
    db.session.refresh(failed)
    assert failed.status == "failed" and "deleted before the import ran" in failed.error
    assert not storage().exists("transcript-upload/gone/0000")
