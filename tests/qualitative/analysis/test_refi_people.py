"""Who coded an imported project (issue 11): every file user stays a distinct coder; unmapped ones become imported
coder identities that never sign in; `mio agreement --coder` takes an e-mail or a coder's name; and an import whose
positions the file does not settle is refused (command line) or asked about (web) instead of guessed."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from app.db import db
from app.models import User
from app.security import authenticate
from qualitative.analysis.services import agreement as agreement_service
from qualitative.analysis.services import refi_import
from qualitative.models import Coding, Memo, QualProject
from tests.conftest import TEST_PASSWORD
from tests.qualitative.refiqda.refi_support import NVIVO_CODINGS, make_zip, nvivo_emoji_qdpx


def _write(tmp_path, data: bytes, name: str = "nvivo.qdpx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _project(name: str) -> QualProject:
    return db.session.execute(sa.select(QualProject).where(QualProject.name == name)).scalar_one()


def test_two_unmatched_coders_stay_two_and_agreement_runs_by_name(world, runner, tmp_path):
    """Issue 11, done-when 2: `mio import-qdpx` of a two-coder project with no matching accounts keeps two coders,
    and `mio agreement --coder NAME_A --coder NAME_B` gives their kappa."""
    path = _write(tmp_path, nvivo_emoji_qdpx())
    out = runner.invoke(args=["import-qdpx", str(path), "--project", "Mothers", "--clinic", "HFR-2",
                              "--user", "manager@example.org"])
    assert out.exit_code == 0, out.output
    assert "Imported coders (no account; they cannot sign in): coder_a; coder_b." in out.output
    assert "read as UTF-16 code units" in out.output
    project = _project("Mothers")
    codings = db.session.execute(sa.select(Coding).join(Coding.document).where(
        Coding.document.has(project_id=project.id))).scalars().all()
    owners = {c.coder.name: c.coder for c in codings}
    assert sorted(owners) == ["coder_a", "coder_b"] and all(u.imported for u in owners.values())
    per_coder = {name: sum(c.coder.name == name for c in codings) for name in owners}
    assert per_coder == {"coder_a": 6, "coder_b": 4}  # the <Coding>'s user, not its selection's
    text = {(c.document.name, c.document.text[c.start:c.end]) for c in codings}
    assert text == {(source, quote) for source, quote, *_ in NVIVO_CODINGS}
    memo = db.session.execute(sa.select(Memo).where(Memo.project_id == project.id,
                                                    Memo.title == "REFI-QDA import")).scalar_one()
    assert "became imported coders" in memo.text and "read as UTF-16 code units" in memo.text

    result = runner.invoke(args=["agreement", "--project", "Mothers", "--coder", "coder_a", "--coder", "coder_b"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["coders"] == ["coder_a (imported)", "coder_b (imported)"]
    expected = agreement_service.report_json(agreement_service.agreement_report(
        project, [owners["coder_a"].id, owners["coder_b"].id], with_disagreements=False))
    assert report == expected
    pooled = next(r for r in report["rows"] if r["level"] == "pooled")
    assert pooled["char_kappa"] is not None and pooled["coder_a"] == "coder_a (imported)"


def test_imported_coders_never_sign_in(world, runner, tmp_path, client):
    path = _write(tmp_path, nvivo_emoji_qdpx())
    assert runner.invoke(args=["import-qdpx", str(path), "--project", "M", "--clinic", "HFR-2"]).exit_code == 0
    coder = db.session.execute(sa.select(User).where(User.name == "coder_a")).scalar_one()
    coder.active = True  # even if someone switches the account on
    coder.password_hash = world.users["ana"].password_hash
    db.session.commit()
    assert authenticate(coder.email, TEST_PASSWORD) is None and not coder.is_active
    response = client.post("/auth/login", data={"email": coder.email, "password": TEST_PASSWORD})
    assert response.status_code in (400, 401)  # refused (the form may already reject the .invalid address)


def test_a_second_import_reuses_the_file_users_identity(world, runner, tmp_path):
    path = _write(tmp_path, nvivo_emoji_qdpx())
    for name in ("First", "Second"):
        assert runner.invoke(args=["import-qdpx", str(path), "--project", name, "--clinic", "HFR-2"]).exit_code == 0
    assert db.session.execute(sa.select(sa.func.count(User.id)).where(User.imported.is_(True))).scalar() == 2


def test_map_user_and_ambiguous_names(world, runner, tmp_path):
    path = _write(tmp_path, nvivo_emoji_qdpx())
    bad = runner.invoke(args=["import-qdpx", str(path), "--project", "M", "--clinic", "HFR-2",
                              "--map-user", "nobody=ana@example.org"])
    assert bad.exit_code != 0 and "the file has no user 'nobody' (its users: 'coder_a', 'coder_b')" in bad.output
    unknown = runner.invoke(args=["import-qdpx", str(path), "--project", "M", "--clinic", "HFR-2",
                                  "--map-user", "coder_a=zz@example.org"])
    assert unknown.exit_code != 0 and "no active account with e-mail zz@example.org" in unknown.output
    merged = runner.invoke(args=["import-qdpx", str(path), "--project", "M", "--clinic", "HFR-2",
                                 "--map-user", "coder_a=ana@example.org", "--map-user", "coder_b=ana@example.org"])
    assert merged.exit_code != 0 and "two coders would become one" in merged.output
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "M")).first() is None
    ok = runner.invoke(args=["import-qdpx", str(path), "--project", "M", "--clinic", "HFR-2",
                             "--map-user", "coder_a=ana@example.org"])
    assert ok.exit_code == 0, ok.output
    coders = {c.coder.display_name for c in db.session.execute(sa.select(Coding)).scalars()}
    assert coders == {"Ana", "coder_b (imported)"}
    # a coder's name shared by two coders of the project is refused with the candidates listed
    db.session.add(User(email="other-ana@example.org", name="coder_b", password_hash="x", role="analyst"))
    db.session.commit()
    coding = db.session.execute(sa.select(Coding)).scalars().first()
    other = db.session.execute(sa.select(User).where(User.email == "other-ana@example.org")).scalar_one()
    db.session.add(Coding(document_id=coding.document_id, code_id=coding.code_id, coder_id=other.id, start=0, end=3,
                          source="manual"))
    db.session.commit()
    ambiguous = runner.invoke(args=["agreement", "--project", "M", "--coder", "Ana", "--coder", "coder_b"])
    assert ambiguous.exit_code != 0 and "2 coders have that name" in ambiguous.output
    assert "other-ana@example.org" in ambiguous.output and "coder_b (imported)" in ambiguous.output
    by_email = runner.invoke(args=["agreement", "--project", "M", "--coder", "ana@example.org", "--coder",
                                   "other-ana@example.org", "--format", "csv"])
    assert by_email.exit_code == 0, by_email.output
    missing = runner.invoke(args=["agreement", "--project", "M", "--coder", "Ana", "--coder", "Zed"])
    assert missing.exit_code != 0 and "no coder of 'M' with that name" in missing.output


EMOJI = "We were scared 😨 then calm. Later 🙏 thanks."


def _undecided_file() -> bytes:
    start = EMOJI.index("calm")
    qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="P" origin="MAXQDA 2022 (Release 22.4.0)">'
           '<Users><User guid="55555555-5555-4555-8555-555555555555" name="Maria"/></Users><CodeBook><Codes>'
           '<Code guid="11111111-1111-4111-8111-111111111111" name="A" isCodable="true"/></Codes></CodeBook>'
           '<Sources><TextSource guid="22222222-2222-4222-8222-222222222222" name="Interview 3" '
           'plainTextPath="internal://t.txt"><PlainTextSelection guid="33333333-3333-4333-8333-333333333333" '
           f'startPosition="{start}" endPosition="{start + 4}" creatingUser="55555555-5555-4555-8555-555555555555">'
           '<Coding guid="44444444-4444-4444-8444-444444444444"><CodeRef '
           'targetGUID="11111111-1111-4111-8111-111111111111"/></Coding></PlainTextSelection></TextSource>'
           '</Sources></Project>')
    return make_zip({"project.qde": qde.encode(), "sources/t.txt": EMOJI.encode()})


def test_cli_refuses_an_undecided_file_and_takes_positions(world, runner, tmp_path):
    path = _write(tmp_path, _undecided_file(), "maxqda.qdpx")
    refused = runner.invoke(args=["import-qdpx", str(path), "--project", "U", "--clinic", "HFR-2"])
    assert refused.exit_code != 0
    assert "'Interview 3'" in refused.output and "--positions codepoints or --positions utf16" in refused.output
    assert "as code points:     'calm'" in refused.output and "as UTF-16 units:    ' cal'" in refused.output
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "U")).first() is None
    done = runner.invoke(args=["import-qdpx", str(path), "--project", "U", "--clinic", "HFR-2",
                               "--positions", "codepoints"])
    assert done.exit_code == 0, done.output and "chosen by the analyst" in done.output
    coding = db.session.execute(sa.select(Coding)).scalar_one()
    assert coding.document.text[coding.start:coding.end] == "calm"


def test_web_import_asks_for_the_reading_with_both_quotes(world, client, login):
    login(world.users["ana"])
    step1 = client.post("/qualitative/import-qdpx", data={
        "file": (io.BytesIO(_undecided_file()), "m.qdpx"), "target": "new", "project_name": "Web U",
        "clinic_id": str(world.clinics["HFR-2"].id), "project_id": "0"}, content_type="multipart/form-data")
    page = step1.get_data(as_text=True)
    assert step1.status_code == 200 and "How does this file count positions?" in page
    assert "<q>calm</q>" in page and "<q> cal</q>" in page and 'An imported coder “Maria”' in page
    token = page.split('name="token" value="')[1].split('"')[0]
    common = {"token": token, "target": "new", "project_name": "Web U", "project_id": "0",
              "clinic_id": str(world.clinics["HFR-2"].id)}
    unchosen = client.post("/qualitative/import-qdpx/confirm", data=common)
    assert unchosen.status_code == 400 and "Choose how the file counts positions" in unchosen.get_data(as_text=True)
    assert db.session.execute(sa.select(QualProject).where(QualProject.name == "Web U")).first() is None
    done = client.post("/qualitative/import-qdpx/confirm", data={**common, "positions": "utf16"})
    assert done.status_code == 302
    coding = db.session.execute(sa.select(Coding)).scalar_one()
    assert coding.document.text[coding.start:coding.end] == " cal" and coding.coder.display_name == "Maria (imported)"


def test_suggestions_never_merge_two_file_users(world):
    qda = refi_import.read_qdpx(nvivo_emoji_qdpx())
    for user in qda.users:
        user.name = "Ana"  # both file users are called like one account
    assert set(refi_import.suggest_user_mapping(qda, [world.users["ana"]]).values()) == {None}
