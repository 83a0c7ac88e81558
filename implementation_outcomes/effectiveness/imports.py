"""Reading assessments from a CSV file or a REDCap longitudinal record export: one row per mother and time point.

Columns (names as REDCap allows them: lowercase letters, digits and ``_``):
- the mother: ``study_id`` (CSV), or ``record_id`` (REDCap; a ``study_id`` column, when present, wins); ``clinic``
  (a clinic code) only where the same study ID exists at two clinics;
- the time point: ``time_point`` (a key of the measures file), or REDCap's ``redcap_event_name``: the unique event
  name with its ``_arm_N`` suffix removed must be a time point key or one of ``EVENT_ALIASES``; an explicit
  ``event_map`` ({"visit_1_arm_1": "baseline", ...}) replaces that reading;
- ``assessed_on`` (or ``assessment_date``): YYYY-MM-DD, as REDCap stores dates;
- ``coder_slot`` (optional): primary or second (double coding of a coded measure);
- one column per stored field: ``<measure key>_<field key>`` (``value_columns()``), e.g. ``pdi_rf_rf_overall``,
  ``psi_4_sf_total_stress``, ``urine_toxicology_fentanyl``. A measure is read from a row when any of its columns is
  filled there, and then its values pass ``measures.parse_values`` (ranges, required fields, totals).
REDCap's own columns (``redcap_repeat_instrument``, ``redcap_repeat_instance``, ``redcap_data_access_group``,
``redcap_survey_identifier``, ``<form>_complete``, ``<form>_timestamp``) are ignored; any other column is refused,
so nothing is dropped in silence. An ``arm`` column is refused as well: assessments carry no allocation.

All problems are reported at once, each naming the data row, its line in the file and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from implementation_outcomes.effectiveness import measures
from implementation_outcomes.errors import OutcomeDataError

EVENT_ALIASES: dict[str, str] = {
    "baseline": "baseline", "screening_baseline": "baseline", "bl": "baseline", "enrollment": "baseline",
    "end_of_treatment": "end_of_treatment", "eot": "end_of_treatment", "post_treatment": "end_of_treatment",
    "posttreatment": "end_of_treatment", "post": "end_of_treatment",
    "follow_up_3m": "follow_up_3m", "3_month_follow_up": "follow_up_3m", "3_month_followup": "follow_up_3m",
    "3month_followup": "follow_up_3m", "followup_3m": "follow_up_3m", "fu_3m": "follow_up_3m",
    "3_month_fu": "follow_up_3m",
}
_ARM_SUFFIX = re.compile(r"_arm_\d+$")
_REDCAP_META = re.compile(r"^(redcap_(repeat_instrument|repeat_instance|data_access_group|survey_identifier)|"
                          r"[a-z0-9_]+_(complete|timestamp))$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMATS = ("csv", "redcap")


class AssessmentImportError(OutcomeDataError):
    """An import refused; ``errors`` lists every problem with its row, line and column."""


def value_columns() -> dict[str, tuple[str, str]]:
    """Column name -> (measure key, field key) for every stored field of every measure."""
    return {f"{m['key']}_{f['key']}": (m["key"], f["key"]) for m in measures.measures() for f in m["fields"]}


def template_headers() -> list[str]:
    return ["study_id", "time_point", "assessed_on", "coder_slot", *value_columns()]


def event_time_point(event: str, event_map: Mapping[str, str] | None = None) -> str | None:
    """The time point of a REDCap unique event name (rules in the module docstring), or None."""
    event = event.strip().lower()
    if event_map:
        return event_map.get(event)
    base = _ARM_SUFFIX.sub("", event)
    keys = {tp["key"] for tp in measures.time_points()}
    return base if base in keys else EVENT_ALIASES.get(base)


def parse_event_map(text: str) -> dict[str, str]:
    """``event=time_point`` pairs, one per line or comma-separated; refused when a time point is unknown."""
    keys = {tp["key"] for tp in measures.time_points()}
    out, errors = {}, []
    for n, part in enumerate(re.split(r"[\n,]", text or ""), start=1):
        part = part.strip()
        if not part:
            continue
        event, sep, tp = part.partition("=")
        if not sep or tp.strip() not in keys:
            errors.append(f"event map entry {n} ({part!r}): write event_name=time_point with a time point among "
                          f"{', '.join(sorted(keys))}")
            continue
        out[event.strip().lower()] = tp.strip()
    if errors:
        raise AssessmentImportError(errors)
    return out


def parse_assessments(data: bytes | str, fmt: str = "csv", event_map: Mapping[str, str] | None = None
                      ) -> list[dict[str, Any]]:
    """Every data row as ``{row, line, study_id, clinic, time_point, assessed_on, coder_slot, measures: {measure
    key: {field key: text}}}``, or ``AssessmentImportError`` with every problem (module docstring)."""
    if fmt not in FORMATS:
        raise AssessmentImportError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AssessmentImportError("file: not UTF-8 text (save the CSV as UTF-8)") from None
    reader = csv.reader(io.StringIO(data.removeprefix("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise AssessmentImportError("file: empty (expected a header row)") from None
    columns = value_columns()
    errors: list[str] = []
    id_column = "study_id" if "study_id" in header or fmt == "csv" else "record_id"
    tp_column = "redcap_event_name" if fmt == "redcap" else "time_point"
    date_column = "assessed_on" if "assessed_on" in header else "assessment_date"
    known = {id_column, tp_column, date_column, "coder_slot", "clinic", "record_id", *columns}
    for i, name in enumerate(header):
        if name in known or (fmt == "redcap" and _REDCAP_META.match(name)):
            continue
        if name == "arm":
            errors.append(f"line 1, column {i + 1} ({name}): assessments carry no allocation; remove the arm column")
        else:
            errors.append(f"line 1, column {i + 1} ({name}): not a column of the assessment import (fields are "
                          f"<measure>_<field>, e.g. pdi_rf_rf_overall; see the template)")
    for required in (id_column, tp_column, date_column):
        if required not in header:
            errors.append(f"line 1: missing column {required}")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        errors.append(f"line 1: repeated column(s) {', '.join(dupes)}")
    if errors:
        raise AssessmentImportError(errors)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    row_number = 0
    line = reader.line_num
    for cells in reader:
        start_line, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row_number += 1
        where = f"row {row_number} (line {start_line})"
        if len(cells) != len(header):
            errors.append(f"{where}: {len(cells)} cells for {len(header)} columns")
            continue
        cell = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        row_errors: list[str] = []
        study_id = cell.get(id_column, "")
        if not study_id:
            row_errors.append(f"{where}, column {id_column}: empty")
        raw_tp = cell.get(tp_column, "")
        time_point = event_time_point(raw_tp, event_map) if fmt == "redcap" else raw_tp
        if time_point not in measures.time_point_labels():
            hint = " (give an event map)" if fmt == "redcap" else ""
            row_errors.append(f"{where}, column {tp_column}: {raw_tp!r} is not a time point{hint}: "
                              f"{', '.join(measures.time_point_labels())}")
        assessed_on = None
        text = cell.get(date_column, "")
        if not _DATE.match(text):
            row_errors.append(f"{where}, column {date_column}: {text!r} is not a date YYYY-MM-DD")
        else:
            try:
                assessed_on = date.fromisoformat(text)
            except ValueError:
                row_errors.append(f"{where}, column {date_column}: {text!r} is not a calendar date")
        slot = cell.get("coder_slot") or "primary"
        if slot not in measures.CODER_SLOTS:
            row_errors.append(f"{where}, column coder_slot: {slot!r} is not primary or second")
        found: dict[str, dict[str, str]] = {}
        for name, (measure_key, field_key) in columns.items():
            if cell.get(name, ""):
                found.setdefault(measure_key, {})[field_key] = cell[name]
        for measure_key, raw in found.items():
            m = measures.measure(measure_key)
            if time_point in measures.time_point_labels() and time_point not in m["time_points"]:
                row_errors.append(f"{where}: {m['label']} is not assessed at {time_point}")
            try:
                measures.parse_values(m, raw)
            except measures.MeasureValueError as exc:
                for field_key, message in exc.fields.items():
                    row_errors.append(f"{where}, column {measure_key}_{field_key}: {message}")
        if not found and not row_errors:
            row_errors.append(f"{where}: no measure values in this row")
        key = (cell.get("clinic", ""), study_id, time_point, slot)
        for measure_key in found:
            previous = seen.setdefault((*key, measure_key), row_number)
            if previous != row_number:
                row_errors.append(f"{where}: {measure_key} of {study_id} at {time_point} ({slot}) repeats row "
                                  f"{previous}")
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append({"row": row_number, "line": start_line, "study_id": study_id, "clinic": cell.get("clinic") or None,
                     "time_point": time_point, "assessed_on": assessed_on, "coder_slot": slot, "measures": found})
    if errors:
        raise AssessmentImportError(errors)
    if not rows:
        raise AssessmentImportError("file: no data rows")
    return rows


def template_csv() -> str:
    """An empty import file with every column, and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    headers = template_headers()
    writer.writerow(headers)
    example = {"study_id": "SPR1-001", "time_point": "baseline", "assessed_on": "2026-01-08", "coder_slot": "primary",
               "bdi_ii_total": "17"}
    writer.writerow([example.get(h, "") for h in headers])
    return buffer.getvalue()
