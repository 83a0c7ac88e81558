"""Codebook CSV import/export and conversion to/from REFI-QDA code trees."""

from __future__ import annotations

import pytest
import xmlschema

from qualitative.codebook_io import (
    CODEBOOK_COLUMNS,
    CodebookImportError,
    qda_codes_to_rows,
    read_codebook_csv,
    rows_to_qda_codes,
    write_codebook_csv,
)
from qualitative.refiqda import export_qdc, import_qdc, stable_guid
from tests.qualitative.refiqda.refi_support import refi_schema_dir

HEADER = "key,name,parent_key,kind,codable,colour,definition,inclusion,exclusion,lexicon\n"
GOOD = (
    "\ufeffKey,Name,Parent_Key,Kind,Codable,Color,Definition,Inclusion,Exclusion,Lexicon\n"
    "rf.curious,Curiosity,rf,code,yes,3cf,Wonders about the child's mind,,,wonder; why ;\n"
    "rf,Reflective functioning,,Domain,no,#1f77b4,\"Mentalizing,\nacross two lines\",Names feelings,"
    "Mere labels,feel;think\n"
    "stigma,Stigma,,,,,,,,\n"
)


def test_reads_rows_with_bom_aliases_defaults_and_normalised_values():
    rows = read_codebook_csv(GOOD.encode("utf-8"))
    assert [r["key"] for r in rows] == ["rf.curious", "rf", "stigma"]
    curious, domain, stigma = rows
    assert curious == {"key": "rf.curious", "name": "Curiosity", "parent_key": "rf", "kind": "code",
                       "codable": True, "colour": "#33CCFF", "definition": "Wonders about the child's mind",
                       "inclusion": "", "exclusion": "", "lexicon": ["wonder", "why"]}
    assert (domain["kind"], domain["codable"], domain["colour"]) == ("domain", False, "#1F77B4")
    assert domain["definition"] == "Mentalizing,\nacross two lines"
    assert domain["lexicon"] == ["feel", "think"]
    assert (stigma["parent_key"], stigma["kind"], stigma["codable"], stigma["colour"]) == (None, "code", True, None)


@pytest.mark.parametrize(
    ("csv_text", "message", "row", "column"),
    [
        ("", "empty", 1, None),
        ("key,title\n", "unknown column", 1, "title"),
        ("key,kind\n", "required column is missing", 1, "name"),
        ("key,name,key\n", "column appears twice", 1, "key"),
        (HEADER + ",Nameless key,,,,,,,,\n", "must not be empty", 2, "key"),
        (HEADER + "a,A,,,,,,,,\nb,B,,,,,,,,\na,Again,,,,,,,,\n", "key 'a' is already used in row 2", 4, "key"),
        (HEADER + "a,A,zzz,,,,,,,\n", "parent 'zzz' is not the key of any code", 2, "parent_key"),
        (HEADER + "a,A,b,,,,,,,\nb,B,c,,,,,,,\nc,C,a,,,,,,,\n", "cycle: a -> b -> c -> a", 2, "parent_key"),
        (HEADER + "a,A,a,,,,,,,\n", "cycle: a -> a", 2, "parent_key"),
        (HEADER + "a,A,,,maybe,,,,,\n", "'maybe' is not true/false", 2, "codable"),
        (HEADER + "a,A,,,,red,,,,\n", "'red' is not a colour", 2, "colour"),
        (HEADER + "a,A,,,,,,,,,extra\n", "11 fields but the header has 10", 2, None),
    ],
)
def test_errors_name_row_and_column(csv_text, message, row, column):
    with pytest.raises(CodebookImportError, match=message) as caught:
        read_codebook_csv(csv_text)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert str(caught.value).startswith(f"row {row}")


def test_non_utf8_bytes_are_refused():
    with pytest.raises(CodebookImportError, match="not UTF-8"):
        read_codebook_csv(HEADER.encode() + b"a,Caf\xe9,,,,,,,,\n")


def test_blank_lines_are_skipped_and_row_numbers_stay_spreadsheet_numbers():
    with pytest.raises(CodebookImportError) as caught:
        read_codebook_csv(HEADER + "a,A,,,,,,,,\n\nb,B,,,,nope,,,,\n")
    assert caught.value.row == 4  # header 1, a 2, blank 3, b 4


def test_write_then_read_returns_the_same_rows():
    rows = read_codebook_csv(GOOD)
    text = write_codebook_csv(rows)
    assert text.splitlines()[0] == ",".join(CODEBOOK_COLUMNS)
    assert "wonder; why" in text
    assert read_codebook_csv(text) == rows
    assert write_codebook_csv(read_codebook_csv(text)) == text


def test_rows_become_a_nested_code_tree_with_stable_guids():
    codes = rows_to_qda_codes(read_codebook_csv(GOOD))
    assert [c.name for c in codes] == ["Reflective functioning", "Stigma"]  # the child row came first
    domain = codes[0]
    assert domain.guid == stable_guid("code", "rf")
    assert (domain.is_codable, domain.color) == (False, "#1F77B4")
    assert [c.name for c in domain.children] == ["Curiosity"]
    assert domain.description == ("Mentalizing,\nacross two lines\n\nKind: domain\n\nInclusion: Names feelings"
                                  "\n\nExclusion: Mere labels\n\nLexicon: feel; think")
    assert domain.children[0].description == "Wonders about the child's mind\n\nLexicon: wonder; why"


def test_codes_back_to_rows_preserve_hierarchy_and_fields():
    rows = read_codebook_csv(GOOD)
    keys = {stable_guid("code", r["key"]): r["key"] for r in rows}
    back = qda_codes_to_rows(rows_to_qda_codes(rows), key_for=lambda code: keys[code.guid])
    # parents before children; otherwise identical to the CSV rows
    assert [r["key"] for r in back] == ["rf", "rf.curious", "stigma"]
    assert sorted(back, key=lambda r: r["key"]) == sorted(rows, key=lambda r: r["key"])


def test_codebook_survives_a_qdc_round_trip():
    codebook_schema = xmlschema.XMLSchema(str(refi_schema_dir() / "Codebook.xsd"))
    rows = read_codebook_csv(GOOD)
    qdc = export_qdc(rows_to_qda_codes(rows))
    codebook_schema.validate(qdc.decode("utf-8"))
    back = qda_codes_to_rows(import_qdc(qdc))
    assert [r["parent_key"] for r in back] == [None, stable_guid("code", "rf"), None]
    assert [r["lexicon"] for r in back] == [["feel", "think"], ["wonder", "why"], []]
    assert back[0]["definition"] == "Mentalizing,\nacross two lines"


def test_rows_to_codes_checks_the_hierarchy_too():
    with pytest.raises(CodebookImportError, match="not the key of any code"):
        rows_to_qda_codes([{"key": "a", "name": "A", "parent_key": "missing"}])
