"""Forms of the application, built from the field specs in :mod:`readiness.application.content` (one registry of
field kinds: each kind knows its WTForms field; the value rule is ``content.field_error``), plus the small forms
of cohorts, review and eligibility."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from readiness.application import content
from readiness.application.content import Field
from readiness.application.eligibility_inputs import GROUPS, INPUTS, NO, YES, inputs_by_group, parse_input
from readiness.eligibility import EligibilityInputError


def optional_int(value):
    """Select coercion: blank -> None, else int (a non-number raises ValueError -> a field message)."""
    if value in (None, "", "None"):
        return None
    return int(value)


class WholeNumberField(IntegerField):
    widget = NumberInput(step="1")

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError("Enter a whole number, e.g. 12.") from None


class ChoiceField(SelectField):
    """A select whose blank is always allowed (a draft may be incomplete) and whose refusal names the remedy."""

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("Choose one of the listed options.") from None


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes; blank values (the hidden "field present" marker) are ignored."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        super().process_formdata([v for v in valuelist if v != ""])


class TypedDateField(DateField):
    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip() == "":
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD, e.g. 2026-01-15.") from None


class SpecRule:
    """The content rule of a field spec, as a WTForms validator."""

    def __init__(self, spec: Field):
        self.spec = spec

    def __call__(self, form, field):
        message = content.field_error(self.spec, field.data)
        if message:
            raise ValidationError(message)


def _signed_on_rule(form, field):
    if field.data and not date(2020, 1, 1) <= field.data <= date.today():
        raise ValidationError("The date signed must be a real date, not in the future.")


def make_field(spec: Field):
    """The WTForms field for one spec (kind registry)."""
    rules = [Optional(), SpecRule(spec)]
    if spec.kind in ("text", "textarea", "email", "phone"):
        cls = {"text": StringField, "textarea": TextAreaField, "email": EmailField, "phone": TelField}[spec.kind]
        return cls(spec.label, validators=rules, description=spec.help, filters=[_strip])
    if spec.kind == "int":
        return WholeNumberField(spec.label, validators=[Optional(), SpecRule(spec)], description=spec.help,
                                render_kw={"min": spec.minimum, "max": spec.maximum, "inputmode": "numeric"})
    if spec.kind == "choice":
        return ChoiceField(spec.label, choices=[("", "— choose —"), *spec.choices], validators=[SpecRule(spec)],
                           description=spec.help)
    if spec.kind == "choices":
        return CheckboxesField(spec.label, choices=list(spec.choices), validators=[SpecRule(spec)],
                               description=spec.help)
    if spec.kind == "bool":
        return BooleanField(spec.label)
    if spec.kind == "date":
        return TypedDateField(spec.label, validators=[Optional(), _signed_on_rule], description=spec.help)
    if spec.kind in ("clinic", "supervisor"):
        return ChoiceField(spec.label, coerce=optional_int, choices=[], validators=[], description=spec.help)
    raise ValueError(f"unknown field kind {spec.kind!r}")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _form_class(name: str, specs: tuple[Field, ...]) -> type[FlaskForm]:
    return type(name, (FlaskForm,), {spec.key: make_field(spec) for spec in specs} | {"specs": specs})


OrganisationForm = _form_class("OrganisationForm", content.ORGANISATION)
SupervisorForm = _form_class("SupervisorForm", content.SUPERVISOR)
ClinicianForm = _form_class("ClinicianForm", content.CLINICIAN)
AcknowledgementForm = _form_class("AcknowledgementForm", content.ACKNOWLEDGEMENT)
STEP_FORMS: dict[str, type[FlaskForm]] = {"organisation": OrganisationForm, "acknowledgement": AcknowledgementForm}
ROW_FORMS: dict[str, type[FlaskForm]] = {"supervisors": SupervisorForm, "clinicians": ClinicianForm}


def spec_fields(form) -> list:
    """The form's fields in spec order (no CSRF token)."""
    return [form[spec.key] for spec in form.specs]


class NewApplicationForm(FlaskForm):
    cohort_id = ChoiceField("Training cohort", coerce=optional_int, choices=[], validators=[DataRequired(
        message="Choose the training cohort you are applying to.")])
    agency_id = ChoiceField("Agency", coerce=optional_int, choices=[], validators=[Optional()],
                            description="Administrators choose the agency; agency staff apply for their own.")
    copy_from = ChoiceField("Start from", coerce=optional_int, choices=[], validators=[Optional()],
                            description="Copies the answers (organisation, supervisors, clinicians), not the "
                                        "acknowledgement, signature, review or decisions.")


class CohortForm(FlaskForm):
    name = StringField("Cohort name", validators=[DataRequired(), Length(max=120)], filters=[_strip],
                       description="For example: 2026 spring cohort.")
    starts_on = TypedDateField("Training starts", validators=[InputRequired(message="Enter the start date.")])
    ends_on = TypedDateField("Training ends", validators=[Optional()])
    applications_due_on = TypedDateField("Applications due", validators=[Optional()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date cannot be before the start date.")


class NoteForm(FlaskForm):
    body = TextAreaField("Review note", validators=[DataRequired(message="Write the note first."), Length(max=8000)],
                         description="Seen by the review team only, not by the agency.")


class TransitionForm(FlaskForm):
    action = SelectField("Action", choices=[])
    text = TextAreaField("Comments or reasons", validators=[Optional(), Length(max=8000)],
                         description="Returned applications show these comments to the agency; decisions record "
                                     "the reasons.")


class EligibilityRule:
    """The eligibility input's parse rule (``eligibility_inputs.parse_input``) as a validator."""

    def __init__(self, key: str):
        self.key = key

    def __call__(self, form, field):
        try:
            parse_input(self.key, field.data)
        except EligibilityInputError as exc:
            raise ValidationError(str(exc)) from None


def _eligibility_field(key: str):
    spec = INPUTS[key]
    rules = [EligibilityRule(key)]
    if spec["kind"] == "bool":
        return SelectField(spec["label"], choices=[("", "— not yet known —"), (YES, "Yes"), (NO, "No")],
                           validators=rules)
    if spec["kind"] == "choice":
        return SelectField(spec["label"], choices=[("", "— not yet known —"), *spec["choices"]], validators=rules)
    lo, hi = spec["range"]
    return StringField(spec["label"], validators=rules, filters=[_strip],
                       description=f"From {lo:g} to {hi:g}; leave blank if not yet known.",
                       render_kw={"inputmode": "decimal" if spec["kind"] == "number" else "numeric"})


def eligibility_form_class(group: str) -> type[FlaskForm]:
    """One form per entering group (rater, supervisor, clinic administrator, counselor)."""
    attrs: dict = {key: _eligibility_field(key) for key in inputs_by_group()[group]}
    if group == "supervisor":
        attrs["supervisor_id"] = ChoiceField("Supervisor making this judgement", coerce=optional_int, choices=[],
                                             description="The named supervisor from the application.")
    attrs["note"] = TextAreaField("Note (optional)", validators=[Optional(), Length(max=4000)], filters=[_strip])
    attrs["group"] = HiddenField(default=group)
    attrs["input_keys"] = tuple(inputs_by_group()[group])
    return type(f"Eligibility{group.title().replace('_', '')}Form", (FlaskForm,), attrs)


ELIGIBILITY_FORMS: dict[str, type[FlaskForm]] = {group: eligibility_form_class(group) for group in GROUPS}
