"""Decoding, normalisation, and the clear errors bad transcript files raise."""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile

import pytest

from qualitative.parsers import TranscriptFormatError, parse_transcript
from qualitative.parsers.docx import MAX_UNCOMPRESSED_FACTOR

TEXT = "Renée: Ça va? We record every session.\n\nJosé: Sí."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_unicode_encodings_decode_and_bom_is_stripped(data, encoding):
    parsed = parse_transcript("t.txt", data)
    assert parsed.encoding == encoding
    assert parsed.text == TEXT
    assert parsed.warnings == []


def test_legacy_code_page_is_detected_and_reported():
    text = (
        "Renée: Ça va très bien, merci. Les séances enregistrées ont été très utiles à l'équipe.\n\n" * 5
    ).strip()
    parsed = parse_transcript("t.txt", text.encode("cp1252"))
    assert parsed.text.startswith("Renée: Ça va très bien")
    assert any("not UTF-8" in w and parsed.encoding in w for w in parsed.warnings)


def test_nfc_and_line_endings():
    decomposed = "Rene\u0301e: cafe\u0301\r\nstill Rene\u0301e\rend"
    parsed = parse_transcript("t.txt", decomposed.encode())
    assert parsed.text == "Renée: café\nstill Renée\nend"
    assert unicodedata.is_normalized("NFC", parsed.text)
    assert parsed.speakers == ["Renée"]


def test_stray_control_characters_removed_with_warning():
    parsed = parse_transcript("t.txt", ("Ana: hello\x0c there " + "x" * 200).encode())
    assert "\x0c" not in parsed.text
    assert any("control character" in w for w in parsed.warnings)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("t.txt", b"", "empty"),
        ("t.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
        ("notes", b"Ana: hi", "unsupported file type '(none)'"),
        ("t.doc", b"\xd0\xcf\x11\xe0", "old Word .doc"),
        ("t.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Word 97-2003"),
        ("t.docx", b"Ana: this is text, not a zip", "not a zip archive"),
        ("t.docx", b"PK\x03\x04" + b"\x00" * 40, "corrupt zip"),
        ("t.docx", zip_bytes({"hello.txt": b"hi"}), "no word/document.xml"),
        ("t.docx", zip_bytes({"word/document.xml": b"<not xml"}), "could not be read as a Word document"),
        ("t.txt", zip_bytes({"word/document.xml": b"x"}), "is a zip archive"),
        ("t.txt", b"\xef\xbb\xbfAna: ok\n\xff\xfe bad", "line 2"),
        ("t.txt", b"Ana: hi\n\x00\x01\x02\x03binary", "binary"),
        ("t.vtt", b"00:00:01.000 --> 00:00:02.000\nhi\n", "must start with the header line 'WEBVTT'"),
        ("t.vtt", b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:0x.000\nhi\n", "line 4: malformed cue timing"),
        ("t.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:61.000\nhi\n", "line 3: malformed timestamp"),
        ("t.vtt", b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nhi\n", "line 3: cue ends before it starts"),
        ("t.vtt", b"WEBVTT\n\nNOTE nothing else\n", "contains no transcript text"),
        (
            "t.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03 --> 00:00:04\nbad\n",
            "line 6: malformed",
        ),
        ("t.srt", b"hello there\n", "line 1: expected a cue number"),
        ("t.txt", b"Ana  0:03\nHello.\n\nBo  1:75\nHi.\n", "line 4: malformed timestamp '1:75'"),
        ("t.txt", b"  \n\n \t\n", "contains no transcript text"),
    ],
)
def test_bad_files_raise_clear_errors(name, data, message):
    with pytest.raises(TranscriptFormatError) as info:
        parse_transcript(name, data)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_size_limit():
    with pytest.raises(TranscriptFormatError, match="over the 10-byte limit"):
        parse_transcript("t.txt", b"Ana: hello there", max_bytes=10)


def test_zip_bomb_refused_before_reading(make_docx):
    # 5 MB of zeros deflates to about 5 kB: declared size 5,000,000 > 10 * 100,000 allowed
    bomb = zip_bytes({"word/document.xml": b"\x00" * 5_000_000, "[Content_Types].xml": b""})
    assert len(bomb) < 100_000
    with pytest.raises(TranscriptFormatError, match="possible zip bomb"):
        parse_transcript("bomb.docx", bomb, max_bytes=100_000)
    # the same file is also refused on its compression ratio alone when the total is allowed
    with pytest.raises(TranscriptFormatError, match=r"compressed \d+:1"):
        parse_transcript("bomb.docx", bomb, max_bytes=1_000_000)
    assert MAX_UNCOMPRESSED_FACTOR * 1_000_000 > 5_000_000
    # and a real document with the same limits is fine
    assert parse_transcript("ok.docx", make_docx(["Ana: hi"]), max_bytes=100_000).speakers == ["Ana"]


def test_utf16_without_bom_is_detected():
    parsed = parse_transcript("t.txt", TEXT.encode("utf-16-le"))
    assert (parsed.text, parsed.encoding) == (TEXT, "utf-16-le")
    assert any("no byte-order mark" in w for w in parsed.warnings)
