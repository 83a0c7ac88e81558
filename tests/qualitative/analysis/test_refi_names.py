"""REFI-QDA sources named after a participant (issue 14, item 4): a source becomes a document named after it, so a
source named ``Interview_Jane_Smith_2026-03-01`` is refused unless the analyst names it (the mapping page proposes
``Interview_[NAME]_2026-03-01``) or the command line is told to take the proposals (``--redact-names``); the name
is then kept nowhere: not in the document, its stored file name, the import memo or the audit trail."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from qualitative.analysis.services import refi_import
from qualitative.analysis.services.common import AnalysisInputError
from qualitative.models import Document, Memo, QualProject
from qualitative.refiqda import QdaProject, QdaTextSource, QdaUser, export_qdpx, stable_guid

NAMED = "Interview_Jane_Smith_2026-03-01"
GUID = stable_guid("source", 1)


def _qdpx(name: str = NAMED, text: str = "Interviewer: How was it?\nMother: Better than I feared.") -> bytes:
    sources = [QdaTextSource(GUID, name, text), QdaTextSource(stable_guid("source", 2), "Short one", "Hello.")]
    return export_qdpx(QdaProject("Names", [QdaUser(stable_guid("user", 1), "Ana")], [], [], [], sources, []))


def _kept(needle: str) -> list[str]:
    places = [f"document {d.id}" for d in db.session.execute(sa.select(Document)).scalars()
              if needle in f"{d.name} {d.source_filename}"]
    places += [f"memo {m.id}" for m in db.session.execute(sa.select(Memo)).scalars() if needle in m.text]
    places += [f"audit {e.id}" for e in db.session.execute(sa.select(AuditEvent)).scalars()
               if needle in json.dumps(e.changes, ensure_ascii=False)]
    return places


def _import(world, qda, **options):
    return refi_import.import_project(qda, world.users["ana"], {}, list(world.clinics.values()),
                                      world.clinics["HFR-2"], project_name="Names", **options)


def test_a_source_named_after_a_participant_is_refused_with_a_proposal(world):
    qda = refi_import.read_qdpx(_qdpx())
    [problem] = refi_import.source_name_problems(qda, list(world.clinics.values()), world.clinics["HFR-2"])
    assert (problem["guid"], problem["proposal"]) == (GUID, "Interview_[NAME]_2026-03-01")
    with pytest.raises(AnalysisInputError) as refused:
        _import(world, qda)
    assert "what may be a name (“Jane_Smith”)" in str(refused.value) and "“Interview_[NAME]_2026-03-01”" in str(refused.value)
    assert refused.value.field == "source_names"
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "Names")).first() is None
    with pytest.raises(AnalysisInputError, match="holds a e-mail address"):
        _import(world, refi_import.read_qdpx(_qdpx()), source_names={GUID: "Interview jane@example.org"})


@pytest.mark.parametrize("options", [{"source_names": {GUID: "Interview_[NAME]_2026-03-01"}}, {"redact_names": True}])
def test_the_chosen_or_proposed_name_is_all_that_is_kept(world, options):
    result = _import(world, refi_import.read_qdpx(_qdpx()), **options)
    names = {d.name: d.source_filename for d in result.project.documents}
    assert names == {"Interview_[NAME]_2026-03-01": "Interview_[NAME]_2026-03-01.qdpx", "Short one": "Short one.qdpx"}
    assert _kept("Smith") == [] and _kept("Jane") == []


def test_a_speakers_name_is_found_in_a_lower_case_source_name(world):
    qda = refi_import.read_qdpx(_qdpx("maria lopez 2", "Interviewer: Hello.\nMaria Lopez: Hi."))
    with pytest.raises(AnalysisInputError, match="holds a name \\(“maria lopez”\\)"):
        _import(world, qda)


def test_the_mapping_page_asks_and_the_command_needs_the_flag(world, client, login, runner, tmp_path):
    data = _qdpx()
    login(world.users["ana"])
    step1 = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(data), "names.qdpx"), "target": "new", "project_name": "Names",
        "clinic_id": str(world.clinics["HFR-2"].id), "project_id": "0"}, content_type="multipart/form-data")
    page = step1.get_data(as_text=True)
    assert step1.status_code == 200 and f'name="source-name-{GUID}"' in page
    assert 'value="Interview_[NAME]_2026-03-01"' in page
    token = page.split('name="token" value="')[1].split('"')[0]
    common = {"token": token, "target": "new", "project_name": "Names", "project_id": "0",
              "clinic_id": str(world.clinics["HFR-2"].id)}
    refused = client.post("/qualitative/import-qdpx/confirm", data={**common, f"source-name-{GUID}": "Call 555-123-4567"})
    assert refused.status_code == 400 and "holds a phone number (“555-123-4567”)" in refused.get_data(as_text=True)
    done = client.post("/qualitative/import-qdpx/confirm", data={**common, f"source-name-{GUID}": "Interview 7"})
    assert done.status_code == 302
    assert {d.name for d in db.session.execute(sa.select(Document)).scalars()} == {"Interview 7", "Short one"}
    assert _kept("Smith") == []

    path = tmp_path / "names.qdpx"
    path.write_bytes(data)
    args = ["import-qdpx", str(path), "--project", "By CLI", "--clinic", "HFR-2", "--user", "ana@example.org"]
    command = runner.invoke(args=args)
    assert command.exit_code != 0 and "Name it, e.g. “Interview_[NAME]_2026-03-01”" in command.output
    assert runner.invoke(args=[*args, "--redact-names"]).exit_code == 0
    assert _kept("Smith") == []
