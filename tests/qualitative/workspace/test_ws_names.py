"""Identifiers kept out of transcript names (issue 14, item 4): a transcript named after a participant
(``Interview_Jane_Smith_2026-03-01.docx``) keeps her name nowhere: the upload page asks for a name first (proposing
``Interview_[NAME]_2026-03-01``), the command line refuses or takes ``--name``, the import job redacts a speaker's
name it finds after parsing, and renaming runs the same check. The detector is
``qualitative.deidentify.detectors.identifiers_in_name``; the expected values below are written by hand."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from app.db import db
from app.jobs import Job
from app.models import AuditEvent
from app.storage import StoredFile
from qualitative.deidentify.detectors import identifiers_in_name, redacted_name
from qualitative.models import Document

TRANSCRIPT = b"Interviewer: How was the first session?\n\nMother: Hard at first, then better.\n"


@pytest.mark.parametrize(("name", "known", "expected"), [
    ("Interview_Jane_Smith_2026-03-01", (), "Interview_[NAME]_2026-03-01"),  # the example
    ("JaneSmith_interview", (), "[NAME]_interview"),
    ("interview_jane_smith", ("Jane Smith",), "interview_[NAME]"),  # lower case: found through the known name
    ("smith-final", ("Renee Smith",), "[NAME]-final"),  # a last name alone
    ("Interview_Renée_Alvarez", (), "Interview_[NAME]"),
    ("Mother_M07_1234_North_Elm_Street", (), "Mother_M07_[ADDRESS]"),
    ("call 555-123-4567 jane.doe@example.org", (), "call [PHONE] [EMAIL]"),
    ("Jane_Doe_born_1990-01-01", (), "[NAME]_born_[DOB]"),
])
def test_identifiers_in_a_name_are_found_and_redacted(name, known, expected):
    assert redacted_name(name, identifiers_in_name(name, known)) == expected


@pytest.mark.parametrize("name", ["focus_group_plain", "Interview_SPR1_Counselor_A2", "Otter_transcript_Final_v2",
                                  "Interview 3", "Focus Group March 2026", "HFR-2 supervisors 2026-05-04"])
def test_ordinary_transcript_names_pass(name):
    assert identifiers_in_name(name) == []


def test_place_words_and_certainty():
    assert identifiers_in_name("Springfield_Focus_Group", common_words=["Springfield"]) == []
    [possible] = identifiers_in_name("Interview_Jane")
    assert (possible.text, possible.certain) == ("Jane", False)
    [known] = identifiers_in_name("Interview_Jane", ["Jane Smith"])
    assert known.certain


def _upload(client, project, org, files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files], "clinic_id": str(org["clinic"].id),
            "kind": "interview", "interview_date": "", "interviewer": ""}
    return client.post(f"/qualitative/projects/{project.id}/upload", data=data, content_type="multipart/form-data")


def _stored_anywhere(needle: str) -> list[str]:
    """Where ``needle`` is kept: documents, jobs, the audit trail, stored files (names and metadata)."""
    places = []
    for doc in db.session.execute(sa.select(Document)).scalars():
        if needle.lower() in f"{doc.name} {doc.source_filename}".lower():
            places.append(f"document {doc.id}")
    for job in db.session.execute(sa.select(Job)).scalars():
        if needle.lower() in json.dumps([job.title, job.payload, job.result, job.message, job.error]).lower():
            places.append(f"job {job.id}")
    for event in db.session.execute(sa.select(AuditEvent)).scalars():
        if needle.lower() in json.dumps(event.changes).lower():
            places.append(f"audit {event.id}")
    for stored in db.session.execute(sa.select(StoredFile)).scalars():
        if needle.lower() in f"{stored.key} {stored.filename}".lower():
            places.append(f"stored file {stored.key}")
    return places


def test_the_upload_page_asks_for_a_name_and_keeps_the_original_nowhere(client, login, people, project, org):
    login(people["coder"])
    page = _upload(client, project, org, [("Interview_Jane_Smith_2026-03-01.txt", TRANSCRIPT),
                                          ("fg_spr1.txt", TRANSCRIPT)])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Interview_[NAME]_2026-03-01"' in html
    assert "what may be a name (“Jane_Smith”)" in html and "“fg_spr1.txt” (its name holds no identifier)" in html
    assert db.session.execute(sa.select(Job)).first() is None and db.session.execute(sa.select(Document)).first() is None
    assert _stored_anywhere("Smith") == []  # staged under the proposed name
    token = html.split('name="token" value="')[1].split('"')[0]
    url = f"/qualitative/projects/{project.id}/upload/names"
    refused = client.post(url, data={"token": token, "name-0": "Interview jane@example.org"})
    assert refused.status_code == 400 and "holds a e-mail address (“jane@example.org”)" in refused.get_data(as_text=True)
    empty = client.post(url, data={"token": token, "name-0": " "})
    assert empty.status_code == 400 and "give the document a name" in empty.get_data(as_text=True)
    assert client.post(url, data={"token": "f" * 32, "name-0": "x"}).status_code == 400
    done = client.post(url, data={"token": token, "name-0": "Interview_[NAME]_2026-03-01"})
    assert done.status_code == 302 and "/jobs/" in done.headers["Location"]
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert job.status == "done" and job.result["failed"] == [], job.result
    names = {d.name: d.source_filename for d in db.session.execute(sa.select(Document)).scalars()}
    assert names == {"Interview_[NAME]_2026-03-01": "Interview_[NAME]_2026-03-01.txt", "fg_spr1": "fg_spr1.txt"}
    assert _stored_anywhere("Smith") == [] and _stored_anywhere("Jane") == []
    assert client.post(url, data={"token": token, "name-0": "x"}).status_code == 400  # used


def test_cancel_deletes_the_staged_files(client, login, people, project, org):
    login(people["coder"])
    html = _upload(client, project, org, [("Notes Maria Lopez.txt", TRANSCRIPT)]).get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    gone = client.post(f"/qualitative/projects/{project.id}/upload/names",
                       data={"token": token, "action": "cancel"})
    assert gone.status_code == 302
    assert db.session.execute(sa.select(sa.func.count(StoredFile.id))).scalar() == 0


def test_the_job_redacts_a_speakers_name_found_after_parsing(client, login, people, project, org):
    login(people["coder"])
    data = b"Interviewer: Hello.\n\nMaria Lopez: Hi, I came with my son.\n"
    assert _upload(client, project, org, [("interview_maria_lopez.txt", data)]).status_code == 302  # lower case
    job = db.session.execute(sa.select(Job)).scalar_one()
    [document] = db.session.execute(sa.select(Document)).scalars()
    assert (document.name, document.source_filename) == ("interview_[NAME]", "interview_[NAME].txt")
    assert "the document is named “interview_[NAME]”" in job.result["imported"][0]["warnings"][0]
    assert _stored_anywhere("maria") == [] and _stored_anywhere("lopez") == []


def test_the_command_refuses_or_takes_a_name(runner, app_ctx, project, org, tmp_path):
    path = tmp_path / "Interview_Jane_Smith_2026-03-01.txt"
    path.write_bytes(TRANSCRIPT)
    base = ["import-transcript", str(path), "--project", project.name, "--clinic", "SPR-1", "--kind", "interview"]
    refused = runner.invoke(args=base)
    assert refused.exit_code == 1
    assert "what may be a name (“Jane_Smith”); nothing imported" in refused.output
    assert "--name “Interview_[NAME]_2026-03-01”" in refused.output
    assert db.session.execute(sa.select(Document)).first() is None
    bad_name = runner.invoke(args=[*base, "--name", "Interview 555-123-4567"])
    assert bad_name.exit_code == 1 and "a phone number (“555-123-4567”)" in bad_name.output
    two = runner.invoke(args=[*base[:2], str(path), *base[2:], "--name", "X"])
    assert two.exit_code != 0 and "--name names one document" in two.output
    named = runner.invoke(args=[*base, "--name", "Interview 7"])
    assert named.exit_code == 0, named.output
    document = db.session.execute(sa.select(Document)).scalar_one()
    assert (document.name, document.source_filename) == ("Interview 7", "Interview 7.txt")
    assert _stored_anywhere("Smith") == []


def test_renaming_runs_the_check(client, login, people, project, org, import_text):
    document = import_text("m07.txt", b"Interviewer: Hello.\n\nMaria Lopez: Hi.\n", deidentified=False)
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/edit"
    form = {"kind": "interview", "clinic_id": str(org["clinic"].id), "interview_date": "", "interviewer": ""}
    speaker = client.post(url, data={**form, "name": "Interview maria"})
    text = speaker.get_data(as_text=True)
    assert speaker.status_code == 400 and "a name (“maria”)" in text and "checked_name" not in text
    assert client.post(url, data={**form, "name": "Interview maria", "checked_name": "Interview maria"}
                       ).status_code == 400  # a speaker's name is certain: never kept
    possible = client.post(url, data={**form, "name": "Interview Brookside"})
    text = possible.get_data(as_text=True)
    assert possible.status_code == 400 and "e.g. “Interview [NAME]”" in text
    assert 'name="checked_name" value="Interview Brookside"' in text
    db.session.rollback()
    assert db.session.get(Document, document.id).name == "m07"
    kept = client.post(url, data={**form, "name": "Interview Brookside", "checked_name": "Interview Brookside"})
    assert kept.status_code == 302
    db.session.rollback()
    assert db.session.get(Document, document.id).name == "Interview Brookside"


def _legacy_document(import_text, project):
    """A transcript named after its participant before names were checked: its audit rows and import job hold
    the name (as they did)."""
    from app.jobs import JobStatus
    from qualitative.workspace.services.transcripts import IMPORT_JOB

    data = (b"Interviewer: Thanks for coming, Maria.\n\nMaria Lopez: Glad to. My cousin Jo-Anne drove me.\n")
    document = import_text("m07.txt", data, deidentified=False)
    document.name, document.source_filename = "Interview_Maria_Lopez_2026-03-01", "Interview_Maria_Lopez_2026-03-01.txt"
    db.session.add(Job(kind=IMPORT_JOB, title=f"Import 1 transcript(s) into {project.name}", status=JobStatus.DONE,
                       payload={"project_id": project.id, "files": [{"filename": document.source_filename}]},
                       message="1 of 1 files imported.",
                       result={"imported": [{"filename": document.source_filename, "name": document.name}]}))
    db.session.commit()
    assert _stored_anywhere("Lopez")  # the starting point: the name is kept in three places
    return document


def test_de_identification_redacts_the_name_and_scrubs_the_trail_and_the_job(client, login, people, project,
                                                                             import_text):
    document = _legacy_document(import_text, project)
    login(people["coder"])
    url = f"/qualitative/documents/{document.id}/deidentify"
    assert client.post(f"{url}/propose", data={"extra_names": ""}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'value="Interview_[NAME]_2026-03-01"' in page  # proposed before applying
    assert client.post(f"{url}/review", data={"action": "accept-rest"}).status_code == 302
    refused = client.post(f"{url}/apply", data={"name": "Interview Maria"})  # a redacted name is certain
    assert refused.status_code == 400 and "holds a name (“Maria”)" in refused.get_data(as_text=True)
    db.session.rollback()
    assert client.post(f"{url}/apply", data={"name": "Interview_[NAME]_2026-03-01"}).status_code == 302
    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.deidentification == "applied"
    assert (document.name, document.source_filename) == ("Interview_[NAME]_2026-03-01",
                                                         "Interview_[NAME]_2026-03-01.txt")
    for secret in ("Maria", "Lopez"):
        assert _stored_anywhere(secret) == [], secret
    job = db.session.execute(sa.select(Job)).scalar_one()
    assert job.result["imported"][0] == {"filename": "Interview_[NAME]_2026-03-01.txt",
                                         "name": "Interview_[NAME]_2026-03-01"}
    [scrub] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "redact-name")).scalars()
    assert scrub.entity_id == str(document.id) and scrub.changes["jobs"] == 1 and scrub.changes["audit_rows"] >= 2


def test_applying_with_the_proposed_name_by_default(project, import_text, people):
    from qualitative.workspace.services import deidentify

    document = _legacy_document(import_text, project)
    deidentify.propose(document)
    deidentify.accept_undecided(document)
    assert deidentify.name_after(document) == "Interview_[NAME]_2026-03-01"
    deidentify.apply(document)
    db.session.commit()
    assert document.name == "Interview_[NAME]_2026-03-01" and _stored_anywhere("Maria") == []
