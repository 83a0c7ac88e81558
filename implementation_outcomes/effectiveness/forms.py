"""WTForms for the effectiveness pages. The entry form of a measure is built at run time from its definition in
the measures data file (one field per stored score or result); the ranges are checked by
``measures.parse_values`` in the service, whose field-named errors come back onto these fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from implementation_outcomes.effectiveness.measures import TOX_RESULTS, field_range_text
from implementation_outcomes.effectiveness.models import DATA_USE, MISSED_REASONS


class _EntryBase(FlaskForm):
    assessed_on = DateField("Assessed on", validators=[InputRequired()])

    def raw(self) -> dict[str, Any]:
        return {name: self[name].data for name in self.measure_fields}


def entry_form(measure: Mapping[str, Any], **kwargs) -> _EntryBase:
    """A form class for ``measure``: text inputs for numbers (so a bad value reaches the range check and is named
    there, rather than vanishing as None) and a choice per toxicology result."""
    attrs: dict[str, Any] = {"measure_fields": [f["key"] for f in measure["fields"]]}
    for f in measure["fields"]:
        description = f"{field_range_text(f)}" + (f". {f['help']}" if f.get("help") else "")
        if f["type"] == "result":
            attrs[f["key"]] = SelectField(f["label"], choices=[("", "—"), *TOX_RESULTS.items()],
                                          description=description, validators=[Optional()])
        else:
            attrs[f["key"]] = StringField(f["label"], description=description, validators=[Optional()])
    form_class = type(f"EntryForm_{measure['key']}", (_EntryBase,), attrs)
    return form_class(**kwargs)


class MissedForm(FlaskForm):
    missed_reason = SelectField("Why was it missed?", choices=[("", "— choose —"), *MISSED_REASONS.items()],
                                validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=255)],
                       description="Required for “Other”. No names: study IDs only.")


class WithdrawalForm(FlaskForm):
    withdrawn_on = DateField("Withdrawn on", validators=[InputRequired()])
    data_use = SelectField("Data already collected", choices=[("", "— choose —"), *DATA_USE.items()],
                           validators=[DataRequired()])
    reason = StringField("Reason", validators=[Optional(), Length(max=255)])


class WindowsForm(FlaskForm):
    """The windows page draws its day fields from the time points; this form carries the CSRF token."""


class UnblindForm(FlaskForm):
    reason = TextAreaField("Why must you learn this mother's arm?", validators=[DataRequired(), Length(max=255)],
                           description="For example a safety event that requires it. The unblinding is written to "
                                       "the audit trail and your later entries for her are flagged.")


class ImportForm(FlaskForm):
    file = FileField("File", validators=[FileRequired()],
                     description="UTF-8 CSV. Columns: see the template (fields are named <measure>_<field>).")
    format = SelectField("Kind of file", choices=[("csv", "CSV (study_id, time_point, assessed_on, fields)"),
                                                  ("redcap", "REDCap record export (record_id, redcap_event_name, "
                                                             "fields)")])
    event_map = TextAreaField("REDCap events (optional)", validators=[Optional(), Length(max=2000)],
                              description="Only when your event names are not time point names: one "
                                          "event_name=time_point per line, e.g. visit_2_arm_1=end_of_treatment.")
