"""Forms. Choice lists come from the data files (COUNSELOR_STEPS, the activity catalogue, ERIC, CFIR, FRAME,
Proctor 2013); choice checking is left to the pure validators so their messages, which name the field and the bad
value, reach the user instead of WTForms' generic "Not a valid choice"."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from implementation_outcomes.adoption import COUNSELOR_STEPS
from implementation_outcomes.implementation.services.adaptations import frame_fields, has_other, option_pairs
from implementation_outcomes.implementation.services.adoption import STEP_LABELS
from implementation_outcomes.implementation.services.strategies import (
    cfir,
    cluster_labels,
    eric,
    specification,
)

DATE_MESSAGE = "Enter a date as YYYY-MM-DD."


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _date(label: str, required: bool = True, description: str = "") -> DateField:
    validators = [InputRequired(message=DATE_MESSAGE)] if required else [Optional()]
    return DateField(label, validators=validators, description=description)


class StepForm(FlaskForm):
    person_id = SelectField("Counselor", coerce=int, validate_choice=False)
    step = SelectField("Step", choices=[(s, STEP_LABELS[s]) for s in COUNSELOR_STEPS], validate_choice=False)
    reached_on = _date("Date reached", description="The date the counselor reached this step (not after today).")
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Record step")


def activity_form_class(catalogue: dict[str, Any]) -> type[FlaskForm]:
    """A checklist form with a date and a note per catalogue activity (``date_<key>``, ``note_<key>``)."""

    class ActivityChecklistForm(FlaskForm):
        submit = SubmitField("Save completions")

    for stage in catalogue["stages"]:
        for activity in stage["activities"]:
            setattr(ActivityChecklistForm, f"date_{activity['key']}",
                    DateField(activity["label"], validators=[Optional()]))
            setattr(ActivityChecklistForm, f"note_{activity['key']}",
                    StringField(f"Note on “{activity['label']}”", validators=[Optional(), Length(max=500)]))
    return ActivityChecklistForm


def _eric_choices() -> dict[str, list[tuple[str, str]]]:
    labels = cluster_labels()
    grouped: dict[str, list[tuple[str, str]]] = {labels[c]: [] for c in labels}
    for s in eric()["strategies"]:
        grouped[labels[s["cluster"]]].append((s["key"], f"{s['number']}. {s['name']}"))
    return {"": [("", "— choose an ERIC strategy —")], **grouped}


def _cfir_choices() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"": [("", "— none —")]}
    names = {row["key"]: row["name"] for row in cfir()}
    for row in cfir():
        if row["kind"] in ("construct", "subconstruct"):
            group = f"{row['domain']}. {names[row['domain']]}"
            indent = "\u2003" if row["kind"] == "subconstruct" else ""
            out.setdefault(group, []).append((row["key"], f"{indent}{row['key']} {row['name']}"))
    return out


class StrategyForm(FlaskForm):
    where = SelectField("Agency or clinic", validate_choice=False)
    used_on = _date("Date used", description="When the strategy was used or started (not after today).")
    eric_strategy = SelectField(validate_choice=False)
    name = StringField(validators=[Length(max=200)])
    definition = TextAreaField()
    actor = TextAreaField()
    action = TextAreaField()
    action_target = TextAreaField()
    temporality = TextAreaField()
    dose = TextAreaField()
    implementation_outcome = MultiCheckboxField(validate_choice=False)
    justification = TextAreaField()
    cfir_construct = SelectField(validate_choice=False)
    submit = SubmitField("Save strategy")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in specification()["fields"]:
            self[field["key"]].label.text = field["label"]
            if field.get("required") and field["type"] != "choice_multiple":
                self[field["key"]].flags.required = True
            if field.get("options"):
                self[field["key"]].choices = [(o["key"], o["label"]) for o in field["options"]]
        self.where.flags.required = True
        self.eric_strategy.choices = _eric_choices()
        self.cfir_construct.choices = _cfir_choices()

    def record(self) -> dict[str, Any]:
        """The Proctor 2013 record for ``validate_strategy_use``."""
        out = {}
        for field in specification()["fields"]:
            value = self[field["key"]].data
            out[field["key"]] = value.strip() if isinstance(value, str) else (value or None)
        return out


def adaptation_form_class() -> type[FlaskForm]:
    """The FRAME form built from ``frame_fields.json``: radios for single choices, checkboxes for multiple ones,
    and an ``<field>_other`` text box where a field offers "other"."""

    class AdaptationForm(FlaskForm):
        where = SelectField("Agency or clinic", validate_choice=False)
        occurred_on = _date("Date of the adaptation", description="When it was decided or first happened.")
        description = TextAreaField("Description", validators=[Length(max=4000)],
                                    description="What was changed, for whom, and how.")
        submit = SubmitField("Save adaptation")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.description.flags.required = True
            self.where.flags.required = True

        def record(self) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for f in frame_fields():
                out[f["key"]] = self[f["key"]].data or ([] if f.get("multiple") else None)
                if has_other(f):
                    out[f"{f['key']}_other"] = (self[f"{f['key']}_other"].data or "").strip() or None
            return out

    for f in frame_fields():
        kind = MultiCheckboxField if f.get("multiple") else RadioField
        setattr(AdaptationForm, f["key"], kind(f["label"], choices=option_pairs(f), validate_choice=False))
        if has_other(f):
            setattr(AdaptationForm, f"{f['key']}_other",
                    StringField(f"{f['label']} — describe “other”", validators=[Optional(), Length(max=500)]))
    return AdaptationForm
