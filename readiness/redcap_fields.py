"""What REDCap ships, and how each field type and text validation is handled here (one registry).

Sources: REDCap's Online Designer and data dictionary documentation ("Field Types", "Text Validation Types"), as
shipped in REDCap 13–14 (the validation list of Control Center > Field Validation Types). REDCap stores dates as
``YYYY-MM-DD`` and date-times as ``YYYY-MM-DD HH:MM[:SS]`` whatever the display order (``_mdy``/``_dmy`` only
change how the form shows them), so those validations map to the stored format.

Handling, per entry:

- ``rendered``: the survey draws it and checks answers (``item_type`` is the instrument engine's type; a
  ``pattern`` is checked on the stored text, ``format`` tells the respondent what to type);
- ``data``: imported as a data-only field (kept in the instrument and in the records export, never asked in the
  survey), with a warning saying why: REDCap computes it (calc), it holds an upload (file, signature) or its choices
  come from REDCap's own database (sql).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldType:
    name: str
    handling: str  # "rendered" or "data"
    item_type: str | None  # the instrument engine's type ("data" for data-only fields)
    why: str = ""


FIELD_TYPES: dict[str, FieldType] = {f.name: f for f in (
    FieldType("text", "rendered", "text"),
    FieldType("notes", "rendered", "notes"),
    FieldType("radio", "rendered", "radio"),
    FieldType("dropdown", "rendered", "dropdown"),
    FieldType("checkbox", "rendered", "checkbox"),
    FieldType("yesno", "rendered", "yesno"),
    FieldType("truefalse", "rendered", "truefalse"),
    FieldType("descriptive", "rendered", "descriptive"),
    FieldType("slider", "rendered", "integer", "a slider stores 0–100; asked as a whole number from 0 to 100 with its "
                                               "labels as help"),
    FieldType("calc", "data", "data", "REDCap computes a calculated field; its formula is kept, not evaluated here"),
    FieldType("file", "data", "data", "a file upload is not collected by this survey"),
    FieldType("sql", "data", "data", "a dynamic SQL field takes its choices from the REDCap database"),
)}


@dataclass(frozen=True)
class Validation:
    name: str
    item_type: str  # the instrument engine's type the text field becomes
    pattern: str | None = None  # regular expression the stored answer must match (fullmatch)
    format: str = ""  # what the respondent is told to type
    field_types: tuple[str, ...] = ("text",)


_D = r"\d{4}-\d{2}-\d{2}"
_T = r"(?:[01]\d|2[0-3]):[0-5]\d"
VALIDATIONS: dict[str, Validation] = {v.name: v for v in (
    Validation("integer", "integer"),
    Validation("number", "number"),
    *(Validation(f"number_{n}dp", "text", rf"-?\d+\.\d{{{n}}}", f"a number with {n} decimal place(s), e.g. "
                                                               f"{'1.' + '5' * n}") for n in range(1, 5)),
    Validation("number_comma_decimal", "text", r"-?\d+(?:,\d+)?", "a number with a decimal comma, e.g. 12,5"),
    *(Validation(f"number_{n}dp_comma_decimal", "text", rf"-?\d+,\d{{{n}}}",
                 f"a number with {n} decimal place(s) after a comma, e.g. {'1,' + '5' * n}") for n in range(1, 5)),
    Validation("date_ymd", "date"),
    Validation("date_mdy", "date"),
    Validation("date_dmy", "date"),
    *(Validation(f"datetime_{order}", "text", rf"{_D} {_T}", "a date and time, YYYY-MM-DD HH:MM")
      for order in ("ymd", "mdy", "dmy")),
    *(Validation(f"datetime_seconds_{order}", "text", rf"{_D} {_T}:[0-5]\d", "a date and time, YYYY-MM-DD HH:MM:SS")
      for order in ("ymd", "mdy", "dmy")),
    Validation("time", "text", _T, "a time, HH:MM (24-hour)"),
    Validation("time_hh_mm_ss", "text", rf"{_T}:[0-5]\d", "a time, HH:MM:SS (24-hour)"),
    Validation("time_mm_ss", "text", r"[0-5]\d:[0-5]\d", "minutes and seconds, MM:SS"),
    Validation("email", "email"),
    Validation("phone", "text", r"\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]?\d{4}(?: ?(?:x|ext\.?) ?\d+)?",
               "a North American phone number, e.g. (617) 555-0123"),
    Validation("phone_australia", "text", r"\(?0[2-9]\)?[ -]?\d{4}[ -]?\d{4}", "an Australian phone number, e.g. "
                                                                               "(02) 9876 5432"),
    Validation("zipcode", "text", r"\d{5}(?:-\d{4})?", "a U.S. ZIP code, e.g. 02115 or 02115-1234"),
    Validation("postalcode_canada", "text", r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d", "a Canadian postal code, e.g. "
                                                                                   "K1A 0B1"),
    Validation("postalcode_australia", "text", r"\d{4}", "an Australian postcode, 4 digits"),
    Validation("postalcode_french", "text", r"\d{5}", "a French postal code, 5 digits"),
    Validation("postalcode_germany", "text", r"\d{5}", "a German postal code, 5 digits"),
    Validation("alpha_only", "text", r"[A-Za-z]+", "letters only"),
    Validation("ssn", "text", r"\d{3}-\d{2}-\d{4}", "a number like 123-45-6789"),
    Validation("mrn_10d", "text", r"\d{10}", "10 digits"),
    Validation("mrn_generic", "text", r"[A-Za-z0-9-]+", "letters, digits and hyphens"),
    Validation("vmrn", "text", r"\d{1,10}", "up to 10 digits"),
    Validation("autocomplete", "dropdown", field_types=("dropdown",)),
    Validation("signature", "data", field_types=("file",)),
)}
