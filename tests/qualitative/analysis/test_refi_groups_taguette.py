"""Issue 11: sets become code/document groups (shown, exported again), Taguette codebooks (.qdc with its empty
<Sets/>, and its CSV) import with dotted names as a hierarchy on request, code keys keep letters beyond ASCII, and the
.qdpx export leaves out transcripts whose de-identification has not been applied unless a manager includes them."""

from __future__ import annotations

import io
import uuid
import zipfile

import sqlalchemy as sa

from app.db import db
from app.models import AuditEvent
from qualitative.analysis.services import refi_export, refi_import
from qualitative.codebook_io import key_from_name
from qualitative.models import Code, CodeGroup, Coding, Document, Memo
from qualitative.refiqda import import_qdpx
from tests.qualitative.refiqda.refi_support import zip_folder

# Taguette's codebook export (taguette/export.py, codebook_xml): codes named by their tag path, GUIDs uuid5 of the
# path in Taguette's namespace written upper case, no description or colour, and an empty <Sets/> after <Codes>.
TAGUETTE_NS = uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2")
TAGS = ["barriers", "barriers.space", "barriers.time", "facilitators.supervision", "Café émotions"]


def _taguette_qdc() -> bytes:
    codes = "".join(f'<Code guid="{str(uuid.uuid5(TAGUETTE_NS, t)).upper()}" name="{t}" isCodable="true"/>'
                    for t in TAGS)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette '
            f'1.4.1"><Codes>{codes}</Codes><Sets/></CodeBook>').encode()


def _taguette_csv() -> bytes:  # Taguette's codebook_csv columns
    return ("tag,parent,description,number of highlights\r\nbarriers,,Anything in the way,4\r\n"
            "barriers.space,,No room for sessions,2\r\nfacilitators.supervision,,,1\r\nCafé émotions,,,0\r\n"
            ).encode()


def _upload(client, project_id, data, name, dotted=False):
    form = {"file": (io.BytesIO(data), name)}
    if dotted:
        form["dotted"] = "y"
    return client.post(f"/qualitative/projects/{project_id}/codebook/import", data=form,
                       content_type="multipart/form-data")


def _codes(project_id):
    codes = db.session.execute(sa.select(Code).where(Code.project_id == project_id)).scalars().all()
    by_id = {c.id: c for c in codes}
    return {c.name: (c.key, by_id[c.parent_id].name if c.parent_id else None, c.codable) for c in codes}


def test_taguette_qdc_flat_and_as_a_hierarchy(world, client, login):
    login(world.users["manager"])
    pid = world.project.id
    flat = _upload(client, pid, _taguette_qdc(), "taguette.qdc")
    assert flat.status_code == 302, flat.get_data(as_text=True)
    codes = _codes(pid)
    assert codes["barriers.space"] == ("BARRIERS.SPACE", None, True)
    assert codes["Café émotions"][0] == "CAFÉ-ÉMOTIONS"  # letters kept (was CAF-MOTIONS)
    db.session.execute(sa.delete(Code).where(Code.project_id == pid, Code.key.not_in(["III", "III.J", "III.D",
                                                                                       "I.C"])))
    db.session.commit()
    tree = _upload(client, pid, _taguette_qdc(), "taguette.qdc", dotted=True)
    assert tree.status_code == 302
    codes = _codes(pid)
    assert codes["space"][1:] == ("barriers", True) and codes["time"][1] == "barriers"
    assert codes["barriers"][1:] == (None, True)  # a tag of its own: stays codable
    assert codes["facilitators"][1:] == (None, False)  # only a prefix: added as a heading
    assert codes["supervision"][1] == "facilitators"


def test_taguette_csv_codebook(world, client, login):
    login(world.users["manager"])
    pid = world.project.id
    response = _upload(client, pid, _taguette_csv(), "codebook.csv", dotted=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    codes = _codes(pid)
    assert codes["space"][1] == "barriers" and codes["supervision"][1] == "facilitators"
    assert codes["Café émotions"][0] == "Café-émotions"
    definition = db.session.execute(sa.select(Code.definition).where(Code.name == "space")).scalar_one()
    assert definition == "No room for sessions"


def test_keys_keep_letters_and_stay_unique_and_safe():
    used: set[str] = set()
    assert [key_from_name(n, used) for n in ("Café émotions", "Café émotions", "a/b <c> \"d\"", "Ἀθῆναι", "")] == [
        "Café-émotions", "Café-émotions-2", "a-b-c-d", "Ἀθῆναι", "code"]


def test_sets_become_groups_shown_and_exported_again(world, client, login):
    qda = refi_import.read_qdpx(zip_folder("nvivo"))
    result = refi_import.import_project(qda, world.users["manager"], {}, list(world.clinics.values()),
                                        world.clinics["HFR-2"], project_name="With sets")
    group = db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == result.project.id)).scalar_one()
    assert (group.name, [d.name for d in group.documents], group.kind_label) == ("Leaders", ["Director interview"],
                                                                                "documents")
    login(world.users["manager"])
    page = client.get(f"/qualitative/projects/{result.project.id}/codebook").get_data(as_text=True)
    assert "Code and document groups" in page and "Leaders" in page
    again = import_qdpx(refi_export.qdpx_bytes(result.project, include_unreviewed=True))
    assert [(s.guid, s.name, len(s.source_refs)) for s in again.sets] == [
        ("ff000000-0000-4000-8000-0000000000f1", "Leaders", 1)]


def test_code_sets_from_a_file(world):
    """A MAXQDA/ATLAS.ti code group: <Set> with <MemberCode>s."""
    data = zip_folder("maxqda")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        qde = zf.read("project.qde").decode()
        sources = {n: zf.read(n) for n in zf.namelist() if n != "project.qde"}
    first_code = qde.split('<Code ', 1)[1].split('guid="', 1)[1].split('"', 1)[0]
    qde = qde.replace("</Project>", f'<Sets><Set guid="{uuid.uuid4()}" name="Barriers group"><Description>All '
                      f'barriers</Description><MemberCode targetGUID="{first_code}"/></Set></Sets></Project>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("project.qde", qde)
        for name, payload in sources.items():
            zf.writestr(name, payload)
    qda = refi_import.read_qdpx(buffer.getvalue())
    result = refi_import.import_project(qda, world.users["manager"], {}, list(world.clinics.values()),
                                        world.clinics["HFR-2"], project_name="Code sets")
    group = db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == result.project.id)).scalar_one()
    assert group.kind_label == "codes" and group.description == "All barriers" and len(group.codes) == 1
    exported = refi_export.build_qda_project(result.project)
    assert exported.sets[0].code_refs and exported.sets[0].description == "All barriers"


def test_export_leaves_out_unreviewed_transcripts_unless_included(world, client, login, runner, tmp_path):
    pending = world.document("Pending interview", world.clinics["SPR-1"], [("Counselor", "Names here: Jane Doe.")])
    pending.deidentification = "pending"
    reviewed = world.document("Reviewed interview", world.clinics["SPR-1"], [("Counselor", "All fine.")])
    db.session.commit()
    world.code_turn(pending, 0, world.codes["III.D"], world.users["ana"])
    world.code_turn(reviewed, 0, world.codes["III.D"], world.users["ana"])
    db.session.add(Memo(project_id=world.project.id, target_type="document", target_id=pending.id,
                        author_id=world.users["manager"].id, title="On pending", text="Jane said..."))
    db.session.commit()
    qda = refi_export.build_qda_project(world.project)
    assert [s.name for s in qda.sources] == ["Reviewed interview"] and not any("Jane" in n.text for n in qda.notes)
    login(world.users["manager"])
    page = client.get(f"/qualitative/projects/{world.project.id}/exchange").get_data(as_text=True)
    assert "1 transcript of this project has not had de-identification applied (Pending interview)" in page
    plain = client.post(f"/qualitative/projects/{world.project.id}/exchange/qdpx", data={"positions": "codepoints"})
    assert b"Jane Doe" not in b"".join(zipfile.ZipFile(io.BytesIO(plain.data)).read(n)
                                        for n in zipfile.ZipFile(io.BytesIO(plain.data)).namelist())
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export-unreviewed")).first() is None
    included = client.post(f"/qualitative/projects/{world.project.id}/exchange/qdpx",
                           data={"positions": "utf16", "include_unreviewed": "y"})
    with zipfile.ZipFile(io.BytesIO(included.data)) as zf:
        assert any(b"Jane Doe" in zf.read(n) for n in zf.namelist())
        assert b"UTF-16 code units" in zf.read("project.qde")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export-unreviewed")).scalar_one()
    assert event.user_id == world.users["manager"].id and event.changes["documents"][0]["name"] == "Pending interview"
    out = runner.invoke(args=["export-qdpx", str(tmp_path / "p.qdpx"), "--project", world.project.name])
    assert out.exit_code == 0 and "Left out 1 transcript(s)" in out.output
    assert db.session.execute(sa.select(sa.func.count(Coding.id)).join(Document)).scalar() == 2


# A codebook with code groups, as ATLAS.ti and MAXQDA write them in a .qdc (Codebook.xsd: <Set> with
# <MemberCode guid=...>); GUIDs braced upper case as ATLAS.ti writes them.
def _qdc_with_sets() -> bytes:
    g = [f"{{{str(uuid.uuid5(TAGUETTE_NS, f'code-{i}')).upper()}}}" for i in range(4)]
    s = [str(uuid.uuid5(TAGUETTE_NS, f"set-{i}")).upper() for i in range(2)]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti '
            f'23.2.3"><Codes><Code guid="{g[0]}" name="Barriers" isCodable="true" color="#e06c75">'
            f'<Description>Things in the way</Description><Code guid="{g[1]}" name="Space" isCodable="true"/></Code>'
            f'<Code guid="{g[2]}" name="Supervision" isCodable="true"/><Code guid="{g[3]}" name="Émotions" '
            f'isCodable="true"/></Codes><Sets><Set guid="{s[0]}" name="Context"><Description>Where MIO runs'
            f'</Description><MemberCode guid="{g[1]}"/><MemberCode guid="{g[2]}"/></Set>'
            f'<Set guid="{s[1]}" name="Feelings"><MemberCode guid="{g[3]}"/></Set></Sets></CodeBook>').encode()


def test_sets_in_a_standalone_codebook_become_code_groups_and_are_written_again(world, client, login):
    from qualitative.refiqda import read_qdc

    codes, sets = read_qdc(_qdc_with_sets())
    assert [(s.name, s.description, len(s.code_refs)) for s in sets] == [("Context", "Where MIO runs", 2),
                                                                         ("Feelings", "", 1)]
    login(world.users["manager"])
    pid = world.project.id
    response = _upload(client, pid, _qdc_with_sets(), "atlas.qdc")
    assert response.status_code == 302, response.get_data(as_text=True)
    groups = {g.name: (g.description, sorted(c.name for c in g.codes))
              for g in db.session.execute(sa.select(CodeGroup).where(CodeGroup.project_id == pid)).scalars()}
    assert groups == {"Context": ("Where MIO runs", ["Space", "Supervision"]), "Feelings": (None, ["Émotions"])}
    page = client.get(f"/qualitative/projects/{pid}/codebook").get_data(as_text=True)
    assert "Context" in page and "Feelings" in page
    # both codebook exports write the groups back as <Sets>, valid against Codebook.xsd
    import xmlschema

    from tests.qualitative.refiqda.refi_support import refi_schema_dir

    schema = xmlschema.XMLSchema(str(refi_schema_dir() / "Codebook.xsd"))
    for url in (f"/qualitative/projects/{pid}/codebook.qdc", f"/qualitative/projects/{pid}/exchange/codebook.qdc"):
        data = client.get(url).data
        schema.validate(data.decode())
        _, back = read_qdc(data)
        assert sorted((s.name, len(s.code_refs)) for s in back) == [("Context", 2), ("Feelings", 1)], url


def test_a_codebook_set_naming_an_unknown_code_is_refused_whole(world, client, login):
    data = _qdc_with_sets().replace(b"</Set><Set", b'<MemberCode guid="00000000-0000-4000-8000-000000000000"/>'
                                    b"</Set><Set", 1)
    login(world.users["manager"])
    before = db.session.execute(sa.select(sa.func.count(Code.id)).where(Code.project_id == world.project.id)
                                ).scalar_one()
    response = _upload(client, world.project.id, data, "atlas.qdc")
    assert response.status_code == 400
    assert "set &#39;Context&#39;: member 00000000-0000-4000-8000-000000000000 is not a code of this codebook" in \
        response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Code.id)).where(Code.project_id == world.project.id)
                              ).scalar_one() == before
