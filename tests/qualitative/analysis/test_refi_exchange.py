"""REFI-QDA exchange of whole projects: export validated against the REFI XSDs, import of the tool fixtures in
tests/qualitative/data/refi/, export -> import -> export stability, all-or-nothing imports, pages, job and CLI."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
import xmlschema

from app.db import db
from app.jobs import Job, JobStatus
from qualitative.analysis.services import refi_export, refi_import
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.models import Code, Coding, Document, DocumentTurn, Memo, Participant, QualProject
from qualitative.refiqda import import_qdpx, iter_codes, stable_guid
from tests.qualitative.refiqda.refi_support import refi_schema_dir, zip_folder


@pytest.fixture(scope="module")
def schemas():
    folder = refi_schema_dir()
    return xmlschema.XMLSchema(str(folder / "Project.xsd")), xmlschema.XMLSchema(str(folder / "Codebook.xsd"))


def _qde(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("project.qde").decode("utf-8")


@pytest.fixture
def rich(world):
    """Two clinics, participants with CFIR roles, codings by two coders (one overlapping), memos of each kind."""
    w = world
    lead = w.participant("Supervisor S1", w.clinics["SPR-1"], "Mid-level Leaders")
    d1 = w.document("Interview S1", w.clinics["SPR-1"], [
        ("Interviewer", "How is MIO going?"), ("Supervisor S1", "The culture helps; staffing does not.\nWe cope.")],
        participants={"Supervisor S1": lead})
    d1.interview_date = __import__("datetime").date(2026, 3, 2)
    d2 = w.document("Focus group H", w.clinics["HFR-1"], [("Counselor", "Time is short 😀."), ("Counselor", "Yes.")],
                    kind="focus-group")
    db.session.commit()
    ana, ben = w.users["ana"], w.users["ben"]
    c1 = w.code_turn(d1, 1, w.codes["III.D"], ana)
    w.code_turn(d1, 1, w.codes["III.D"], ben)
    w.coding(d1, w.codes["III.J"], ben, d1.turns[1].start + 17, d1.turns[1].start + 37)
    w.code_turn(d2, 0, w.codes["III.J"], ana)
    for target_type, target_id, text in (("coding", c1.id, "Key quote."), ("document", d2.id, "Noisy room."),
                                         ("project", None, "Round one done.")):
        db.session.add(Memo(project_id=w.project.id, target_type=target_type, target_id=target_id,
                            author_id=w.users["manager"].id, title=f"On the {target_type}", text=text))
    db.session.commit()
    return d1, d2


def test_export_is_schema_valid_and_complete(world, rich, schemas):
    project_xsd, codebook_xsd = schemas
    for crlf in (False, True):
        data = refi_export.qdpx_bytes(world.project, crlf=crlf)
        project_xsd.validate(_qde(data))
    qda = refi_export.build_qda_project(world.project)
    assert sorted(u.name for u in qda.users) == ["Ana", "Ben", "Manager"]
    top = {c.name: [k.name for k in c.children] for c in qda.codes}
    assert top == {"Inner Setting": ["Available Resources", "Culture"], "Relative Advantage": []}
    assert [v.name for v in qda.variables] == ["Document kind", "Clinic", "Interview date", "Participant role"]
    cases = {c.name: len(c.source_refs) for c in qda.cases}
    assert cases == {"HFR-1": 1, "SPR-1": 1, "Supervisor S1": 1}
    selections = [s for source in qda.sources for s in source.selections]
    assert len(selections) == db.session.execute(sa.select(sa.func.count(Coding.id))).scalar() == 4
    ana_guid = stable_guid("user", world.users["ana"].id)
    assert sum(s.creating_user == ana_guid for s in selections) == 2
    assert all(len(s.codings) == 1 for s in selections)
    assert len(qda.notes) == 3 and sum(bool(s.note_refs) for s in selections) == 1
    assert [bool(s.note_refs) for s in qda.sources] == [True, False]  # "Focus group H" sorts first
    for source in qda.sources:
        for sel in source.selections:
            assert 0 <= sel.start < sel.end <= len(source.text)
    assert refi_export.qdpx_bytes(world.project) == refi_export.qdpx_bytes(world.project)  # deterministic
    codebook_xsd.validate(refi_export.qdc_bytes(world.project).decode("utf-8"))
    with zipfile.ZipFile(io.BytesIO(refi_export.qdpx_bytes(world.project, crlf=True))) as zf:
        texts = [zf.read(n) for n in zf.namelist() if n.startswith("sources/")]
    assert any(b"\r\n" in t for t in texts)


def _canonical(data: bytes) -> dict:
    """Everything a round trip must keep: codes, sources, selections, cases, variables, notes (not the import memo)."""
    qda = import_qdpx(data)
    return {
        "users": sorted((u.guid, u.name) for u in qda.users),
        "codes": [(c.guid, c.name, c.color, c.is_codable, c.description, [k.guid for k in c.children])
                  for c in iter_codes(qda.codes)],
        "variables": [(v.guid, v.name, v.type) for v in qda.variables],
        "cases": [(c.guid, c.name, sorted(c.variable_values.items()), c.source_refs) for c in qda.cases],
        "sources": [(s.guid, s.name, s.text, sorted((k, str(v)) for k, v in s.variable_values.items()),
                     s.creation_datetime, s.note_refs,
                     [(x.guid, x.start, x.end, x.creating_user, x.creation_datetime, x.codings, x.note_refs)
                      for x in s.selections]) for s in qda.sources],
        "notes": sorted((n.guid, n.name, n.text, n.creating_user) for n in qda.notes if n.name != "REFI-QDA import"),
    }


def test_export_import_export_is_stable(world, rich, schemas):
    first = refi_export.qdpx_bytes(world.project)
    qda = refi_import.read_qdpx(first)
    candidates = [world.users[k] for k in ("ana", "ben", "manager")]
    mapping = refi_import.suggest_user_mapping(qda, candidates)
    assert sorted(mapping.values()) == sorted(u.id for u in candidates)
    result = refi_import.import_project(qda, world.users["manager"], mapping, list(world.clinics.values()),
                                        project_name="Round trip")
    assert (result.documents, result.codes, result.codings, result.memos, result.participants) == (2, 4, 4, 3, 1)
    assert result.imported_coders == []
    # issue 11: imported transcripts are "skipped" (not de-identified here), so re-exporting them is explicit
    assert refi_export.build_qda_project(result.project).sources == []
    second = refi_export.qdpx_bytes(result.project, include_unreviewed=True)
    schemas[0].validate(_qde(second))
    assert _canonical(second) == _canonical(first)
    copy = result.project
    docs = {d.name: d for d in copy.documents}
    assert docs["Interview S1"].clinic.code == "SPR-1" and docs["Focus group H"].kind == "focus-group"
    assert str(docs["Interview S1"].interview_date) == "2026-03-02"
    # CFIR names get their CFIR keys back; other names a key made from the name
    assert [c.key for c in sorted(copy.codes, key=lambda c: c.position)] == ["III", "III.J", "III.D",
                                                                             "relative-advantage"]
    culture = next(c for c in copy.codes if c.key == "III.D")
    assert culture.lexicon == ["culture", "trust"] and culture.kind == "construct"
    turns = db.session.execute(sa.select(DocumentTurn).where(DocumentTurn.document_id == docs["Interview S1"].id)
                               .order_by(DocumentTurn.index)).scalars().all()
    original = rich[0].turns
    assert [(t.speaker, t.start, t.end) for t in turns] == [(t.speaker, t.start, t.end) for t in original]
    participant = db.session.execute(sa.select(Participant).where(Participant.project_id == copy.id)).scalar_one()
    assert participant.cfir_role == "Mid-level Leaders" and turns[1].participant_id == participant.id
    third = refi_export.qdpx_bytes(copy, include_unreviewed=True)
    assert third == second


@pytest.mark.parametrize("fixture,codes,codings,note", [
    ("qualcoder", 3, 2, None), ("maxqda", 3, 2, None), ("nvivo", 3, 2, "PDFSource"), ("atlas", 2, 3, None),
])
def test_tool_fixtures_import_with_positions_preserved(world, fixture, codes, codings, note):
    data = zip_folder(fixture)
    qda = refi_import.read_qdpx(data)
    importer = world.users["ana"]
    result = refi_import.import_project(qda, importer, {}, list(world.clinics.values()), world.clinics["HFR-2"],
                                        project_name=f"From {fixture}")
    assert (result.documents, result.codes, result.codings) == (1, codes, codings)
    doc = result.project.documents[0]
    assert doc.clinic.code == "HFR-2" and doc.deidentification == "skipped"
    source = qda.sources[0]
    expected = sorted((source.text[s.start:s.end]) for s in source.selections for _ in s.codings)
    got = sorted(doc.text[c.start:c.end] for c in db.session.execute(
        sa.select(Coding).where(Coding.document_id == doc.id)).scalars())
    assert got == expected and doc.text == source.text
    # Issue 11: unmapped file users are no longer given to the importer (that merged coders): each becomes an
    # imported coder identity of its own, which cannot sign in.
    owners = {c.coder for c in db.session.execute(sa.select(Coding)).scalars()}
    assert importer not in owners and all(u.imported and not u.is_active for u in owners)
    file_users = {sel.coder_of(code) for sel in source.selections for code in sel.codings}
    assert len(owners) == len(file_users)
    memo = db.session.execute(sa.select(Memo).where(Memo.project_id == result.project.id,
                                                    Memo.title == "REFI-QDA import")).scalar_one()
    assert "became imported coders" in memo.text
    if note:
        assert note in memo.text


def test_qualcoder_note_becomes_a_coding_memo_and_users_map(world):
    qda = refi_import.read_qdpx(zip_folder("qualcoder"))
    mapping = {qda.users[0].guid: world.users["ben"].id}
    result = refi_import.import_project(qda, world.users["ana"], mapping, list(world.clinics.values()),
                                        world.clinics["SPR-1"], project_name="QC")
    memo = db.session.execute(sa.select(Memo).where(Memo.project_id == result.project.id,
                                                    Memo.target_type == "coding")).scalar_one()
    coding = db.session.get(Coding, memo.target_id)
    assert memo.text == "The baby-focused question interrupts shame." and coding.coder_id == world.users["ben"].id
    assert memo.author_id == world.users["ben"].id and result.imported_coders == []


def test_clinic_comes_from_a_case_variable(world):
    qda = refi_import.read_qdpx(zip_folder("qualcoder"))
    qda.cases[0].variable_values = {k: "hfr-1" for k in qda.cases[0].variable_values if k.endswith("a01")}
    result = refi_import.import_project(qda, world.users["ana"], {}, list(world.clinics.values()),
                                        project_name="Case clinic")
    assert result.project.documents[0].clinic.code == "HFR-1"


def _counts():
    return tuple(db.session.execute(sa.select(sa.func.count(m.id))).scalar() for m in (QualProject, Document, Code,
                                                                                      Coding, Memo))


def test_bad_files_and_targets_leave_nothing_behind(world, monkeypatch):
    before = _counts()
    with pytest.raises(AnalysisInputError, match="not a readable REFI-QDA project"):
        refi_import.read_qdpx(b"this is not a zip")
    with pytest.raises(AnalysisInputError, match="empty"):
        refi_import.read_qdpx(b"")
    qda = refi_import.read_qdpx(zip_folder("qualcoder"))
    clinics = list(world.clinics.values())
    with pytest.raises(AnalysisInputError, match="interview_m01.txt.*no clinic"):
        refi_import.import_project(qda, world.users["ana"], {}, clinics, project_name="No clinic")
    with pytest.raises(AnalysisInputError, match="already exists"):
        refi_import.import_project(qda, world.users["ana"], {}, clinics, clinics[0], project_name=world.project.name)
    with pytest.raises(AnalysisInputError, match="not empty"):
        refi_import.import_project(qda, world.users["ana"], {}, clinics, clinics[0], project=world.project)
    with pytest.raises(AnalysisInputError, match="unknown accounts"):
        refi_import.import_project(qda, world.users["ana"], {qda.users[0].guid: 987654}, clinics, clinics[0],
                                   project_name="Ghost")
    monkeypatch.setattr(refi_import, "_memos", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        refi_import.import_project(qda, world.users["ana"], {}, clinics, clinics[0], project_name="Half")
    assert _counts() == before


def test_import_into_an_existing_empty_project(world):
    empty = QualProject(name="Empty one")
    db.session.add(empty)
    db.session.commit()
    qda = refi_import.read_qdpx(zip_folder("maxqda"))
    result = refi_import.import_project(qda, world.users["ana"], {}, list(world.clinics.values()),
                                        world.clinics["SPR-2"], project=empty)
    assert result.project.id == empty.id and len(empty.documents) == 1
    assert refi_import.empty_projects([empty, world.project]) == []


def test_import_pages_two_steps(world, client, login):
    login(world.users["ana"])
    form = client.get("/qualitative/import-qdpx")
    assert form.status_code == 200 and "Clinic of the documents" in form.get_data(as_text=True)
    bad = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(b"garbage"), "x.qdpx"), "target": "new", "project_name": "P", "clinic_id": "0",
        "project_id": "0"}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "not a readable REFI-QDA project" in bad.get_data(as_text=True)
    unnamed = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(zip_folder("nvivo")), "n.qdpx"), "target": "new", "project_name": "",
        "clinic_id": "0", "project_id": "0"}, content_type="multipart/form-data")
    assert unnamed.status_code == 400 and "Name the new project" in unnamed.get_data(as_text=True)
    step1 = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(zip_folder("nvivo")), "n.qdpx"), "target": "new", "project_name": "From NVivo",
        "clinic_id": "0", "project_id": "0"}, content_type="multipart/form-data")
    page = step1.get_data(as_text=True)
    assert step1.status_code == 200 and "Analyst One" in page and "PDFSource" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    from datetime import UTC, datetime, timedelta

    from app.storage import storage

    staged = storage().info(f"qdpx-import/{world.users['ana'].id}-{token}")  # shared storage, not a local file
    assert staged.size == len(zip_folder("nvivo")) and staged.filename == "n.qdpx"
    assert timedelta(hours=23) < staged.expires_at - datetime.now(UTC) <= timedelta(days=1)
    user_guid = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
    common = {"token": token, "target": "new", "project_name": "From NVivo", "project_id": "0"}
    no_clinic = client.post("/qualitative/import-qdpx/confirm", data={**common, "clinic_id": "0"})
    assert no_clinic.status_code == 400 and "no clinic found" in no_clinic.get_data(as_text=True)
    done = client.post("/qualitative/import-qdpx/confirm", data={
        **common, "clinic_id": str(world.clinics["SPR-2"].id), f"user-{user_guid}": str(world.users["ben"].id)})
    assert done.status_code == 302
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "From NVivo")).scalar_one()
    assert {c.coder_id for c in db.session.execute(sa.select(Coding)).scalars()} == {world.users["ben"].id}
    assert str(project.documents[0].interview_date) == "2024-06-28"
    again = client.post("/qualitative/import-qdpx/confirm", data={**common, "clinic_id": "0"})
    assert again.status_code == 400  # the staged upload is gone
    assert not storage().exists(f"qdpx-import/{world.users['ana'].id}-{token}")
    assert client.post("/qualitative/import-qdpx/confirm", data={"token": "../../etc"}).status_code == 400
    client.post("/auth/logout")
    login(world.users["director"])
    assert client.get("/qualitative/import-qdpx").status_code == 403


def test_export_pages_direct_and_through_a_job(world, rich, client, login, app):
    pid = world.project.id
    login(world.users["ana"])
    assert client.post(f"/qualitative/projects/{pid}/exchange/qdpx").status_code == 403  # needs manage
    qdc = client.get(f"/qualitative/projects/{pid}/exchange/codebook.qdc")
    assert qdc.status_code == 200 and b"urn:QDA-XML:codebook:1.0" in qdc.data
    client.post("/auth/logout")
    login(world.users["manager"])
    direct = client.post(f"/qualitative/projects/{pid}/exchange/qdpx", data={"crlf": "y"})
    assert direct.status_code == 200 and direct.data[:2] == b"PK"
    assert direct.data == refi_export.qdpx_bytes(world.project, crlf=True)
    app.config["QDPX_SYNC_CODINGS"] = 0
    try:
        queued = client.post(f"/qualitative/projects/{pid}/exchange/qdpx")
    finally:
        app.config["QDPX_SYNC_CODINGS"] = 20000
    assert queued.status_code == 302 and "/jobs/" in queued.location
    job = db.session.execute(sa.select(Job).where(Job.kind == "qual.export_qdpx")).scalar_one()
    assert job.status == JobStatus.DONE and job.total == 2 and job.progress == 2
    download = client.get(job.result_url)
    assert download.status_code == 200 and download.data == refi_export.qdpx_bytes(world.project)
    partial = client.get(job.result_url, headers={"Range": "bytes=0-1"})  # streamed from the shared storage
    assert partial.status_code == 206 and partial.data == b"PK"
    client.post("/auth/logout")
    login(world.users["admin"])
    assert client.get(job.result_url).status_code == 200
    client.post("/auth/logout")
    login(world.users["rita"])
    assert client.get(job.result_url).status_code == 404
    assert client.get("/qualitative/exports/not-a-job.qdpx").status_code == 404


def test_a_blind_manager_exports_their_own_codings_until_the_sample_is_revealed(world, rich, client, login):
    from qualitative.analysis.services import blind

    manager, ana = world.users["manager"], world.users["ana"]
    mine = world.code_turn(rich[1], 1, world.codes["III.J"], manager)
    sample = blind.create_sample(world.project, "R1", [rich[0].id], [manager.id, ana.id], None, manager.id)
    login(manager)
    url = f"/qualitative/projects/{world.project.id}/exchange"
    page = client.get(url).get_data(as_text=True)
    # told before clicking
    assert "You code 1 document of a blind sample in this project" in page
    assert "only your own codings and memos" in page and "with your codings only (.qdpx)" in page
    response = client.post(f"{url}/qdpx")
    assert response.status_code == 200 and "Manager_only.qdpx" in response.headers["Content-Disposition"]
    assert response.data == refi_export.qdpx_bytes(world.project, only_coder_id=manager.id)
    qda = refi_export.build_qda_project(world.project, only_coder_id=manager.id)
    selections = [sel for src in qda.sources for sel in src.selections]
    assert [(sel.start, sel.end) for sel in selections] == [(mine.start, mine.end)]  # Ana's and Ben's are left out
    assert {sel.creating_user for sel in selections} == {qda.users[0].guid} and qda.users[0].name == "Manager"
    # the manager's memos on the project and a document stay; the one on Ana's coding goes with the coding
    assert sorted(n.text for n in qda.notes) == ["Noisy room.", "Round one done."]
    assert len(qda.sources) == 2  # the transcripts themselves are all there
    blind.set_blind(sample, False)  # revealed: the whole project
    assert "blind sample" not in client.get(url).get_data(as_text=True)
    whole = client.post(f"{url}/qdpx")
    assert whole.data == refi_export.qdpx_bytes(world.project)
    assert len([sel for src in refi_export.build_qda_project(world.project).sources for sel in src.selections]) == 5


def test_cli_export_and_import(world, rich, runner, tmp_path):
    path = tmp_path / "project.qdpx"
    result = runner.invoke(args=["export-qdpx", str(path), "--project", world.project.name, "--crlf"])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == refi_export.qdpx_bytes(world.project, crlf=True)
    imported = runner.invoke(args=["import-qdpx", str(path), "--project", "CLI copy", "--clinic", "hfr-2",
                                   "--user", "manager@example.org"])
    assert imported.exit_code == 0, imported.output
    assert "2 documents, 4 codes, 4 codings" in imported.output
    copy = db.session.execute(sa.select(QualProject).where(QualProject.name == "CLI copy")).scalar_one()
    assert {d.clinic.code for d in copy.documents} == {"SPR-1", "HFR-1"}  # from the clinic variables
    assert _canonical(refi_export.qdpx_bytes(copy, include_unreviewed=True)) == _canonical(
        refi_export.qdpx_bytes(world.project))
    again = runner.invoke(args=["import-qdpx", str(path), "--project", "CLI copy", "--clinic", "HFR-2"])
    assert again.exit_code != 0 and "not empty" in again.output
    bad_clinic = runner.invoke(args=["import-qdpx", str(path), "--project", "X", "--clinic", "ZZZ"])
    assert bad_clinic.exit_code != 0 and "no clinic with code" in bad_clinic.output
    junk = tmp_path / "junk.qdpx"
    junk.write_bytes(b"junk")
    broken = runner.invoke(args=["import-qdpx", str(junk), "--project", "Y", "--clinic", "HFR-2",
                                 "--user", "ana@example.org"])
    assert broken.exit_code != 0 and "not a readable REFI-QDA project" in broken.output
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "Y")).first() is None
    missing = runner.invoke(args=["export-qdpx", str(path), "--project", "Nope"])
    assert missing.exit_code != 0 and "no project named" in missing.output


def test_a_staged_import_expires_and_belongs_to_its_uploader(world, client, login):
    from datetime import timedelta

    from app.storage import storage

    token = "t" * 24
    ana, ben = world.users["ana"], world.users["ben"]
    storage().put(f"qdpx-import/{ana.id}-{token}", zip_folder("nvivo"), expires_in=timedelta(seconds=-1))
    storage().put(f"qdpx-import/{ben.id}-{token}", zip_folder("nvivo"), expires_in=timedelta(hours=1))
    db.session.commit()
    form = {"token": token, "target": "new", "project_name": "P", "project_id": "0", "clinic_id": "0"}
    login(ana)
    expired = client.post("/qualitative/import-qdpx/confirm", data=form)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "P")).first() is None
