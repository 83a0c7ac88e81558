"""WTForms for the director's pages and the respondent's role question. Instrument pages themselves are built
from the definition at run time (``layout.form_blocks``), not from a WTForms class."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from readiness.instruments import PROFILE_COMPONENTS
from readiness.surveys.models import RESPONDENT_ROLES
from readiness.surveys.services import MAX_LINKS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WaveForm(FlaskForm):
    clinic_id = SelectField("Clinic", coerce=int, validators=[DataRequired(message="Choose a clinic.")])
    title = StringField("Title", default="Readiness survey", validators=[DataRequired(), Length(max=255)],
                        description="Shown to respondents, e.g. “Readiness survey, spring 2026”.")
    instruments = MultiCheckboxField("Instruments", validators=[DataRequired(message="Choose at least one instrument.")])
    opens_on = DateField("Opens on", validators=[DataRequired(message="Give an opening date (YYYY-MM-DD).")])
    closes_on = DateField("Closes on", validators=[DataRequired(message="Give a closing date (YYYY-MM-DD).")],
                          description="Links work until the end of this day (clinic time).")
    n_links = IntegerField("Number of respondent links", default=10,
                           validators=[InputRequired(message="Give the number of links."),
                                       NumberRange(1, MAX_LINKS, message=f"Issue between 1 and {MAX_LINKS} links.")],
                           description="One link per staff member invited; each can be used to submit once.")
    submit = SubmitField("Open wave and create links")

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError("The closing date must be on or after the opening date.")


class ImportDictionaryForm(FlaskForm):
    file = FileField("REDCap data dictionary (CSV)", validators=[FileRequired(message="Choose a CSV file.")],
                     description="The data dictionary CSV downloaded from REDCap (Project Setup → Data Dictionary).")
    key = StringField("Instrument key (optional)", validators=[
        Optional(), Length(max=120), Regexp(r"^[a-z][a-z0-9_]*$", message="Use a-z, 0-9 and _, starting with a letter.")],
        description="Defaults to the REDCap form name.")
    title = StringField("Title (optional)", validators=[Optional(), Length(max=255)])
    form_name = StringField("REDCap form (only if the dictionary holds several)", validators=[Optional(), Length(max=120)])
    submit = SubmitField("Import instrument")


SCORE_METHOD_CHOICES = [("mean", "Mean of the answered items"),
                        ("mean_x10", "Mean of the answered items × 10 (TCU convention)"),
                        ("sum", "Prorated sum: mean of the answered items × number of items")]
COMPONENT_CHOICES = [("", "— choose —"), ("motivation", "Motivation"), ("general_capacity", "General capacity"),
                     ("innovation_specific_capacity", "Innovation-specific capacity")]
assert {value for value, _ in COMPONENT_CHOICES if value} == PROFILE_COMPONENTS
#: the fields of one subscale block, named ``sub<n>_<field>`` in the form
SUBSCALE_FIELDS = ("key", "label", "items", "reverse_items", "method", "min_answered_share", "profile_component")
MAX_SUBSCALE_BLOCKS = 12


def scoring_form(n_blocks: int, item_choices: list[tuple[str, str]], dont_know_choices: list[tuple[str, str]]):
    """The scoring page's form class: the instrument's don't-know code, then ``n_blocks`` subscale blocks
    (``sub1_key`` ... ``sub<n>_profile_component``); a block left without key, label and items is ignored.
    Choices are not checked here (``validate_choice=False``): the definition validator judges every value, so the
    page refuses exactly what a shipped definition file would be refused for."""

    class ScoringForm(FlaskForm):
        dont_know_code = SelectField("“Don't know” / missing code", validate_choice=False,
                                     choices=[("", "— none —"), *dont_know_choices],
                                     description="An option code that means no answer: scored as missing, never "
                                                 "as a value, and left out of the items' range.")
        changes = StringField("What changed (kept in the version history)", validators=[Optional(), Length(max=500)])
        submit = SubmitField("Save as a new version")

    for n in range(1, n_blocks + 1):
        fields = {
            "key": StringField(f"Subscale {n}: key", validators=[Optional(), Length(max=120)],
                               description="Lower-case letters, digits and _, e.g. leader_support."),
            "label": StringField(f"Subscale {n}: label", validators=[Optional(), Length(max=255)]),
            "items": MultiCheckboxField(f"Subscale {n}: items", choices=item_choices, validate_choice=False),
            "reverse_items": MultiCheckboxField(f"Subscale {n}: reverse-scored items", choices=item_choices,
                                                validate_choice=False),
            "method": SelectField(f"Subscale {n}: score", choices=SCORE_METHOD_CHOICES, default="mean",
                                  validate_choice=False),
            "min_answered_share": FloatField(
                f"Subscale {n}: minimum share of items answered", default=0.8,
                validators=[Optional()], description="Scored only when at least ⌈share × number of items⌉ are "
                                                     "answered (0.8 for the shipped instruments)."),
            "profile_component": SelectField(f"Subscale {n}: R = MC² component", choices=COMPONENT_CHOICES,
                                             validate_choice=False),
        }
        for name, unbound in fields.items():
            setattr(ScoringForm, f"sub{n}_{name}", unbound)
    return ScoringForm


class AdoptVersionForm(FlaskForm):
    waves = MultiCheckboxField("Waves", coerce=int, validate_choice=False)
    submit = SubmitField("Move the chosen waves and re-score their responses")


class RoleForm(FlaskForm):
    role = RadioField("Which best describes your role at this clinic?", choices=list(RESPONDENT_ROLES.items()),
                      validators=[InputRequired(message="Choose the role that fits best.")])
    submit = SubmitField("Start the survey")


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for POST buttons."""


class ReissueForm(FlaskForm):
    numbers = StringField(
        "Link numbers",
        validators=[Optional(), Length(max=200)],
        description="For example 2, 5-7. Leave empty to re-issue every link not yet submitted.",
    )
    submit = SubmitField("Re-issue links")
