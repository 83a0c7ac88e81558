"""Untrusted archives: every failure is a RefiQdaError that says what is wrong and where."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualitative.refiqda import RefiQdaError, export_qdpx, import_qdc, import_qdpx, iter_codes, read_qdc
from tests.qualitative.refiqda.refi_support import (
    build_sample_project,
    make_zip,
    nvivo_comments_qdpx,
    zip_folder,
)

QDE_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="t">'
CODES = ('<CodeBook><Codes><Code guid="00000000-0000-4000-8000-000000000001" name="A" isCodable="true"/>'
         '</Codes></CodeBook>')
CODE_A = '<Code guid="00000000-0000-4000-8000-000000000001" name="A" isCodable="true"/>'
SRC = "11111111-1111-4111-8111-111111111111"


def project_with(selection: str = "", path: str = f"internal://{SRC}.txt", codes: str = CODES) -> str:
    return (f'{QDE_HEAD}{codes}<Sources><TextSource guid="{SRC}" name="Interview 1" plainTextPath="{path}">'
            f"{selection}</TextSource></Sources></Project>")


def selection(start: int, end: int, code: str = "00000000-0000-4000-8000-000000000001") -> str:
    return (f'<PlainTextSelection guid="22222222-2222-4222-8222-222222222222" startPosition="{start}" '
            f'endPosition="{end}"><Coding guid="33333333-3333-4333-8333-333333333333">'
            f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>')


def archive(qde: str, text: bytes = b"hello world", name: str | None = None) -> bytes:
    return make_zip({"project.qde": qde.encode("utf-8"), name or f"sources/{SRC}.txt": text})


def test_a_minimal_valid_archive_imports():
    project = import_qdpx(archive(project_with(selection(0, 5))))
    assert project.sources[0].text[0:5] == "hello"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"this is not a zip file", "not a readable .qdpx"),
        (make_zip({"readme.txt": b"x"}), "no project.qde"),
        (archive(project_with(selection(0, 50))), r"selection 22222222-2222-4222-8222-222222222222: positions 0-50 "
                                                  r"lie outside the text \(length 11\)"),
        (archive(project_with(selection(6, 2))), "outside the text"),
        (archive(project_with(selection(-1, 2))), "outside the text"),
        (archive(project_with(selection(0, 5).replace('"5"', '"five"'))), "endPosition.*not an integer"),
        (archive(project_with(selection(0, 5, "44444444-4444-4444-8444-444444444444"))),
         "coded with unknown code 44444444-4444-4444-8444-444444444444"),
        (archive(project_with(), name="sources/other.txt"),
         f"source 'Interview 1'.*text file 'internal://{SRC}.txt' is missing"),
        (archive(project_with(path="internal://../../etc/passwd")), "escapes the archive"),
        (archive(project_with(path="/etc/passwd")), "absolute paths"),
        (archive(project_with(path="absolute:///home/x.txt")), "outside the archive"),
        (archive(project_with(path="sources\\x.txt")), "backslashes"),
        (archive(project_with(), text=b"\xff\xfe\x00\xd8"), "not valid UTF-16"),
        (archive(project_with(), text=b"caf\xe9"), "not valid UTF-8"),
        (archive(project_with(codes=CODES.replace("</Codes>", CODE_A + "</Codes>"))),
         "code 'A'.*appears more than once"),
        (archive(f'{QDE_HEAD}<Users><User guid="nope"/></Users></Project>'), "user.*'nope' is not a GUID"),
        (archive('<?xml version="1.0"?><Foo/>'), "expected <Project>"),
        (archive('<?xml version="1.0" encoding="TF-8"?><Project name="x"/>'), "cannot be parsed as XML"),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else "archive",
)
def test_bad_archives_are_refused(data, message):
    with pytest.raises(RefiQdaError, match=message):
        import_qdpx(data)


def test_broken_xml_names_line_and_column():
    qde = QDE_HEAD + "\n<Users>\n  <User guid='x'>\n</Project>"
    # line 1 declaration, 2 <Project>, 3 <Users>, 4 <User>, 5 "</Project>" closes the wrong element
    with pytest.raises(RefiQdaError, match=r"project.qde is not well-formed XML at line 5, column 2: mismatched tag$"):
        import_qdpx(archive(qde))


def test_dtd_and_entity_expansion_are_refused():
    laughs = ('<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]>\n'
              '<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>')
    with pytest.raises(RefiQdaError, match="DTD or entity"):
        import_qdpx(archive(laughs))
    external = '<?xml version="1.0"?><!DOCTYPE p SYSTEM "file:///etc/passwd"><Project name="x"/>'
    with pytest.raises(RefiQdaError, match="DTD or entity"):
        import_qdpx(archive(external))
    with pytest.raises(RefiQdaError, match="DTD or entity"):
        import_qdc(laughs.replace("Project", "CodeBook").encode())


@pytest.mark.parametrize("name", ["../evil.txt", "/abs.txt", "sources\\win.txt", "C:/x.txt", "a/../../b"])
def test_member_names_escaping_the_archive_are_refused(name):
    with pytest.raises(RefiQdaError, match="not allowed|escapes"):
        import_qdpx(make_zip({"project.qde": project_with().encode(), name: b"x"}))


def test_highly_compressed_member_is_refused_before_inflating():
    bomb = make_zip({"project.qde": project_with().encode(), "sources/pad.txt": b"\0" * (4 * 1024 * 1024)})
    assert len(bomb) < 10_000  # 4 MiB of zeros deflate to a few KiB: ratio far above 200:1
    with pytest.raises(RefiQdaError, match="possible zip bomb"):
        import_qdpx(bomb)


def test_total_uncompressed_limit_is_enforced():
    data = archive(project_with(), text=b"x" * 5000)
    with pytest.raises(RefiQdaError, match="more than 4096 bytes"):
        import_qdpx(data, max_total_uncompressed=4096)
    assert import_qdpx(data, max_total_uncompressed=100_000).sources[0].text == "x" * 5000


def test_member_lying_about_its_size_is_refused():
    data = bytearray(archive(project_with(), text=b"y" * 3000))
    # Shrink the declared uncompressed size (local header offset 22, central directory offset 24) of the
    # text member from 3000 to 10 bytes, as a crafted archive would.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.rfind(signature)
        assert struct.unpack_from("<I", data, start + offset)[0] == 3000
        struct.pack_into("<I", data, start + offset, 10)
    with pytest.raises(RefiQdaError, match="inflates beyond|corrupt"):
        import_qdpx(bytes(data))


def test_encrypted_member_is_refused():
    data = bytearray(archive(project_with()))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.rfind(signature)
        struct.pack_into("<H", data, start + offset, struct.unpack_from("<H", data, start + offset)[0] | 1)
    with pytest.raises(RefiQdaError, match="encrypted"):
        import_qdpx(bytes(data))


def test_qdc_errors():
    with pytest.raises(RefiQdaError, match="empty"):
        import_qdc(b"")
    with pytest.raises(RefiQdaError, match="expected <CodeBook>"):
        import_qdc(b"<Project/>")
    with pytest.raises(RefiQdaError, match="no <Codes>"):
        import_qdc(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>')
    with pytest.raises(RefiQdaError, match="line 1, column"):
        import_qdc(b"<CodeBook><Codes>")


def test_deeply_nested_codes_are_refused():
    nested = "".join(f'<Code guid="00000000-0000-4000-8000-{i:012d}" name="c" isCodable="true">'
                     for i in range(300)) + "</Code>" * 300
    with pytest.raises(RefiQdaError, match="nested deeper than 200"):
        import_qdc(f"<CodeBook><Codes>{nested}</Codes></CodeBook>".encode())


VALID = export_qdpx(build_sample_project())
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_refi_errors(data: bytes) -> None:
    try:
        import_qdpx(data)
    except RefiQdaError:
        pass


@FUZZ
@given(st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes_raise_only_refi_errors(data):
    _only_refi_errors(data)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0, len(VALID)))
def test_fuzz_mutated_archives_raise_only_refi_errors(flips, cut):
    data = bytearray(VALID)
    for index, value in flips:
        data[index] = value
    _only_refi_errors(bytes(data[:cut]) if cut < 40 else bytes(data))


with zipfile.ZipFile(io.BytesIO(VALID)) as _zf:
    VALID_QDE = _zf.read("project.qde")
    VALID_TEXTS = {name: _zf.read(name) for name in _zf.namelist() if name != "project.qde"}


@FUZZ
@given(st.data())
def test_fuzz_mutated_project_xml_raises_only_refi_errors(data):
    _only_refi_errors(make_zip({"project.qde": _mutate(data, VALID_QDE), **VALID_TEXTS}))


def test_fixture_archives_survive_truncation_with_refi_errors_only():
    data = zip_folder("qualcoder")
    for cut in range(0, len(data), 97):
        _only_refi_errors(data[:cut])


def _mutate(data, raw: bytes) -> bytes:
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(out) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from(list(b'<>"/=&;-0123456789 \x00\xffabcdefxyz{}#:')))
        if action == "replace":
            out[index] = byte
        elif action == "delete":
            del out[index]
        else:
            out.insert(index, byte)
    return bytes(out)


QDC_WITH_SETS = (
    b'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti 23">'
    b'<Codes><Code guid="{11111111-2222-4333-8444-555555555555}" name="Barriers" isCodable="true" color="#e06c75">'
    b'<Description>d</Description><Code guid="11111111-2222-4333-8444-555555555556" name="Space" isCodable="true"/>'
    b'</Code></Codes><Sets><Set guid="21111111-2222-4333-8444-555555555555" name="Context"><Description>w'
    b'</Description><MemberCode guid="11111111-2222-4333-8444-555555555556"/></Set></Sets></CodeBook>')


@FUZZ
@given(st.data())
def test_fuzz_mutated_codebooks_with_sets_raise_only_refi_errors(data):
    """.qdc with <Sets> (issue 11): any mutation gives codes and sets, or a RefiQdaError saying why."""
    try:
        codes, sets = read_qdc(_mutate(data, QDC_WITH_SETS))
    except RefiQdaError:
        return
    guids = {c.guid for c in iter_codes(codes)}
    assert all(ref in guids for s in sets for ref in s.code_refs)


@FUZZ
@given(st.data(), st.booleans())
def test_fuzz_mutated_nvivo_exports_with_emoji_raise_only_refi_errors(data, mac):
    """The NVivo layout whose reading only word boundaries decide (issue 11): mutations of its project.qde give a
    project whose every selection lies inside its text, or a RefiQdaError (PositionsUndecided included)."""
    archive = zipfile.ZipFile(io.BytesIO(nvivo_comments_qdpx(mac=mac)))
    entries = {name: archive.read(name) for name in archive.namelist()}
    entries["project.qde"] = _mutate(data, entries["project.qde"])
    try:
        project = import_qdpx(make_zip(entries))
    except RefiQdaError:
        return
    for source in project.sources:
        assert all(0 <= s.start <= s.end <= len(source.text) for s in source.selections)
        assert all(r.reading in ("codepoints", "utf16", "same") for r in project.position_readings)
