"""The project codebook: CFIR 2.0 preload, custom codes, versions, and CSV / REFI-QDA .qdc exchange with errors
naming row and column and nothing half-imported."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.db import db
from qualitative.codebook import load_cfir_codebook
from qualitative.models import Code, CodebookVersion, Coding


def _codes(project) -> dict[str, Code]:
    return {c.key: c for c in db.session.execute(sa.select(Code).where(Code.project_id == project.id)).scalars()}


def _csv_rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _upload(client, project, name: str, data: bytes):
    return client.post(f"/qualitative/projects/{project.id}/codebook/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name)})


def test_new_project_has_the_cfir_codebook_published_as_version_1(project):
    codes = _codes(project)
    kinds = [c.kind for c in codes.values()]
    assert kinds.count("construct") == 48 and kinds.count("subconstruct") == 19
    assert {c.key for c in codes.values() if c.kind == "domain"} == {"I", "II", "III", "IV", "V"}
    assert not any(c.codable for c in codes.values() if c.kind in ("domain", "subdomain"))
    assert all(c.codable for c in codes.values() if c.kind in ("construct", "subconstruct"))
    cost = codes["I.H"]
    assert cost.parent.key == "I" and cost.definition and cost.inclusion and cost.exclusion and "cost" in cost.lexicon
    assert codes["IV.ROLE.A"].display_key == "IV.A" and codes["IV.ROLE.A"].parent.key == "IV.ROLE"
    assert len(codes) == len(load_cfir_codebook())
    version = db.session.execute(sa.select(CodebookVersion)).scalar_one()
    assert version.version == 1 and project.codebook_version == 1 and len(version.snapshot) == len(codes)


def test_codebook_page_shows_the_tree(client, login, people, project):
    login(people["reader"])
    page = client.get(f"/qualitative/projects/{project.id}/codebook").data.decode()
    assert "Innovation Cost" in page and "IV.A</span> High-level Leaders" in page and "heading" in page
    assert "New code" not in page  # readers do not edit


def test_custom_code_with_parent_and_colour(client, login, people, project):
    login(people["manager"])
    parent = _codes(project)["III.J"]
    response = client.post(f"/qualitative/projects/{project.id}/codes/new", data={
        "key": "MIO.REC", "name": "Recording logistics", "parent_id": parent.id, "colour": "#AA3377",
        "codable": "y", "active": "y", "definition": "Getting sessions recorded.", "lexicon": "recorder; upload"})
    assert response.status_code == 302
    code = _codes(project)["MIO.REC"]
    assert code.parent_id == parent.id and code.colour == "#aa3377" and code.lexicon == ["recorder", "upload"]
    duplicate = client.post(f"/qualitative/projects/{project.id}/codes/new", data={
        "key": "mio.rec", "name": "Again", "parent_id": 0, "colour": "#000000", "codable": "y"})
    assert duplicate.status_code == 400 and b"already used" in duplicate.data
    # a code cannot move under its own child
    child = client.post(f"/qualitative/projects/{project.id}/codes/new", data={
        "key": "MIO.REC.1", "name": "Uploads", "parent_id": code.id, "colour": "#000000", "codable": "y",
        "active": "y"})
    assert child.status_code == 302
    cycle = client.post(f"/qualitative/codes/{code.id}/edit", data={
        "key": "MIO.REC", "name": "Recording logistics", "parent_id": _codes(project)["MIO.REC.1"].id,
        "colour": "#aa3377", "codable": "y", "active": "y"})
    assert cycle.status_code == 400 and b"under itself" in cycle.data
    bad_colour = client.post(f"/qualitative/projects/{project.id}/codes/new", data={
        "key": "X", "name": "X", "parent_id": 0, "colour": "red", "codable": "y"})
    assert bad_colour.status_code == 400 and b"Pick a colour" in bad_colour.data


def test_a_used_code_cannot_be_deleted(client, login, people, project, import_text, code_id):
    document = import_text("t.txt", b"Interviewer: Hi.\n\nCounselor: Fine thanks.\n")
    db.session.add(Coding(document_id=document.id, code_id=code_id("I.H"), coder_id=people["manager"].id,
                          start=document.turns[1].start, end=document.turns[1].end))
    db.session.commit()
    login(people["manager"])
    client.post(f"/qualitative/codes/{code_id('I.H')}/delete")
    assert "I.H" in _codes(project)
    assert b"mark it inactive" in client.get(f"/qualitative/projects/{project.id}/codebook").data
    client.post(f"/qualitative/codes/{code_id('I')}/delete")
    assert "I" in _codes(project)  # has sub-codes
    client.post(f"/qualitative/codes/{code_id('I.E')}/delete")
    assert "I.E" not in _codes(project)


def test_publish_list_and_download_versions(client, login, people, project):
    login(people["manager"])
    client.post(f"/qualitative/projects/{project.id}/codes/new", data={
        "key": "NEW", "name": "Emergent theme", "parent_id": 0, "colour": "#112233", "codable": "y", "active": "y"})
    response = client.post(f"/qualitative/projects/{project.id}/codebook/publish", data={"note": "Added NEW"})
    assert response.status_code == 302
    page = client.get(f"/qualitative/projects/{project.id}/codebook/versions").data.decode()
    assert "Added NEW" in page and "Quinn Analyst" in page
    v1 = _csv_rows(client.get(f"/qualitative/projects/{project.id}/codebook/versions/1.csv").data)
    v2 = _csv_rows(client.get(f"/qualitative/projects/{project.id}/codebook/versions/2.csv").data)
    assert "NEW" not in {r["key"] for r in v1} and "NEW" in {r["key"] for r in v2}
    assert len(v2) == len(v1) + 1
    assert client.get(f"/qualitative/projects/{project.id}/codebook/versions/9.csv").status_code == 404


def test_csv_round_trip_and_merge(client, login, people, project):
    login(people["manager"])
    exported = client.get(f"/qualitative/projects/{project.id}/codebook.csv")
    assert exported.mimetype == "text/csv"
    rows = _csv_rows(exported.data)
    assert rows[0]["key"] == "I" and rows[0]["codable"] == "false"
    cost = next(r for r in rows if r["key"] == "I.H")
    assert cost["parent_key"] == "I" and "cost" in cost["lexicon"].split("; ")
    # edit in a "spreadsheet": rename a code, add one under it
    cost["name"] = "Cost of MIO"
    rows.append({**cost, "key": "I.H.1", "name": "Training fees", "parent_key": "I.H", "lexicon": "train fee"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    response = _upload(client, project, "edited.csv", buffer.getvalue().encode("utf-8"))
    assert response.status_code == 302
    codes = _codes(project)
    assert codes["I.H"].name == "Cost of MIO" and codes["I.H.1"].parent.key == "I.H"
    again = _csv_rows(client.get(f"/qualitative/projects/{project.id}/codebook.csv").data)
    keys = [r["key"] for r in again]
    assert keys.index("I.H.1") == keys.index("I.H") + 1  # children follow their parent
    assert {r["key"] for r in again} == {r["key"] for r in rows}
    assert next(r for r in again if r["key"] == "IV.ROLE.A")["name"] == "High-level Leaders"


def test_csv_errors_name_row_and_column_and_import_nothing(client, login, people, project):
    login(people["manager"])
    before = {k: (c.name, c.parent_id) for k, c in _codes(project).items()}
    cases = [
        (b"key,name\nNEW1,Fine\n,Missing key\n", b"row 3, column &#39;key&#39;: must not be empty"),
        (b"key,name,colour\nNEW1,Fine,#123456\nNEW2,Bad,notacolour\n", b"row 3, column &#39;colour&#39;"),
        (b"key,name,parent_key\nNEW1,Fine,\nNEW2,Orphan,NOPE\n", b"row 3, column &#39;parent_key&#39;"),
        (b"key,name,shoe size\nNEW1,Fine,42\n", b"row 1, column &#39;shoe size&#39;: unknown column"),
        (b"key,name\nNEW1,Fine\nNEW1,Twice\n", b"row 3, column &#39;key&#39;"),
        (b"key,name\nbad key!,Fine\n", b"row 2, column &#39;key&#39;"),
        ("key,name\nNEW1,caf\u00e9\n".encode("latin-1"), b"not UTF-8"),
    ]
    for data, message in cases:
        response = _upload(client, project, "bad.csv", data)
        assert response.status_code == 400, data
        assert message in response.data, (data, response.data[-3000:])
        assert b"Nothing was imported" in response.data
    assert {k: (c.name, c.parent_id) for k, c in _codes(project).items()} == before
    wrong = _upload(client, project, "codebook.xlsx", b"PK")
    assert wrong.status_code == 400 and b".csv or a REFI-QDA .qdc" in wrong.data


def test_qdc_round_trip_keeps_keys_hierarchy_and_fields(client, login, people, project, app_ctx):
    from qualitative.workspace.services import projects

    login(people["manager"])
    qdc = client.get(f"/qualitative/projects/{project.id}/codebook.qdc")
    assert qdc.status_code == 200 and b"urn:QDA-XML:codebook:1.0" in qdc.data
    other = projects.create_project("Other project", None, people["manager"])
    for code in _codes(other).values():  # start the other project from an almost empty codebook
        code.name = "placeholder"
    db.session.commit()
    response = _upload(client, other, "cfir.qdc", qdc.data)
    assert response.status_code == 302
    original, imported = _codes(project), _codes(other)
    assert set(original) == set(imported)
    for key, code in original.items():
        twin = imported[key]
        assert (twin.name, twin.codable, twin.colour, twin.definition, twin.inclusion, twin.exclusion, twin.lexicon) == (
            code.name, code.codable, code.colour, code.definition, code.inclusion, code.exclusion, code.lexicon), key
        assert (twin.parent.key if twin.parent else None) == (code.parent.key if code.parent else None)


def test_foreign_qdc_codes_get_keys_from_their_names(client, login, people, project):
    qdc = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo"><Codes>
 <Code guid="6f1c5a1e-2b7d-4e8a-9a41-1c2f3d4e5f60" name="Barriers" isCodable="false" color="#FF0000">
  <Code guid="7a2d6b2f-3c8e-4f9b-8b52-2d3e4f5a6b71" name="Transport problems" isCodable="true"><Description>Rides</Description></Code>
 </Code></Codes></CodeBook>"""
    login(people["manager"])
    assert _upload(client, project, "nvivo.qdc", qdc).status_code == 302
    codes = _codes(project)
    assert codes["TRANSPORT-PROBLEMS"].parent.key == "BARRIERS" and codes["BARRIERS"].colour == "#ff0000"
    assert codes["TRANSPORT-PROBLEMS"].definition == "Rides" and not codes["BARRIERS"].codable
    broken = _upload(client, project, "broken.qdc", b"<CodeBook><Codes>")
    assert broken.status_code == 400 and b"not a readable REFI-QDA codebook" in broken.data


def test_reimporting_a_foreign_qdc_finds_its_codes_instead_of_duplicating_them(client, login, people, project):
    """A foreign tool's GUIDs are not this platform's ``stable_guid``: the second import of the same file, or of the
    same codebook exported again with fresh GUIDs (as ATLAS.ti does), must update the codes by their place in the tree
    (names from the root), not add ``BARRIERS-2``. A same-named code under another parent stays a separate code."""
    def qdc(barriers: str, transport: str, name: str = "Transport problems", rides: str = "Rides") -> bytes:
        return f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti"><Codes>
 <Code guid="{barriers}" name="Barriers" isCodable="false">
  <Code guid="{transport}" name="{name}" isCodable="true"><Description>{rides}</Description></Code>
 </Code>
 <Code guid="0b3e7c3a-4d9f-4a0c-9c63-3e4f5a6b7c82" name="Facilitators" isCodable="false">
  <Code guid="1c4f8d4b-5e0a-4b1d-8d74-4f5a6b7c8d93" name="Transport problems" isCodable="true"/>
 </Code></Codes></CodeBook>""".encode()

    login(people["manager"])
    first = qdc("6f1c5a1e-2b7d-4e8a-9a41-1c2f3d4e5f60", "7a2d6b2f-3c8e-4f9b-8b52-2d3e4f5a6b71")
    assert _upload(client, project, "atlas.qdc", first).status_code == 302
    before = _codes(project)
    assert _upload(client, project, "atlas.qdc", first).status_code == 302
    again = qdc("9e0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a",
                name="  transport   PROBLEMS ", rides="Rides and bus fares")
    response = _upload(client, project, "atlas-again.qdc", again)
    assert response.status_code == 302
    after = _codes(project)
    assert set(after) == set(before), sorted(set(after) - set(before))
    assert after["TRANSPORT-PROBLEMS"].definition == "Rides and bus fares"
    under = {c.parent.key for c in after.values() if c.name.strip().casefold().startswith("transport")}
    assert under == {"BARRIERS", "FACILITATORS"}
