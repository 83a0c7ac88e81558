"""The screening log as plain data: field checks for one entry and an all-or-nothing CSV reader.

Pure (no Flask, no database): ``check_entry`` returns ``{field: message}`` for one entry (used by the entry form
and by the CSV reader); ``parse_screening_csv`` returns every row parsed or raises ``ScreeningLogError`` listing
every problem as ``row N, field 'x': ...`` where N is the spreadsheet row (the header is row 1).
Status, reason and arm rules come from ``reach.validate_screening_row`` (one copy of the rule); date order and
the trial's inclusion ages (mother >= 18, child <= 60 months; hybrid-trial eligibility) are checked here.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from app import csvinput
from implementation_outcomes.errors import ScreeningLogError
from implementation_outcomes.reach import validate_screening_row

COLUMNS: tuple[str, ...] = (
    "study_id", "screened_on", "status", "reason", "consented_on", "randomized_on", "arm",
    "mother_age", "child_age_months", "primary_substance", "medication_treatment",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("study_id", "screened_on", "status")
#: columns the platform's own export adds; accepted and ignored on import so an export can be re-imported
EXPORT_ONLY_COLUMNS: tuple[str, ...] = ("clinic", "allocation_source", "counselor", "started_on")
DATE_FIELDS: tuple[str, ...] = ("screened_on", "consented_on", "randomized_on")
STUDY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
SUBSTANCES: dict[str, str] = {
    "opioids": "Opioids", "alcohol": "Alcohol", "stimulants": "Stimulants", "cannabis": "Cannabis",
    "polysubstance": "Polysubstance", "other": "Other",
}
ELIGIBLE_STATUSES: frozenset[str] = frozenset({"not_offered", "declined", "consented", "randomized", "started"})
CONSENTED_STATUSES: frozenset[str] = frozenset({"consented", "randomized", "started"})
MOTHER_AGE_RANGE = (12, 70)  # plausibility for anyone screened
CHILD_AGE_RANGE = (0, 240)  # months
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}
_FIELD_RE = re.compile(r"field '(\w+)': (.*)$")


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    return date.fromisoformat(text)  # ValueError handled by the caller


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    return int(text) if text else None


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


def normalise_entry(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Convert text values (CSV cells, form strings) to typed values; return ``(values, errors by field)``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in COLUMNS:
        value = raw.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        try:
            if name in DATE_FIELDS:
                value = _date(value)
            elif name in ("mother_age", "child_age_months"):
                value = _int(value)
            elif name == "medication_treatment":
                value = _bool(value)
            elif name in ("status", "arm", "primary_substance") and value is not None:
                value = str(value).lower().replace(" ", "_").replace("-", "_")
                if name == "arm" and value in ("mio+tau", "mio_+_tau"):
                    value = "mio_tau"
        except ValueError:
            errors[name] = {
                "mother_age": f"{value!r} is not a whole number of years",
                "child_age_months": f"{value!r} is not a whole number of months",
                "medication_treatment": f"{value!r} is not yes/no",
            }.get(name, f"{value!r} is not a date (YYYY-MM-DD)")
            value = None
        values[name] = value
    return values, errors


#: the study's study-ID pattern unless the deployment sets ``STUDY_ID_PATTERN``: up to 5 letters, up to 3 digits,
#: an optional hyphen, then 1-6 digits (SPR1-001, HFR1-042, M00001); never a name or a date
DEFAULT_STUDY_ID_PATTERN = r"^[A-Za-z]{1,5}[0-9]{0,3}-?[0-9]{1,6}$"
#: longest study-ID pattern the director may set (a study ID itself is at most 40 characters)
MAX_STUDY_ID_PATTERN_LENGTH = 200
#: name-like identifiers no study-ID pattern may accept (issue 14: ``Jane_Doe_1990-01-01`` was typed as a study ID)
NAME_LIKE_IDS: tuple[str, ...] = ("Jane_Doe_1990-01-01", "Jane_Doe_19900101", "Jane_Doe", "JaneDoe", "Jane-Doe",
                                  "Doe_Jane", "Jane Doe", "Doe, Jane", "jane.doe@example.org", "JaneDoe1990-01-01")


def study_id_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a study's study-ID pattern, or ``None``: it must compile as a Python regular
    expression (matched in full against the study ID), be at most ``MAX_STUDY_ID_PATTERN_LENGTH`` characters,
    nest no variable repeat or alternative inside a repeat (``(a+)+``, ``(a|a)*``: exponential backtracking, OWASP
    "Regular expression Denial of Service"), and accept none of ``NAME_LIKE_IDS``."""
    if len(pattern) > MAX_STUDY_ID_PATTERN_LENGTH:
        return f"is {len(pattern)} characters long; at most {MAX_STUDY_ID_PATTERN_LENGTH}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible set difference" and the like: ambiguous, so refused
            compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"is not a regular expression: {exc}"
    except Warning as exc:
        return f"is ambiguous: {exc}; escape the character or write it another way"
    nested = _nested_repeat(pattern)
    if nested:
        return (f"repeats a part that itself varies ({nested}); such patterns can take exponential time. "
                "Write it without a repeat inside a repeat")
    for name_like in NAME_LIKE_IDS:
        if compiled.fullmatch(name_like):
            return f"accepts {name_like!r}, which is a name, not a study ID; make it stricter (e.g. SPR1-001)"
    return None


def _nested_repeat(pattern: str) -> str | None:
    """The first repeat (max > 1) holding a variable repeat or an alternative, shown as text; ``None`` if none."""
    from re import _constants as c  # the stdlib parser re.compile itself uses
    from re import _parser as sre_parse

    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}

    def varies(items) -> bool:
        for op, av in items:
            if op in repeats and (av[0] != av[1] or varies(av[2])):
                return True
            if op is c.BRANCH:
                return True
            if op is c.SUBPATTERN and varies(av[3]):
                return True
            if op in (c.ASSERT, c.ASSERT_NOT) and varies(av[1]):
                return True
        return False

    def walk(items) -> str | None:
        for op, av in items:
            if op in repeats:
                if av[1] > 1 and varies(av[2]):
                    high = "" if av[1] == c.MAXREPEAT else av[1]
                    return f"a part repeated {{{av[0]},{high}}} times holds a variable part"
                found = walk(av[2])
            elif op is c.SUBPATTERN:
                found = walk(av[3])
            elif op is c.BRANCH:
                found = next((f for f in map(walk, av[1]) if f), None)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                found = walk(av[1])
            else:
                found = None
            if found:
                return found
        return None

    return walk(sre_parse.parse(pattern))


#: free-text fields of a participant record that the identifier detector reads
FREE_TEXT_FIELDS: tuple[str, ...] = ("reason",)


DATED_EVENTS = {"screened_on": "the screening", "consented_on": "consent", "randomized_on": "randomization"}


def free_text_problem(text: Any) -> str | None:
    """The refusal of a free-text field of a participant record (a decline or withdrawal reason, a note) holding an
    e-mail address, phone number, street address or date of birth, or ``None``."""
    from qualitative.deidentify.detectors import identifiers_in

    found = identifiers_in(str(text)) if text else []
    if not found:
        return None
    kinds = ", ".join(sorted({f"a {kind} ({shown!r})" for kind, shown in found}))
    return f"holds what looks like an identifier: {kinds}. Remove it (mothers are study IDs only) and save again"


def check_entry(values: Mapping[str, Any], study_id_pattern: str | None = None,
                today: date | None = None) -> dict[str, str]:
    """Problems with one typed entry, by field (empty when valid). The study ID must match ``study_id_pattern``
    (shown in the message) and hold no date; free text (``FREE_TEXT_FIELDS``) must hold no e-mail address, phone
    number, street address or date of birth (``qualitative.deidentify.detectors.identifiers_in``).

    With ``today``, a screening, consent or randomization date after it is refused: the log records what has
    happened, so a future date is a typing slip, and it would move the mother into a later month of reach and
    lengthen her time to first session (a warning would let it through into every figure)."""
    from qualitative.deidentify.detectors import identifiers_in

    errors: dict[str, str] = {}
    study_id = values.get("study_id")
    if not study_id:
        errors["study_id"] = "a study ID is required (never a name)"
    elif not STUDY_ID_RE.match(str(study_id)):
        errors["study_id"] = (f"{study_id!r} is not a study ID: letters, digits, '-' and '_' only, up to 40 "
                              "characters, e.g. SPR1-001")
    elif identifiers_in(str(study_id), any_date=True):
        kind, found = identifiers_in(str(study_id), any_date=True)[0]
        errors["study_id"] = f"{study_id!r} holds a {kind} ({found!r}): a study ID never holds a name or a date"
    elif study_id_pattern and not re.fullmatch(study_id_pattern, str(study_id)):
        errors["study_id"] = (f"{study_id!r} does not follow this study's study-ID pattern {study_id_pattern} "
                              "(e.g. SPR1-001); a study ID never holds a name or a date")
    for field in FREE_TEXT_FIELDS:
        if problem := free_text_problem(values.get(field)):
            errors[field] = problem
    if values.get("screened_on") is None:
        errors["screened_on"] = "the screening date is required"
    status = values.get("status")
    row = {"status": status, "reason": values.get("reason"), "arm": values.get("arm")}
    try:
        validate_screening_row(0, row)
    except ScreeningLogError as exc:
        for message in exc.errors:
            match = _FIELD_RE.search(message)
            if match:
                errors.setdefault(match.group(1), match.group(2))
    if status in ("randomized", "started") and values.get("randomized_on") is None:
        errors.setdefault("randomized_on", f"a {status} mother needs the randomization date")
    if status not in ("randomized", "started") and values.get("randomized_on") is not None:
        errors.setdefault("randomized_on", f"a {status} row cannot have a randomization date")
    if status not in CONSENTED_STATUSES and values.get("consented_on") is not None:
        errors.setdefault("consented_on", f"a {status} row cannot have a consent date")
    screened = values.get("screened_on")
    for name, event in DATED_EVENTS.items():
        when = values.get(name)
        if today is not None and when is not None and when > today:
            errors.setdefault(name, f"{when.isoformat()} is in the future (today is {today.isoformat()}): log "
                                    f"{event} once it has happened")
    for name in ("consented_on", "randomized_on"):
        when = values.get(name)
        if when is not None and screened is not None and when < screened:
            errors.setdefault(name, f"{when.isoformat()} is before the screening date {screened.isoformat()}")
    consented, randomized = values.get("consented_on"), values.get("randomized_on")
    if consented and randomized and randomized < consented:
        errors.setdefault("randomized_on", f"{randomized.isoformat()} is before consent ({consented.isoformat()})")
    age = values.get("mother_age")
    if age is not None:
        lo, hi = MOTHER_AGE_RANGE
        if not lo <= age <= hi:
            errors["mother_age"] = f"{age} is outside {lo}..{hi} years"
        elif status in ELIGIBLE_STATUSES and age < 18:
            errors["mother_age"] = f"{age}: an eligible mother is 18 or older (trial inclusion criteria)"
    child = values.get("child_age_months")
    if child is not None:
        lo, hi = CHILD_AGE_RANGE
        if not lo <= child <= hi:
            errors["child_age_months"] = f"{child} is outside {lo}..{hi} months"
        elif status in ELIGIBLE_STATUSES and child > 60:
            errors["child_age_months"] = f"{child}: an eligible mother's child is 0-60 months (trial inclusion criteria)"
    substance = values.get("primary_substance")
    if substance is not None and substance not in SUBSTANCES:
        errors["primary_substance"] = f"{substance!r} is not one of {', '.join(SUBSTANCES)}"
    return errors


#: the most data rows one screening-log import takes (``SCREENING_IMPORT_MAX_ROWS``): a clinic screens a few
#: hundred mothers a year, a pooled multi-site log some tens of thousands; the upload itself stops at
#: ``MAX_CONTENT_LENGTH`` (25 MB, some 300,000 rows of this log)
DEFAULT_MAX_ROWS = 200_000
#: above this many data rows (``SCREENING_IMPORT_JOB_ROWS``) an import runs as a background job with a progress
#: page: a 100,000-row file took 43 s in one request, past the production worker timeout
DEFAULT_JOB_ROWS = 2_000
#: rows between two progress reports
PROGRESS_EVERY = 1_000


def estimated_rows(data: bytes) -> int:
    """Data rows of a CSV file counted by its non-blank lines after the header: exact unless a quoted cell holds
    line breaks (then an overestimate). Decides only where an import runs; the parser counts the real rows."""
    return max(0, sum(1 for line in data.splitlines() if line.strip()) - 1)


def parse_screening_csv(data: bytes | str, existing_study_ids: Iterable[str] = (),
                        max_rows: int = DEFAULT_MAX_ROWS,
                        study_id_pattern: str | None = DEFAULT_STUDY_ID_PATTERN,
                        progress: Callable[[int], None] | None = None,
                        today: date | None = None) -> list[dict[str, Any]]:
    """:func:`_parse_screening_csv`, refused before any row is read beyond ``max_rows``; with malformed CSV (a cell over ``csvinput.MAX_CELL_CHARS``, a NUL byte, an
    unclosed quote) refused as a ``ScreeningLogError`` naming where, never an unhandled ``csv.Error``.
    ``progress(rows checked)`` is called every ``PROGRESS_EVERY`` rows."""
    try:
        return _parse_screening_csv(data, existing_study_ids, max_rows, study_id_pattern, progress, today)
    except csvinput.CellTooLong as exc:
        raise ScreeningLogError(str(exc)) from None
    except csv.Error as exc:
        raise ScreeningLogError(f"file: malformed CSV ({exc})") from None


def _parse_screening_csv(data: bytes | str, existing_study_ids: Iterable[str] = (),
                         max_rows: int = DEFAULT_MAX_ROWS,
                         study_id_pattern: str | None = DEFAULT_STUDY_ID_PATTERN,
                         progress: Callable[[int], None] | None = None,
                         today: date | None = None) -> list[dict[str, Any]]:
    """Every data row of a screening-log CSV as typed values, or ``ScreeningLogError`` with all problems.

    Header: ``COLUMNS`` (``REQUIRED_COLUMNS`` must be present; other columns are optional; ``EXPORT_ONLY_COLUMNS``
    are ignored; anything else is an error). A study ID already in the clinic's log or repeated in the file is
    an error: the import only adds new rows. Row numbers are spreadsheet rows (header = row 1).
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScreeningLogError(f"file: not UTF-8 text (byte {exc.start}); save the sheet as CSV UTF-8") from exc
    data = data.lstrip("\ufeff")
    if not data.strip():
        raise ScreeningLogError("file: empty; the first row must name the columns")
    try:
        sample = data[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.count("\n") else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csvinput.reader(io.StringIO(data), dialect)
    header = [h.strip().lower() for h in next(reader)]
    errors: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.append(f"row 1 (header): missing column(s) {', '.join(missing)}")
    unknown = [h for h in header if h and h not in COLUMNS and h not in EXPORT_ONLY_COLUMNS]
    if unknown:
        errors.append(f"row 1 (header): unknown column(s) {', '.join(unknown)}; expected {', '.join(COLUMNS)}")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        errors.append(f"row 1 (header): column(s) named twice: {', '.join(repeated)}")
    if errors:
        raise ScreeningLogError(errors)
    existing = {s.lower() for s in existing_study_ids}
    first_seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for line_number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= max_rows:
            raise ScreeningLogError(f"file: more than {max_rows:,} data rows (row {line_number} is one too many); "
                                    f"one import takes at most {max_rows:,} rows: split the file")
        if len(cells) > len(header):
            errors.append(f"row {line_number}: {len(cells)} cells but the header names {len(header)} columns")
            continue
        raw = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name in COLUMNS}
        values, problems = normalise_entry(raw)
        for name, message in check_entry(values, study_id_pattern, today).items():
            problems.setdefault(name, message)
        study_id = values.get("study_id")
        if study_id and "study_id" not in problems:
            key = study_id.lower()
            if key in existing:
                problems["study_id"] = f"{study_id} is already in this clinic's screening log (duplicate study ID)"
            elif key in first_seen:
                problems["study_id"] = f"{study_id} appears again (first on row {first_seen[key]}; duplicate study ID)"
            else:
                first_seen[key] = line_number
        for name in COLUMNS:
            if name in problems:
                errors.append(f"row {line_number}, field '{name}': {problems[name]}")
        values["row"] = line_number
        rows.append(values)
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows))
    if errors:
        raise ScreeningLogError(errors)
    if not rows:
        raise ScreeningLogError("file: no data rows below the header")
    return rows


def template_csv() -> str:
    """A header and two example rows, for the import page's download."""
    lines = [
        ",".join(COLUMNS),
        "SPR1-101,2026-03-02,declined,Too busy / scheduling,,,,29,18,opioids,yes",
        "SPR1-102,2026-03-03,randomized,,2026-03-05,2026-03-09,mio_tau,31,26,polysubstance,no",
    ]
    return "\r\n".join(lines) + "\r\n"
