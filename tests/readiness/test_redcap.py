"""REDCap data dictionary import/export and records export (readiness/redcap.py)."""

import csv
import io
from pathlib import Path

import pytest

from readiness.instruments import InstrumentDefinitionError, load_instrument, validate_definition
from readiness.redcap import (
    COLUMNS,
    RedcapDictionaryError,
    RedcapRecordsError,
    export_data_dictionary,
    export_records,
    parse_data_dictionary,
    record_id_field,
)

FIXTURE = Path(__file__).parent / "data" / "team_leadership_dictionary.csv"


@pytest.fixture(scope="module")
def leadership():
    return parse_data_dictionary(FIXTURE.read_text(encoding="utf-8"))


def dictionary(*rows):
    """CSV text with the standard header and rows given as {column: value} dicts."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue()


def field(name, ftype="text", label="A question", **cells):
    return {COLUMNS[0]: name, COLUMNS[1]: "form_a", COLUMNS[3]: ftype, COLUMNS[4]: label, **cells}


def test_fixture_imports(leadership):
    items = {i["key"]: i for i in leadership["items"]}
    assert leadership["key"] == "team_leadership_survey" and len(items) == 24
    assert items["survey_date"] == {"key": "survey_date", "text": "Date completed", "type": "date",
                                    "min": "2024-01-01", "max": "2030-12-31", "required": True,
                                    "section": "About you"}
    assert items["years_agency"]["type"] == "integer" and items["years_agency"]["note"] == "Round to whole years"
    assert items["fte"]["max"] == 1.0 and items["fte"]["type"] == "number"
    assert [c["value"] for c in items["credentials"]["choices"]] == [1, 2, 3, 4, 5]
    assert items["credential_year"]["branching"] == "[credentials(1)] = '1'"
    # section headers carry forward until the next one
    assert items["lead_problems"]["section"] == "Your team leader and the new program"
    assert items["intro"]["type"] == "descriptive" and items["intro"]["section"] == "About this survey"
    assert items["contact_email"]["identifier"] is True and items["contact_email"]["annotation"] == "@HIDDEN-PDF"
    assert items["lead_plan"]["matrix_group"] == "leadership"
    assert items["lead_plan"]["choices"][4] == {"value": 4, "label": "Very great extent"}


def test_round_trip(leadership):
    text = export_data_dictionary(leadership)
    assert parse_data_dictionary(text) == leadership
    assert text.splitlines()[0].split(",")[0] == "Variable / Field Name"


def test_oric_exports_likert_as_radio_with_dont_know():
    oric = load_instrument("oric")
    back = parse_data_dictionary(export_data_dictionary(oric))
    assert back["key"] == "oric"
    assert [i["text"] for i in back["items"]] == [i["text"] for i in oric["items"]]
    first = back["items"][0]
    assert first["type"] == "radio" and first["required"] is True and first["question_number"] == "1"
    assert [c["value"] for c in first["choices"]] == [1, 2, 3, 4, 5, 99]
    assert first["choices"][5]["label"] == "Don't know / not applicable"


# Issue 11: errors say "data row N (line L of the file)" (they counted the header as row 1 without saying so), and
# REDCap's calc/slider fields and phone validation are accepted now (see test_redcap_real.py), so those cases moved.
@pytest.mark.parametrize(("text", "message"), [
    ("Variable / Field Name,Form,Section Header\nx,form_a,\n", r'header \(line 1\), column "Form Name": header 2 must be \'Form Name\', got \'Form\''),
    (dictionary(field("a"), field("b"), field("c", "matrix")),
     r'data row 3 \(line 4 of the file\), column "Field Type": unknown field type \'matrix\''),
    (dictionary(field("a", "radio", **{COLUMNS[5]: "1, Yes | 2"})),
     r'data row 1 \(line 2 of the file\), column "Choices, Calculations, OR Slider Labels": malformed choice \'2\''),
    (dictionary(field("a", "radio", **{COLUMNS[5]: "1, Yes | 1, No"})), "duplicate choice code '1'"),
    (dictionary(field("a", "radio")), "a radio field needs choices"),
    (dictionary(field("a"), field("b", **{COLUMNS[11]: "[zz] = '1'"})),
     r'data row 2 .*column "Branching Logic \(Show field only if...\)": refers to unknown field \[zz\]'),
    (dictionary(field("a", "checkbox", **{COLUMNS[5]: "1, X | 2, Y"}), field("b", **{COLUMNS[11]: "[a] = '1'"})),
     r"checkbox \[a\] must be referenced as \[a\(code\)\]"),
    (dictionary(field("a", "checkbox", **{COLUMNS[5]: "1, X"}), field("b", **{COLUMNS[11]: "[a(3)] = '1'"})),
     r"with a code among \['1'\]"),
    (dictionary(field("a"), field("b", **{COLUMNS[11]: "[a] = = '1'"})), "expected operand"),
    (dictionary(field("a", "radio", **{COLUMNS[5]: "1, X", COLUMNS[7]: "autocomplete"})),
     "validation 'autocomplete' does not apply to a radio field"),
    (dictionary(field("a", **{COLUMNS[7]: "integer", COLUMNS[8]: "zero"})),
     r'column "Text Validation Min": \'zero\' is not a valid integer'),
    (dictionary(field("a", **{COLUMNS[8]: "1"})), "min/max need integer, number or date"),
    (dictionary(field("a", **{COLUMNS[12]: "yes"})), r'column "Required Field\?": \'yes\' must be'),
    (dictionary(field("a"), field("a")), r"data row 2 .*duplicate field name 'a' \(first in data row 1\)"),
    (dictionary(field("A b")), "must start with a letter"),
    (dictionary(field("a"), {**field("b"), COLUMNS[1]: "form_b"}), "several forms"),
])
def test_bad_dictionaries_name_row_and_column(text, message):
    with pytest.raises(RedcapDictionaryError, match=message):
        parse_data_dictionary(text)


def test_form_choice_and_error_attributes():
    text = dictionary(field("a"), {**field("b"), COLUMNS[1]: "form_b"})
    assert [i["key"] for i in parse_data_dictionary(text, form="form_b")["items"]] == ["b"]
    with pytest.raises(RedcapDictionaryError) as info:
        parse_data_dictionary(dictionary(field("a"), field("b", "matrix")))
    assert (info.value.row, info.value.column) == (3, "Field Type")
    assert (info.value.problems[0].data_row, info.value.problems[0].line) == (2, 3)


def test_export_records(leadership):
    text = export_records(leadership, [
        {"record_id": "1", "dag": "Clinic North-2", "complete": True,
         "answers": {"survey_date": "2026-03-02", "role": 1, "credentials": [1, 3], "supervises": 0,
                     "lead_plan": 4.0, "role_other": None}},
        {"record_id": "2", "dag": None, "complete": 1, "answers": {"role": 99, "role_other": "Peer, recovery coach"}},
    ])
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert header[:2] == ["record_id", "redcap_data_access_group"]
    assert header[-1] == "team_leadership_survey_complete" and "intro" not in header
    assert [h for h in header if h.startswith("credentials")] == [f"credentials___{i}" for i in range(1, 6)]
    first, second = rows
    assert first["redcap_data_access_group"] == "clinic_north_2"
    assert [first[f"credentials___{i}"] for i in range(1, 6)] == ["1", "0", "1", "0", "0"]
    assert first["lead_plan"] == "4" and first["supervises"] == "0" and first["role_other"] == ""
    assert first["team_leadership_survey_complete"] == "2"
    assert second["team_leadership_survey_complete"] == "1" and second["role_other"] == "Peer, recovery coach"
    assert second["redcap_data_access_group"] == ""


@pytest.mark.parametrize(("responses", "message"), [
    ([{"record_id": "", "answers": {}}], "response 1 .*record_id is missing"),
    ([{"record_id": "1", "answers": {}}, {"record_id": "1", "answers": {}}], "response 2 .*duplicated"),
    ([{"record_id": "1", "answers": {"nope": 1}}], r"unknown fields \['nope'\]"),
    ([{"record_id": "1", "answers": {"credentials": 1}}], "field credentials: checkbox answer must be a list"),
    ([{"record_id": "1", "answers": {}, "complete": 3}], "complete must be"),
])
def test_export_records_errors(leadership, responses, message):
    with pytest.raises(RedcapRecordsError, match=message):
        export_records(leadership, responses)


def test_the_first_field_is_the_record_id_whatever_the_project_named_it():
    """REDCap: a project's first field is its record ID; projects often rename it (study_id, participant_id).
    It was only recognised when named record_id, so respondents were asked their 'Participant ID'."""
    renamed = parse_data_dictionary(dictionary(field("participant_id", label="Participant ID"),
                                               field("q1", "yesno", label="Q1")))
    assert renamed["record_id_field"] == "participant_id" and record_id_field(renamed) == "participant_id"
    header, row = list(csv.reader(io.StringIO(export_records(renamed, [
        {"record_id": "R-1", "answers": {"participant_id": "typed", "q1": 1}}]))))
    assert header == ["participant_id", "redcap_data_access_group", "q1", "form_a_complete"]
    assert row == ["R-1", "", "1", "0"]
    # a later form of the project does not hold the record ID
    two_forms = dictionary(field("participant_id"), {**field("q2", "yesno"), COLUMNS[1]: "form_b"})
    second = parse_data_dictionary(two_forms, form="form_b")
    assert "record_id_field" not in second and record_id_field(second) is None
    # a first field that cannot be a record ID (REDCap's is text, maybe validated as an integer) is asked
    assert record_id_field(parse_data_dictionary(dictionary(field("consent", "yesno"), field("q1")))) is None
    assert record_id_field(parse_data_dictionary(dictionary(
        field("study_id", **{COLUMNS[7]: "integer"}), field("q1")))) == "study_id"
    # definitions stored without the entry keep the earlier rule; an entry naming another item is refused
    assert record_id_field({"items": [{"key": "record_id", "type": "text"}]}) == "record_id"
    with pytest.raises(InstrumentDefinitionError, match="record_id_field"):
        validate_definition({**renamed, "record_id_field": "q1"})
