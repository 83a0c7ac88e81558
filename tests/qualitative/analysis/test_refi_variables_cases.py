"""Everything else in a REFI-QDA file (issue 11): variables of every type with their values on sources and cases,
cases with their member sources, notes on the project, a source and a selection, descriptions and colours survive
import and re-export (import -> export -> import gives the same); the import records whether the transcripts were
de-identified before (audited), so exports do not force the include box for them."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
import xmlschema

from app.db import db
from app.models import AuditEvent
from qualitative.analysis.services import refi_export, refi_import
from qualitative.models import Case, Document, Memo, QualProject, Variable, VariableValue
from qualitative.refiqda import QdaNote, QdaSet, export_qdpx, import_qdpx, iter_codes, stable_guid
from tests.qualitative.refiqda.refi_support import WHEN, build_sample_project, refi_schema_dir


def _file() -> bytes:
    """The sample project (6 variable types, a case with all of them, source description, colours, a note on a
    selection) plus a project note, a note on a source, a note on a code and a document set with a description and
    a note."""
    qda = build_sample_project()
    qda.notes += [QdaNote(stable_guid("note", 2), "Project memo", "Coding round one.", qda.users[0].guid, WHEN),
                  QdaNote(stable_guid("note", 3), "On C03", "Noisy recording.", qda.users[1].guid, WHEN),
                  QdaNote(stable_guid("note", 4), "Why wave 1", "Recruited before May.", qda.users[0].guid, WHEN),
                  QdaNote(stable_guid("note", 5), "Stigma scope", "Include self-stigma.", qda.users[0].guid, WHEN)]
    qda.codes[0].children[0].note_refs = [stable_guid("note", 5)]  # a note on the code "Stigma"
    qda.sources[1].note_refs = [stable_guid("note", 3)]
    qda.sources[1].description = "Counselor group, second wave"
    qda.sets = [QdaSet(stable_guid("set", 1), "Wave 1", "Interviews of the first wave",
                       source_refs=[s.guid for s in qda.sources], note_refs=[stable_guid("note", 4)])]
    return export_qdpx(qda, origin="NVivo for Windows 12.6")


def _by_name(qda) -> dict:
    """What must survive, keyed by names (GUIDs of rows the platform makes may differ)."""
    var = {v.guid: v.name for v in qda.variables}
    src = {s.guid: s.name for s in qda.sources}
    sel_src = {x.guid: s.name for s in qda.sources for x in s.selections}
    notes_on = {ref: ("set", item.name) for item in qda.sets for ref in item.note_refs}
    notes_on |= {ref: ("code", c.name) for c in iter_codes(qda.codes) for ref in c.note_refs}
    for s in qda.sources:
        for ref in s.note_refs:
            notes_on[ref] = ("source", s.name)
        for x in s.selections:
            for ref in x.note_refs:
                notes_on[ref] = ("selection", sel_src[x.guid], s.text[x.start:x.end])
    return {
        "project": qda.description,  # the name is the one the analyst gave the new project
        "variables": [(v.name, v.type, v.description) for v in qda.variables],
        "cases": [(c.name, c.description, sorted((var[g], str(v)) for g, v in c.variable_values.items()),
                   sorted(src[g] for g in c.source_refs)) for c in qda.cases],
        "sources": sorted((s.name, s.description, sorted((var[g], str(v)) for g, v in s.variable_values.items()))
                          for s in qda.sources),
        "codes": [(c.name, c.color, c.is_codable, c.description) for c in iter_codes(qda.codes)],
        "notes": sorted((n.name, n.text, notes_on.get(n.guid, ("project",))) for n in qda.notes
                        if n.name != "REFI-QDA import"),
        "sets": [(s.name, s.description, sorted(src[g] for g in s.source_refs), len(s.note_refs)) for s in qda.sets],
    }


def _import(world, data: bytes, name: str, deidentified: bool = False):
    qda = refi_import.read_qdpx(data)
    mapping = refi_import.suggest_user_mapping(qda, [])
    return refi_import.import_project(qda, world.users["manager"], mapping, list(world.clinics.values()),
                                      world.clinics["SPR-1"], project_name=name, deidentified=deidentified)


def test_variables_cases_notes_descriptions_and_colours_survive_a_round_trip(world):
    data = _file()
    first = import_qdpx(data)
    result = _import(world, data, "Round trip", deidentified=True)
    assert (result.variables, result.cases, result.values) == (6, 1, 7)  # 6 on the case, 1 on a source
    exported = refi_export.qdpx_bytes(result.project)  # de-identified before import: no include box needed
    schema = xmlschema.XMLSchema(str(refi_schema_dir() / "Project.xsd"))
    with zipfile.ZipFile(io.BytesIO(exported)) as zf:
        schema.validate(zf.read("project.qde").decode())  # NoteRef on a code, sets with notes, every value type
    again = import_qdpx(exported)
    expected, got = _by_name(first), _by_name(again)
    # the platform adds its own variables (document kind, clinic) and its clinic case; the file's are all there
    platform_vars = {name for name, *_ in got["variables"]} - {name for name, *_ in expected["variables"]}
    assert platform_vars == {"Document kind", "Participant role"}
    got["variables"] = [v for v in got["variables"] if v[0] not in platform_vars]
    got["sources"] = [(n, d, [v for v in vals if v[0] not in platform_vars]) for n, d, vals in got["sources"]]
    assert [c for c in got["cases"] if c[0] == "SPR-1"] and got["cases"][0] == expected["cases"][0]
    got["cases"] = [c for c in got["cases"] if c[0] != "SPR-1"]
    expected_sources = [(n, d, vals) for n, d, vals in expected["sources"]]
    # the file's own "Clinic" value stays on M01; C03 had none, so the platform fills in its clinic under that name
    assert got["sources"] == [(n, d, sorted(vals + ([("Clinic", "SPR-1")] if n == "Counselor C03" else [])))
                              for n, d, vals in expected_sources]
    got["sources"] = expected["sources"]
    assert got == expected
    # and a second round gives the same again
    result2 = _import(world, exported, "Round trip 2", deidentified=True)
    assert _by_name(import_qdpx(refi_export.qdpx_bytes(result2.project))) == _by_name(again)


def test_variables_and_cases_are_stored_as_the_file_states_them(world):
    result = _import(world, _file(), "Stored")
    project = result.project
    variables = db.session.execute(sa.select(Variable).where(Variable.project_id == project.id)
                                   .order_by(Variable.position)).scalars().all()
    assert [(v.name, v.type) for v in variables] == [("Clinic", "Text"), ("Consented", "Boolean"),
                                                     ("Sessions", "Integer"), ("RF score", "Float"),
                                                     ("Enrolled", "Date"), ("Interviewed", "DateTime")]
    case = db.session.execute(sa.select(Case).where(Case.project_id == project.id)).scalar_one()
    assert (case.name, case.description, [d.name for d in case.documents]) == ("Mother 01", "Randomised to MIO",
                                                                              ["Interview M01"])
    values = dict(db.session.execute(sa.select(Variable.name, VariableValue.value).join(VariableValue.variable)
                                     .where(VariableValue.case_id == case.id)).all())
    assert values == {"Clinic": "Clinic A", "Consented": "true", "Sessions": "9", "RF score": "4.25",
                      "Enrolled": "2024-05-02", "Interviewed": "2024-06-01T10:30:00Z"}
    docs = {d.name: d for d in project.documents}
    assert docs["Interview M01"].description == "First interview"
    assert project.description == "Pilot interviews"  # the file's project description
    memos = {m.title: m.target_type for m in db.session.execute(sa.select(Memo).where(Memo.project_id == project.id))
             .scalars()}
    assert memos["Project memo"] == "project" and memos["On C03"] == "document" and memos["Memo"] == "coding"
    assert memos["Why wave 1"] == "group" and memos["Stigma scope"] == "code"


def test_deidentification_stated_at_import_is_audited_and_exports_without_asking(world):
    not_stated = _import(world, _file(), "Not stated")
    assert {d.deidentification for d in not_stated.project.documents} == {"skipped"}
    assert refi_export.build_qda_project(not_stated.project).sources == []  # the manager must include them
    stated = _import(world, _file(), "Stated", deidentified=True)
    assert {d.deidentification for d in stated.project.documents} == {"applied"}
    assert len(refi_export.build_qda_project(stated.project).sources) == 2
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "import-deidentified")).scalar_one()
    assert event.entity_id == str(stated.project.id) and event.changes["stated_by"] == "manager@example.org"
    assert sorted(d["name"] for d in event.changes["documents"]) == ["Counselor C03", "Interview M01"]
    memo = db.session.execute(sa.select(Memo).where(Memo.project_id == stated.project.id,
                                                    Memo.title == "REFI-QDA import")).scalar_one()
    assert "stated that these transcripts were de-identified before import" in memo.text
    assert "6 variables (7 values), 1 cases" in memo.text


def test_cli_deidentified_flag(world, runner, tmp_path):
    path = tmp_path / "f.qdpx"
    path.write_bytes(_file())
    out = runner.invoke(args=["import-qdpx", str(path), "--project", "CLI stated", "--clinic", "SPR-1",
                              "--user", "manager@example.org", "--deidentified"])
    assert out.exit_code == 0, out.output
    assert "6 variables (7 values), 1 cases" in out.output and "marked de-identified, as stated" in out.output
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "CLI stated")).scalar_one()
    assert {d.deidentification for d in db.session.execute(sa.select(Document).where(
        Document.project_id == project.id)).scalars()} == {"applied"}
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "import-deidentified")).scalar_one()
    assert event.actor == "cli:import-qdpx"


def test_variables_and_cases_show_on_the_project_and_document_pages_of_members_only(world, client, login):
    result = _import(world, _file(), "Shown", deidentified=True)
    project = result.project
    m01 = next(d for d in project.documents if d.name == "Interview M01")
    login(world.users["manager"])  # the importer manages the new project
    page = client.get(f"/qualitative/projects/{project.id}").get_data(as_text=True)
    assert "Cases and variables" in page and "n = 1 case" in page and "values on 1 transcript" in page
    assert "<strong>RF score</strong> (Float): Reflective functioning" in page
    assert '<th scope="row">Mother 01</th><td>Randomised to MIO</td><td>Clinic A</td><td>true</td><td>9</td>' in page
    doc = client.get(f"/qualitative/documents/{m01.id}").get_data(as_text=True)
    assert "Variables (1) and cases (1) from the imported file" in doc and "First interview" in doc
    assert "Case <strong>Mother 01</strong>: Clinic = Clinic A; Consented = true; Sessions = 9" in doc
    client.post("/auth/logout")
    login(world.users["outsider"])  # not a member of the imported project
    assert client.get(f"/qualitative/projects/{project.id}").status_code in (403, 404)
    assert client.get(f"/qualitative/documents/{m01.id}").status_code in (403, 404)


def test_the_web_import_asks_and_records_the_deidentification(world, client, login):
    import io

    login(world.users["ana"])
    step1 = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(_file()), "f.qdpx"), "target": "new", "project_name": "Web stated",
        "clinic_id": str(world.clinics["SPR-1"].id), "project_id": "0"}, content_type="multipart/form-data")
    page = step1.get_data(as_text=True)
    assert step1.status_code == 200 and 'name="deidentified"' in page and "audit trail" in page
    assert "5 notes, 6 variables, 1 case and 1 set (code or document groups); all are imported." in page
    token = page.split('name="token" value="')[1].split('"')[0]
    done = client.post("/qualitative/import-qdpx/confirm", data={
        "token": token, "target": "new", "project_name": "Web stated", "project_id": "0",
        "clinic_id": str(world.clinics["SPR-1"].id), "deidentified": "1"})
    assert done.status_code == 302
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "Web stated")).scalar_one()
    assert {d.deidentification for d in project.documents} == {"applied"}
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "import-deidentified")).scalar_one()
    assert event.user_id == world.users["ana"].id and event.changes["stated_by"] == "ana@example.org"


def test_cli_export_counts_the_codings_it_wrote(world, runner, tmp_path):
    """Transcripts left out take their codings with them, and the summary counts what the file holds."""
    result = _import(world, _file(), "Counted")
    assert result.codings == 5
    out = runner.invoke(args=["export-qdpx", str(tmp_path / "a.qdpx"), "--project", "Counted"])
    assert out.exit_code == 0, out.output
    assert "Left out 2 transcript(s)" in out.output and "bytes, 0 codings)" in out.output
    out = runner.invoke(args=["export-qdpx", str(tmp_path / "b.qdpx"), "--project", "Counted",
                              "--include-unreviewed"])
    assert "bytes, 5 codings)" in out.output
    back = import_qdpx((tmp_path / "b.qdpx").read_bytes())
    assert sum(len(x.codings) for s in back.sources for x in s.selections) == 5
