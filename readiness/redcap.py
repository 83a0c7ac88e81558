"""REDCap interchange: data dictionary CSV <-> instrument definition, and records in REDCap import format.

Conventions follow the REDCap data dictionary (REDCap Help & FAQ, "Data Dictionary"): 18 columns in a fixed
order; choices ``"1, Label | 2, Label"`` (codes may be text, ``yes_a, Yes``); ``Required Field?`` = ``y``; every
field type and text validation REDCap ships is accepted (``redcap_fields`` lists them and how each is handled);
a section header starts a section that runs until the next header. Labels, headers and notes may hold REDCap's
HTML; it is sanitised when drawn (``readiness.richtext``). Every problem of a file is reported at once, each
with its data row (the first field is data row 1), the line of the file where that row starts (the header is
line 1) and its column.

Records export (REDCap "Import Records" CSV): the record ID (``record_id`` or the project's own name for it),
``redcap_data_access_group``, one column per field
(checkbox option ``code`` -> ``field___code`` holding 0/1), and ``<form>_complete`` (0 incomplete,
1 unverified, 2 complete).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app import csvinput
from readiness.branching import BranchingError, evaluate, parse_branching, referenced_fields
from readiness.instruments import validate_definition
from readiness.redcap_fields import FIELD_TYPES as REDCAP_FIELD_TYPES
from readiness.redcap_fields import VALIDATIONS as REDCAP_VALIDATIONS
from readiness.scoring import SCORING_RULE_VERSION

__all__ = ["COLUMNS", "RedcapDictionaryError", "RedcapRecordsError", "evaluate", "export_data_dictionary",
           "export_records", "parse_branching", "parse_data_dictionary", "record_id_field"]

COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
]
FIELD_TYPES = tuple(REDCAP_FIELD_TYPES)
VALIDATION_TO_TYPE = {name: v.item_type for name, v in REDCAP_VALIDATIONS.items()}
RECORD_ID_TYPES = ("text", "integer")  # REDCap's record ID is a text field, possibly validated as an integer
TYPE_TO_VALIDATION = {"integer": "integer", "number": "number", "date": "date_ymd", "email": "email"}
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"^-?[A-Za-z0-9_.]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# optional pass-through columns: item field <-> column
_EXTRA = {"note": "Field Note", "alignment": "Custom Alignment", "question_number": "Question Number (surveys only)",
          "matrix_group": "Matrix Group Name", "annotation": "Field Annotation"}
_FLAGS = {"identifier": "Identifier?", "matrix_ranking": "Matrix Ranking?"}


@dataclass(frozen=True)
class DictionaryProblem:
    """One error of a dictionary: ``data_row`` counts fields (the first field is data row 1), ``line`` is where the
    row starts in the file (the header is line 1; a cell with line breaks makes a row span several lines)."""

    data_row: int  # 0 for the header
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = "header (line 1)" if self.data_row == 0 else f"data row {self.data_row} (line {self.line} of the file)"
        return f'{where}, column "{self.column}": {self.message}'


class RedcapDictionaryError(ValueError):
    """A bad data dictionary: ``problems`` lists every error found in one pass (:class:`DictionaryProblem`);
    ``row``/``column`` are the first one's line and column."""

    def __init__(self, row: int, column: str, message: str, problems: list[DictionaryProblem] | None = None):
        self.problems = problems or [DictionaryProblem(max(row - 1, 0), row, column, message)]
        self.row, self.column = self.problems[0].line, self.problems[0].column
        text = str(self.problems[0]) if len(self.problems) == 1 else (
            f"{len(self.problems)} problems: " + "; ".join(str(p) for p in self.problems))
        super().__init__(text)

    @classmethod
    def of(cls, problems: list[DictionaryProblem]) -> RedcapDictionaryError:
        first = problems[0]
        return cls(first.line, first.column, first.message, problems)


class RedcapRecordsError(ValueError):
    """Responses that cannot be written as REDCap records; the message names the response and field."""


class _Problems:
    """Collects every problem of a file instead of stopping at the first."""

    def __init__(self) -> None:
        self.found: list[DictionaryProblem] = []
        self.warnings: list[str] = []
        self.line_of: dict[int, int] = {}  # data row -> first line

    def add(self, data_row: int, column: str, message: str) -> None:
        self.found.append(DictionaryProblem(data_row, self.line_of.get(data_row, data_row + 1), column, message))

    def warn(self, data_row: int, column: str, message: str) -> None:
        self.warnings.append(str(DictionaryProblem(data_row, self.line_of.get(data_row, data_row + 1), column,
                                                   message)))


def _code_value(code: str) -> int | str:
    return int(code) if re.fullmatch(r"-?\d+", code) and str(int(code)) == code else code


def parse_choices(text: str, row: int = 0) -> list[dict]:
    """``"1, Yes | 2, No"`` -> ``[{"value": 1, "label": "Yes"}, ...]`` (integer-like codes become ints; text codes
    such as ``yes_always`` stay text). Raises :class:`RedcapDictionaryError` (``row`` = line of the file)."""
    column = COLUMNS[5]
    choices, seen = [], set()
    for part in re.split(r"\s*\|\s*|\n", text):
        if not part.strip():
            continue
        code, sep, label = part.partition(",")
        code, label = code.strip(), label.strip()
        if not sep or not _CODE.match(code) or not label:
            raise RedcapDictionaryError(row, column, f"malformed choice {part.strip()!r}; expected 'code, label'")
        if code in seen:
            raise RedcapDictionaryError(row, column, f"duplicate choice code {code!r}")
        seen.add(code)
        choices.append({"value": _code_value(code), "label": label})
    return choices


def _bound(text: str, kind: str) -> int | float | str:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            return int(number) if re.fullmatch(r"-?\d+", text) else number
    except ValueError:
        raise ValueError(f"{text!r} is not a valid {kind}") from None
    if kind == "date" and _DATE.match(text):
        return text
    raise ValueError(f"{text!r} is not a valid {kind} bound")


def _item_from_row(cells: dict[str, str], row: int, problems: _Problems) -> dict | None:
    """The item of one data row, or None when the row has errors (all of them recorded in ``problems``)."""
    before = len(problems.found)
    key = cells[COLUMNS[0]]
    if not _VARIABLE.match(key):
        problems.add(row, COLUMNS[0], f"{key!r} must start with a letter and use a-z, 0-9, _")
    field_type = cells[COLUMNS[3]]
    spec = REDCAP_FIELD_TYPES.get(field_type)
    if spec is None:
        problems.add(row, COLUMNS[3], f"unknown field type {field_type!r}; REDCap's are {', '.join(FIELD_TYPES)}")
        return None
    item: dict[str, Any] = {"key": key, "text": cells[COLUMNS[4]], "type": spec.item_type}
    choices = cells[COLUMNS[5]]
    if field_type in ("radio", "dropdown", "checkbox"):
        if not choices:
            problems.add(row, COLUMNS[5], f"a {field_type} field needs choices")
        else:
            try:
                item["choices"] = parse_choices(choices, problems.line_of.get(row, row + 1))
            except RedcapDictionaryError as exc:
                problems.add(row, COLUMNS[5], exc.problems[0].message)
    elif field_type == "slider":
        item.update(min=0, max=100, redcap_type="slider", slider_labels=choices)
        if cells[COLUMNS[7]]:
            item["slider_number"] = cells[COLUMNS[7]]
    elif field_type == "calc":
        item.update(redcap_type="calc", calculation=choices)
    elif field_type == "sql":
        item.update(redcap_type="sql", sql=choices)
    elif choices:
        problems.add(row, COLUMNS[5], f"choices are not allowed on a {field_type} field")
    if spec.handling == "data":
        item.setdefault("redcap_type", field_type)
        problems.warn(row, COLUMNS[3], f"field {key!r} ({field_type}) imported as data only, not asked in the survey: "
                                       f"{spec.why}")
    validation = cells[COLUMNS[7]]
    if validation and field_type != "slider":  # on a slider the column says whether to show the number
        rule = REDCAP_VALIDATIONS.get(validation)
        if rule is not None and field_type not in rule.field_types:
            problems.add(row, COLUMNS[7], f"validation {validation!r} does not apply to a {field_type} field "
                                          f"(REDCap allows it on {', '.join(rule.field_types)})")
        elif rule is None and field_type != "text":
            problems.add(row, COLUMNS[7], f"validation {validation!r} does not apply to a {field_type} field")
        elif rule is None:
            item["validation"] = validation
            problems.warn(row, COLUMNS[7], f"validation {validation!r} is not one REDCap ships (a site's own?): the "
                                           "answer is accepted as text without that check")
        else:
            if TYPE_TO_VALIDATION.get(rule.item_type) != validation:  # integer, number, date_ymd, email: implied
                item["validation"] = validation
            if rule.item_type == "data" and item["type"] != "data":
                item["type"] = "data"
                item.setdefault("redcap_type", field_type)
                problems.warn(row, COLUMNS[7], f"field {key!r} ({validation}) imported as data only, not asked in "
                                               "the survey: a signature is not collected by this survey")
            elif field_type == "text":
                item["type"] = rule.item_type
            if rule.pattern:
                item.update(pattern=rule.pattern, format=rule.format)
    for bound, column in (("min", COLUMNS[8]), ("max", COLUMNS[9])):
        if cells[column]:
            if item["type"] not in ("integer", "number", "date") or field_type == "slider":
                problems.add(row, column, "min/max need integer, number or date validation")
                continue
            try:
                item[bound] = _bound(cells[column], item["type"])
            except ValueError as exc:
                problems.add(row, column, str(exc))
    required = cells[COLUMNS[12]].lower()
    if required not in ("", "y", "n"):
        problems.add(row, COLUMNS[12], f"{cells[COLUMNS[12]]!r} must be 'y' or blank")
    item["required"] = required == "y" and item["type"] != "data"
    for flag, column in _FLAGS.items():
        if cells[column].lower() == "y":
            item[flag] = True
    for field, column in _EXTRA.items():
        if cells[column] and field not in item:
            item[field] = cells[column]
    if cells[COLUMNS[11]]:
        item["branching"] = cells[COLUMNS[11]]
    return item if len(problems.found) == before else None


def _check_branching(item: dict, row: int, items: dict[str, dict], problems: _Problems) -> None:
    column = COLUMNS[11]
    try:
        ast = parse_branching(item["branching"])
    except BranchingError as exc:
        problems.add(row, column, str(exc))
        return
    for field, code in referenced_fields(ast):
        target = items.get(field)
        if target is None:
            problems.add(row, column, f"refers to unknown field [{field}]")
        elif target["type"] == "checkbox":
            codes = {str(c["value"]) for c in target["choices"]}
            if code is None or code not in codes:
                problems.add(row, column, f"checkbox [{field}] must be referenced as [{field}(code)] with a code "
                                          f"among {sorted(codes)}")
        elif code is not None:
            problems.add(row, column, f"[{field}({code})] but {field} is not a checkbox field")


def _read_rows(csv_text: str, problems: _Problems) -> list[tuple[int, dict[str, str]]]:
    reader = csvinput.reader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        raise RedcapDictionaryError(1, COLUMNS[0], "the file is empty")
    header = [h.strip() for h in header]
    for j, expected in enumerate(COLUMNS):
        got = header[j] if j < len(header) else "(missing)"
        if got != expected:
            problems.add(0, expected, f"header {j + 1} must be {expected!r}, got {got!r}")
    if len(header) > len(COLUMNS):
        problems.add(0, header[len(COLUMNS)], f"unexpected extra column {len(COLUMNS) + 1}")
    if problems.found:
        raise RedcapDictionaryError.of(problems.found)
    rows: list[tuple[int, dict[str, str]]] = []
    data_row, line = 0, reader.line_num + 1
    for record in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        data_row += 1
        problems.line_of[data_row] = start
        if len(record) != len(COLUMNS):
            problems.add(data_row, COLUMNS[0], f"has {len(record)} cells, expected {len(COLUMNS)}")
            continue
        rows.append((data_row, dict(zip(COLUMNS, (cell.strip() for cell in record), strict=True))))
    return rows


def parse_data_dictionary(csv_text: str, form: str | None = None, title: str | None = None,
                          version: str = "1.0.0") -> dict:
    """Parse a REDCap data dictionary CSV into an instrument definition (one form; ``form`` picks one when the
    dictionary holds several). Every field type and validation REDCap ships is accepted (``redcap_fields``):
    those the survey cannot ask become data-only fields, each with a warning in ``import_warnings``. Raises
    :class:`RedcapDictionaryError` listing every problem of the file at once, each with its data row, its line
    in the file and its column."""
    problems = _Problems()
    try:
        rows = _read_rows(csv_text, problems)
    except csvinput.CellTooLong as exc:
        column = exc.name if exc.name in COLUMNS else COLUMNS[min(exc.column, len(COLUMNS)) - 1]
        raise RedcapDictionaryError(exc.line, column, str(exc)) from None
    except csv.Error as exc:
        raise RedcapDictionaryError(0, COLUMNS[0], f"malformed CSV ({exc})") from None
    for row, cells in rows:
        if not _VARIABLE.match(cells[COLUMNS[1]]):
            problems.add(row, COLUMNS[1], f"form name {cells[COLUMNS[1]]!r} must use a-z, 0-9, _")
    forms = list(dict.fromkeys(cells[COLUMNS[1]] for _, cells in rows))
    if not rows and not problems.found:
        raise RedcapDictionaryError(2, COLUMNS[0], "the dictionary has no fields")
    chosen = form or (forms[0] if forms else "")
    if form is None and len(forms) > 1:
        problems.add(1, COLUMNS[1], f"the dictionary has several forms {forms}; choose one")
    elif forms and chosen not in forms:
        problems.add(1, COLUMNS[1], f"no form {chosen!r}; forms are {forms}")
    items: dict[str, dict] = {}
    row_of: dict[str, int] = {}
    section = None
    for row, cells in rows:
        if cells[COLUMNS[1]] != chosen:
            continue
        item = _item_from_row(cells, row, problems)
        section = cells[COLUMNS[2]] or section
        if item is None:
            continue
        if item["key"] in items:
            problems.add(row, COLUMNS[0], f"duplicate field name {item['key']!r} (first in data row "
                                          f"{row_of[item['key']]})")
            continue
        if section:
            item["section"] = section
        items[item["key"]], row_of[item["key"]] = item, row
    for key, item in items.items():
        if "branching" in item:
            _check_branching(item, row_of[key], items, problems)
    if problems.found:
        raise RedcapDictionaryError.of(sorted(problems.found, key=lambda p: (p.data_row, COLUMNS.index(p.column)
                                                                             if p.column in COLUMNS else 99)))
    definition = {
        "schema_version": 1, "key": chosen, "version": version,
        "title": title or chosen.replace("_", " ").strip().capitalize(),
        "citation": "", "license": "", "instructions": "", "response_scales": {},
        "items": list(items.values()), "subscales": [], "scoring_version": SCORING_RULE_VERSION,
        "history": [{"version": version, "changes": "Imported from a REDCap data dictionary."}],
    }
    if problems.warnings:
        definition["import_warnings"] = problems.warnings
    # REDCap's record ID is the dictionary's first field, whatever the project named it (record_id, study_id, ...)
    first = rows[0][1][COLUMNS[0]]
    if first in items and definition["items"][0]["key"] == first and items[first]["type"] in RECORD_ID_TYPES:
        definition["record_id_field"] = first
    return validate_definition(definition)


def _choices_text(choices: Iterable[dict]) -> str:
    return " | ".join(f"{c['value']}, {c['label']}" for c in choices)


def _export_row(item: dict, definition: dict, section: str) -> list[str]:
    kind = item["type"]
    choices = item.get("choices", [])
    if kind == "likert":
        kind, choices = "radio", list(definition["response_scales"][item["scale"]])
        if definition.get("dont_know_code") is not None:
            choices.append({"value": definition["dont_know_code"], "label": definition.get("dont_know_label", "")})
    validation = item.get("validation") or TYPE_TO_VALIDATION.get(kind, "")
    redcap_type = item.get("redcap_type")
    if redcap_type:  # slider, calc, sql, file: written back as REDCap had them
        kind = redcap_type
        choices_text = {"slider": item.get("slider_labels"), "calc": item.get("calculation"),
                        "sql": item.get("sql")}.get(redcap_type) or ""
        validation = item.get("slider_number", "") if redcap_type == "slider" else item.get("validation", "")
    elif validation and kind not in ("dropdown", "radio", "checkbox"):
        kind, choices_text = "text", ""
    else:
        choices_text = _choices_text(choices)
    bounds = not redcap_type
    question_number = item.get("question_number") or (str(item["number"]) if "number" in item else "")
    cells = {
        COLUMNS[0]: item["key"], COLUMNS[1]: definition["key"], COLUMNS[2]: section, COLUMNS[3]: kind,
        COLUMNS[4]: item["text"], COLUMNS[5]: choices_text, COLUMNS[7]: validation,
        COLUMNS[8]: "" if item.get("min") is None or not bounds else str(item["min"]),
        COLUMNS[9]: "" if item.get("max") is None or not bounds else str(item["max"]),
        COLUMNS[11]: item.get("branching") or "", COLUMNS[12]: "y" if item.get("required") else "",
        _EXTRA["question_number"]: question_number,
    }
    for field, column in _EXTRA.items():
        cells.setdefault(column, item.get(field) or "")
    for flag, column in _FLAGS.items():
        cells[column] = "y" if item.get(flag) else ""
    return [cells[c] for c in COLUMNS]


def export_data_dictionary(definition: dict) -> str:
    """Write a definition as a REDCap data dictionary CSV (form name = definition key; likert -> radio with the
    scale's options plus the don't-know option; integer/number/date/email -> text with validation)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    previous = None
    for item in definition["items"]:
        section = item.get("section")
        writer.writerow(_export_row(item, definition, section if section and section != previous else ""))
        previous = section
    return out.getvalue()


_COMPLETE = {0: 0, 1: 1, 2: 2, "incomplete": 0, "unverified": 1, "complete": 2}


def dag_name(clinic_code: str | None) -> str:
    """REDCap-style unique data access group name: lower case, non-alphanumerics -> '_'."""
    return re.sub(r"[^a-z0-9]+", "_", (clinic_code or "").lower()).strip("_")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_id_field(definition: dict) -> str | None:
    """The item that holds REDCap's record identifier, or None.

    A REDCap project's first field is its record ID, named ``record_id`` unless renamed, so a dictionary exported
    from REDCap starts with it. Rule: the item :func:`parse_data_dictionary` recorded as ``record_id_field`` (the
    dictionary's first field, when the chosen form holds it); for definitions without that entry, the first item
    when it is a text item keyed ``record_id``. Respondents are not asked it; the records export fills it with the
    record id instead of writing it twice."""
    items = definition.get("items") or []
    if not items:
        return None
    named = definition.get("record_id_field")
    if named:
        return named if items[0]["key"] == named else None
    if items[0]["key"] == "record_id" and items[0]["type"] == "text":
        return "record_id"
    return None


def export_records(definition: dict, responses: list[dict]) -> str:
    """REDCap import CSV for ``responses`` = ``[{record_id, dag, answers, complete}]`` (see module docstring).
    The definition's record ID field (:func:`record_id_field`) is the first column, under its own name (REDCap
    reads the first column as the record ID), not a second one; without one the column is ``record_id``."""
    id_field = record_id_field(definition)
    fields = [item for item in definition["items"] if item["type"] != "descriptive" and item["key"] != id_field]
    known = {item["key"] for item in fields}
    header = [id_field or "record_id", "redcap_data_access_group"]
    for item in fields:
        if item["type"] == "checkbox":
            header += [f"{item['key']}___{str(c['value']).lower().replace('-', '_')}" for c in item["choices"]]
        else:
            header.append(item["key"])
    header.append(f"{definition['key']}_complete")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    seen: set[str] = set()
    for n, response in enumerate(responses, start=1):
        record_id = str(response.get("record_id") or "")
        where = f"response {n} (record_id {record_id!r})"
        if not record_id or record_id in seen:
            raise RedcapRecordsError(f"{where}: record_id is {'missing' if not record_id else 'duplicated'}")
        seen.add(record_id)
        answers = {k: v for k, v in (response.get("answers") or {}).items() if k != id_field}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise RedcapRecordsError(f"{where}: answers for unknown fields {unknown}")
        complete = response.get("complete", False)
        if isinstance(complete, bool):
            status = 2 if complete else 0
        elif isinstance(complete, (int, str)) and complete in _COMPLETE:
            status = _COMPLETE[complete]
        else:
            raise RedcapRecordsError(f"{where}: complete must be true/false, 0, 1, 2 or a status name, got {complete!r}")
        line = [record_id, dag_name(response.get("dag"))]
        for item in fields:
            value = answers.get(item["key"])
            if item["type"] == "checkbox":
                if value is not None and not isinstance(value, (list, tuple, set)):
                    raise RedcapRecordsError(f"{where}, field {item['key']}: checkbox answer must be a list")
                ticked = {str(v) for v in (value or [])}
                line += ["1" if str(c["value"]) in ticked else "0" for c in item["choices"]]
            else:
                line.append(_cell(value))
        line.append(str(status))
        writer.writerow(line)
    return out.getvalue()
